// A simulated DingTalk iOS container, served by the DingTalk emulator. Injected before the page loads (Playwright
// addInitScript, or evaluateOnNewDocument), it provides `WebViewJavascriptBridge` as DingTalk's iOS client does
// (jsapi.md §6.1), so the REAL dingtalk-jsapi library detects iOS and talks to it. The user agent must also say
// iPhone + DingTalk; the page sets that, not this script.
(function () {
  "use strict";
  var config = __CONTAINER_CONFIG__;
  var handlers = {};
  var calls = [];

  function succeed(callback, result) {
    callback({ errorCode: "0", errorMessage: "", result: result });
  }
  function fail(callback, code, message) {
    callback({ errorCode: code, errorMessage: message });
  }

  // The native client asks DingTalk for a free-login code; here the emulator's control API mints it.
  function requestAuthCode(params, callback) {
    if (config.fixedCode) {
      succeed(callback, { code: config.fixedCode });
      return;
    }
    fetch(config.origin + "/_emulator/auth-codes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: config.userId, corpId: params.corpId }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw body;
          return body;
        });
      })
      .then(
        function (body) { succeed(callback, { code: body.code }); },
        function (error) { fail(callback, "3", (error && error.message) || String(error)); }
      );
  }

  var methods = {
    "runtime.permission.requestAuthCode": requestAuthCode,
    "runtime.permission.requestAuthCodeV2": requestAuthCode,
    "biz.navigation.setTitle": function (params, callback) {
      document.title = params.title || "";
      succeed(callback, {});
    },
  };

  window.WebViewJavascriptBridge = {
    init: function () {},
    registerHandler: function (name, handler) {
      handlers[name] = handler;
    },
    callHandler: function (name, params, callback) {
      var clean = {};
      for (var key in params || {}) {
        if (typeof params[key] !== "function") clean[key] = params[key];
      }
      calls.push({ method: name, params: clean });
      var method = methods[name];
      if (!method) {
        fail(callback, "1", "API不存在: " + name);
        return;
      }
      method(clean, callback);
    },
  };

  // For tests: what the page asked the container, and the handlers it registered (to simulate native clicks).
  window.__dingtalkContainer = { platform: "ios", userId: config.userId, calls: calls, handlers: handlers };
})();
