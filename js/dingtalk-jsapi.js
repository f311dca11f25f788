// The JSAPI entry shenpi ships: the core of the official `dingtalk-jsapi` (environment detection and the container
// bridges) plus only the API calls the app makes. esbuild bundles it into one classic script that defines the
// global `dd`; src/jsapi.rs is the only Rust code that touches it.
import dd from "dingtalk-jsapi/entry/union";
// Named imports: under Node's interop (package.json "type": "module") a default import of these CommonJS files
// would be the whole `exports` object, not the function.
import { requestAuthCode$ as requestAuthCode } from "dingtalk-jsapi/api/runtime/permission/requestAuthCode";
import { setTitle$ as setTitle } from "dingtalk-jsapi/api/biz/navigation/setTitle";

dd.runtime = { permission: { requestAuthCode } };
dd.biz = { navigation: { setTitle } };

window.dd = dd;
