// Bundles js/dingtalk-jsapi.js into target/jsapi/dingtalk-jsapi.js. Trunk runs it as a pre_build hook, so
// `trunk build` alone produces a complete app; xtask runs it too before the browser tests.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "target", "jsapi", "dingtalk-jsapi.js");
mkdirSync(dirname(outfile), { recursive: true });

await build({
  entryPoints: [join(root, "js", "dingtalk-jsapi.js")],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2017"],
  legalComments: "none",
  logLevel: "warning",
});
