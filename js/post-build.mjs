// Trunk post_build hook, release builds only: the per-page split when xtask asks for it, npm binaryen's wasm-opt on
// each staged module (stripping the name section and other debug sections), then esbuild's minifier on
// wasm-bindgen's JS glue and the split loader, which Trunk leaves as is, and
// the old-webview check in index.html put back in ES5.
// The wasm features enabled are the ones rustc's wasm32 target emits by default.
import { execFileSync } from "node:child_process";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, transformSync } from "esbuild";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error("TRUNK_STAGING_DIR is not set: run this from Trunk");
if (process.env.TRUNK_PROFILE !== "release") process.exit(0);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// wasm-opt's flags, shared with `cargo xtask bench floor`.
const WASM_OPT_FLAGS = JSON.parse(readFileSync(join(root, "js", "wasm-opt-flags.json"), "utf8"));
const modules = readdirSync(staging).filter((f) => f.endsWith("_bg.wasm"));
if (modules.length !== 1) throw new Error(`expected one *_bg.wasm in ${staging}, found ${modules.length}`);

// xtask's release build asks for the module to be split per page (xtask/src/split.rs): the main module and its glue
// are replaced under the same names, and the pages' chunks and their loader are added beside them.
const stem = modules[0].replace(/_bg\.wasm$/, "");
if (process.env.SHENPI_XTASK) {
  execFileSync(process.env.SHENPI_XTASK, ["wasm-split", staging], { stdio: "inherit" });
}

for (const name of readdirSync(staging).filter((f) => f.endsWith(".wasm"))) {
  const wasm = join(staging, name);
  const wasmBefore = statSync(wasm).size;
  execFileSync(
    join(root, "node_modules", ".bin", "wasm-opt"),
    [
      ...WASM_OPT_FLAGS,
      wasm,
      "-o",
      wasm,
    ],
    { stdio: "inherit" },
  );
  console.log(`wasm-opt: ${name} ${wasmBefore} -> ${statSync(wasm).size} bytes`);
}

const loader = stem.replace(/-([0-9a-f]+)$/, "-split-$1.js");
for (const name of [`${stem}.js`, loader]) {
  const glue = join(staging, name);
  if (!existsSync(glue)) continue;
  const glueBefore = statSync(glue).size;
  buildSync({
    entryPoints: [glue],
    outfile: glue,
    allowOverwrite: true,
    minify: true,
    format: "esm",
    target: ["es2020"],
    legalComments: "none",
    logLevel: "warning",
  });
  console.log(`esbuild: ${name} ${glueBefore} -> ${statSync(glue).size} bytes`);
}

// Trunk's HTML minifier rewrites inline scripts in ES2015+ (arrow functions, `let`, template literals), but the
// old-webview check must run where only ES5 does: it goes back in as written in index.html, minified by esbuild for
// ES5 (which also fails the build on `let` or `const`).
const CHECK = /(<script id="?es5-check"?>)([\s\S]*?)(<\/script>)/;
const written = CHECK.exec(readFileSync(join(root, "index.html"), "utf8"));
const page = join(staging, "index.html");
const built = readFileSync(page, "utf8");
if (!written || !CHECK.test(built)) throw new Error("index.html has no <script id=\"es5-check\">");
const es5 = transformSync(written[2], { target: "es5", minify: true, legalComments: "none" }).code.trim();
writeFileSync(page, built.replace(CHECK, (_, open, _code, close) => open + es5 + close));
console.log(`es5-check: ${es5.length} bytes of ES5 in index.html`);

// Precompressed copies next to each text and WASM file, as the server sends them (brotli where the browser takes
// it, else gzip): compressing once at build time at the highest levels costs nothing per request.
for (const name of readdirSync(staging)) {
  if (!/\.(js|wasm|css|html|svg)$/.test(name)) continue;
  const file = join(staging, name);
  const bytes = readFileSync(file);
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(bytes, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }),
  );
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
}
console.log("precompressed: .br and .gz written next to each asset");
