// Before the suite: bundles the FULL official dingtalk-jsapi (`index.js`: every API namespace) as one classic
// script defining the global `dd`, for the container specs. The app ships a reduced entry (js/dingtalk-jsapi.js);
// the containers must also hold up against everything else the library can send.
import { build } from "esbuild";
import { join } from "node:path";
import { FULL_JSAPI_BUNDLE, ROOT } from "./paths";

export default async function globalSetup(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "node_modules", "dingtalk-jsapi", "index.js")],
    outfile: FULL_JSAPI_BUNDLE,
    bundle: true,
    format: "iife",
    globalName: "dd",
    target: ["es2017"],
    legalComments: "none",
    logLevel: "warning",
  });
}
