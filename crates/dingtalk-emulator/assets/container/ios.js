// The iOS bridge of a simulated DingTalk container (a fragment after core.js): `WebViewJavascriptBridge` as
// DingTalk's iOS client provides it (jsapi.md §6.1). Answers carry string error codes: "0" success, "-1" cancel.
(function () {
  var handlers = {};
  window.WebViewJavascriptBridge = {
    init: function () {},
    // Watch APIs (setRight) register a handler the native side calls on every click.
    registerHandler: function (name, handler) {
      handlers[name] = handler;
    },
    callHandler: function (name, params, callback) {
      var answer = typeof callback === "function" ? callback : function () {};
      container.invoke(name, params, {
        ok: function (result) { answer({ errorCode: "0", errorMessage: "", result: result }); },
        fail: function (code, message) { answer({ errorCode: code, errorMessage: message }); },
        notify: function (data) {
          var handler = handlers[name];
          if (handler) handler(data, function () {});
        },
      });
    },
  };
  container.expose({ handlers: handlers });
})();
