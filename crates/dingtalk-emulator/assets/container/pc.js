// The PC bridge of a simulated DingTalk container (a fragment after core.js): DingTalk's desktop client talks to
// the page with a postMessage RPC (jsapi.md §6.4). The library only talks to a host whose origin ends with
// `.dingtalk.com`, and only accepts answers from exactly that origin, so a page served from localhost could never
// reach a real host window. This bridge therefore plays the host inside the page itself (the single-window recipe
// of §7.3, without the host-resolver rules): it announces a `*.dingtalk.com` host in `window.name`, catches the
// library's requests to that origin on `window.postMessage`, and answers with `message` events that carry the
// host's origin. The messages are exactly the ones a real host exchanges, so it works in any browser, framed
// or not.
//
// Unverified, decided here: a failure answers `{success:false, body:{errorCode, errorMessage}}` with the same
// string codes as iOS.
(function () {
  var hostOrigin = "https://emulator.dingtalk.com";
  var containerId = "emulator-" + config.userId;
  var bridgeConfig = { hostOrigin: hostOrigin, containerId: containerId, hostVersion: config.version,
    language: config.language };
  // In a frame the library would post to `window.top`; `corsIframe` makes it post to its own window.
  if (window.top !== window) bridgeConfig.corsIframe = true;
  window.name = JSON.stringify(bridgeConfig);
  window.dingtalk = { platform: { invokeAPI: function () {} } };

  var eventChannels = [];
  function send(data) {
    setTimeout(function () {
      window.dispatchEvent(new MessageEvent("message", { data: data, origin: hostOrigin, source: window }));
    }, 0);
  }

  var nativePostMessage = window.postMessage;
  window.postMessage = function (message, targetOrigin) {
    var forHost = message && message.type === "request" && message.containerId === containerId &&
      targetOrigin === hostOrigin;
    if (!forHost) return nativePostMessage.apply(window, arguments);
    var msgId = message.msgId;
    // The first dd.on opens the channel the host pushes events on.
    if (message.methodName === "SYS_openAPIContainerInitEvent") {
      eventChannels.push(msgId);
      return undefined;
    }
    container.invoke(message.methodName, message.body, {
      ok: function (result) { send({ type: "response", msgId: msgId, success: true, body: result }); },
      fail: function (code, text) {
        send({ type: "response", msgId: msgId, success: false, body: { errorCode: code, errorMessage: text } });
      },
      notify: function () {},
    });
    return undefined;
  };

  container.expose({
    // For tests: push a host event to every `dd.on` listener, as the desktop client does.
    emitEvent: function (eventName, body) {
      eventChannels.forEach(function (msgId) {
        send({ type: "event", msgId: msgId, eventName: eventName, body: body });
      });
    },
  });
})();
