// The JSAPI entry shenpi ships: the core of the official `dingtalk-jsapi` (environment detection, `dd.config` /
// `dd.ready` / `dd.error` and the container bridges) plus only the API calls the app makes. esbuild bundles it into
// one classic script that defines the global `dd`; src/jsapi.rs is the only Rust code that touches it.
import dd from "dingtalk-jsapi/entry/union";
// Named imports: under Node's interop (package.json "type": "module") a default import of these CommonJS files
// would be the whole `exports` object, not the function.
import { requestAuthCode$ as requestAuthCode } from "dingtalk-jsapi/api/runtime/permission/requestAuthCode";
import { setTitle$ as setTitle } from "dingtalk-jsapi/api/biz/navigation/setTitle";
import { setRight$ as setRight } from "dingtalk-jsapi/api/biz/navigation/setRight";
import { close$ as close } from "dingtalk-jsapi/api/biz/navigation/close";
import { toast$ as toast } from "dingtalk-jsapi/api/device/notification/toast";
import { alert$ as alert } from "dingtalk-jsapi/api/device/notification/alert";
import { confirm$ as confirm } from "dingtalk-jsapi/api/device/notification/confirm";
import { showPreloader$ as showPreloader } from "dingtalk-jsapi/api/device/notification/showPreloader";
import { hidePreloader$ as hidePreloader } from "dingtalk-jsapi/api/device/notification/hidePreloader";
import { datepicker$ as datepicker } from "dingtalk-jsapi/api/biz/util/datepicker";
import { datetimepicker$ as datetimepicker } from "dingtalk-jsapi/api/biz/util/datetimepicker";
import { chosen$ as chosen } from "dingtalk-jsapi/api/biz/util/chosen";
import { openLink$ as openLink } from "dingtalk-jsapi/api/biz/util/openLink";
import { uploadAttachment$ as uploadAttachment } from "dingtalk-jsapi/api/biz/util/uploadAttachment";
import { complexPicker$ as complexPicker } from "dingtalk-jsapi/api/biz/contact/complexPicker";

dd.runtime = { permission: { requestAuthCode } };
dd.biz = {
  navigation: { setTitle, setRight, close },
  util: { datepicker, datetimepicker, chosen, openLink, uploadAttachment },
  contact: { complexPicker },
};
dd.device = { notification: { toast, alert, confirm, showPreloader, hidePreloader } };

window.dd = dd;
