// Files the suite shares with the rest of the repository.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The full dingtalk-jsapi bundle the global setup builds. */
export const FULL_JSAPI_BUNDLE = join(ROOT, "target", "jsapi", "dingtalk-jsapi-full.js");

/** The emulator's seeded organisation, with the app's credentials. */
export const ORG_FIXTURE = join(ROOT, "crates", "dingtalk-emulator", "fixtures", "org.json");
