// The Android bridge of a simulated DingTalk container (a fragment after core.js): `window.nuva` as DingTalk's
// Android client provides it (jsapi.md §6.2). The library splits "a.b.c" into module "a.b" and method "c".
//
// Unverified, decided here: failures reach `onErr` as `{errorCode, errorMessage}` with the same string codes as
// iOS ("-1" cancel, "1" no such API, "3" failed), and a watch API (setRight) answers `onOk` only on each click,
// not when it is set up, because on Android the one callback is both the answer and the click handler.
(function () {
  function bridge(onOk, onErr, module, method, params) {
    var name = module ? module + "." + method : method;
    var watching = !!params && params.watch === true;
    container.invoke(name, params, {
      ok: function (result) { if (!watching) onOk(result); },
      fail: function (code, message) { onErr({ errorCode: code, errorMessage: message }); },
      notify: function (data) { onOk(data); },
    });
  }
  window.nuva = { isReady: true, require: function () { return bridge; } };
})();
