// The native side of a simulated DingTalk container, shared by the iOS, Android and PC bridges (a fragment: the
// emulator's container route wraps it in one function together with `config` and one bridge adapter, see
// src/container.rs). It answers the JSAPI methods an approvals app calls (jsapi.md §4) and draws DingTalk's native
// dialogs as DOM overlays in an open shadow root, each with a data-testid, so tests can find and click them.
//
// A bridge adapter calls `container.invoke(method, params, reply)` where `reply` has `ok(result)`,
// `fail(errorCode, errorMessage)` (errorCode "-1" = the user cancelled, "1" = no such API, "3" = failed) and
// `notify(data)` for "watch" APIs that report later clicks (setRight).
var container = (function () {
  var calls = [];
  var state = { platform: config.platform, userId: config.userId, calls: calls, closed: false };
  var CANCEL = "-1";
  var NOT_EXIST = "1";
  var FAILED = "3";

  // Outside a DingTalk-shaped user agent (a plain browser running this script through the emulator's app proxy),
  // the page still has to look like DingTalk to the library, which reads the UA while it loads.
  if (!/DingTalk/i.test(navigator.userAgent)) {
    Object.defineProperty(navigator, "userAgent", { get: function () { return config.userAgent; }, configurable: true });
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  function withoutFunctions(params) {
    var clean = {};
    for (var key in params || {}) {
      if (typeof params[key] !== "function") clean[key] = params[key];
    }
    return clean;
  }

  function emulator(path, init) {
    return fetch(config.origin + path, init).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body && body.message) || "HTTP " + response.status);
        return body;
      });
    });
  }

  function postJson(path, body) {
    return emulator(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  // Tells a surrounding page (the emulator's workbench) what the app asked its container.
  function tellParent(call) {
    if (window.parent === window) return;
    try {
      window.parent.postMessage({ source: "dingtalk-container", platform: config.platform, userId: config.userId,
        method: call.method, params: call.params }, "*");
    } catch (e) {
      // A parent that cannot be told is no reason to fail the call.
    }
  }

  // --- overlays ------------------------------------------------------------------------------------------------

  var STYLE =
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif}" +
    ".mask{position:fixed;inset:0;z-index:2147483646;background:rgba(0,0,0,.45);display:flex;" +
    "align-items:center;justify-content:center}" +
    ".panel{background:#fff;border-radius:12px;min-width:260px;max-width:90vw;max-height:80vh;overflow:auto;" +
    "padding:16px;color:#171a1d;font-size:15px}" +
    ".panel h2{font-size:17px;margin:0 0 8px;text-align:center}.panel p{margin:0 0 12px;text-align:center}" +
    ".buttons{display:flex;gap:8px;margin-top:12px}.buttons button{flex:1}" +
    "button{font-size:15px;padding:8px 12px;border:1px solid #d0d3d6;border-radius:8px;background:#fff;" +
    "cursor:pointer}button.primary{background:#0089ff;border-color:#0089ff;color:#fff}" +
    "label.row{display:flex;gap:8px;align-items:center;padding:6px 0;border-bottom:1px solid #f0f1f2}" +
    "input[type=date],input[type=datetime-local]{width:100%;font-size:16px;padding:6px}" +
    ".toast{position:fixed;left:50%;top:40%;transform:translateX(-50%);z-index:2147483647;" +
    "background:rgba(0,0,0,.75);color:#fff;padding:10px 16px;border-radius:8px;font-size:15px}" +
    ".preloader{position:fixed;inset:0;z-index:2147483645;display:flex;align-items:center;" +
    "justify-content:center}.preloader span{background:rgba(0,0,0,.7);color:#fff;padding:12px 18px;" +
    "border-radius:8px}.nav-right{position:fixed;top:4px;right:4px;z-index:2147483644}" +
    ".tip{color:#ff5219;font-size:13px;margin-top:8px}";

  var host = null;
  var root = null;
  function overlayRoot() {
    if (!host) {
      host = document.createElement("dingtalk-container-ui");
      root = host.attachShadow({ mode: "open" });
      var style = document.createElement("style");
      style.textContent = STYLE;
      root.appendChild(style);
    }
    // Outside <body>, so an app that rewrites its body does not take the overlays with it.
    if (!host.isConnected) document.documentElement.appendChild(host);
    return root;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "onclick") node.addEventListener("click", attrs[key]);
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // A modal dialog: `build(panel, close)` fills the panel; `close()` removes the dialog.
  function modal(testId, build) {
    var mask = el("div", { class: "mask" });
    var panel = el("div", { class: "panel", role: "dialog", "data-testid": testId });
    mask.appendChild(panel);
    function close() { mask.remove(); }
    build(panel, close);
    overlayRoot().appendChild(mask);
  }

  function button(testId, text, onclick, primary) {
    return el("button", { "data-testid": testId, type: "button", class: primary ? "primary" : "", text: text,
      onclick: onclick });
  }

  // Cancel and OK at the bottom of a dialog.
  function cancelOk(prefix, close, reply, onOk, okText) {
    return el("div", { class: "buttons" }, [
      button(prefix + "-cancel", "取消", function () { close(); reply.fail(CANCEL, "用户取消"); }),
      button(prefix + "-ok", okText || "确定", onOk, true),
    ]);
  }

  // --- dates ---------------------------------------------------------------------------------------------------

  var DATE_TOKENS = /yyyy|MM|dd|HH|mm|ss/g;

  // Reads `value` written in `format` (e.g. "2024-05-06 09:30" in "yyyy-MM-dd HH:mm") into its parts.
  function parseDate(value, format) {
    var tokens = String(format).match(DATE_TOKENS) || [];
    var numbers = String(value || "").match(/\d+/g) || [];
    var parts = {};
    tokens.forEach(function (token, i) { if (numbers[i] !== undefined) parts[token] = numbers[i]; });
    return parts.yyyy ? parts : null;
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  function formatDate(parts, format) {
    return String(format).replace(DATE_TOKENS, function (token) {
      return token === "yyyy" ? String(parts.yyyy) : pad(parts[token] || 0);
    });
  }

  function datePicker(withTime, defaultFormat) {
    return function (params, reply) {
      var format = params.format || defaultFormat;
      var input = el("input", { type: withTime ? "datetime-local" : "date", "data-testid": "dd-datepicker-input" });
      var now = new Date();
      var initial = parseDate(params.value, format) || { yyyy: now.getFullYear(), MM: now.getMonth() + 1,
        dd: now.getDate(), HH: now.getHours(), mm: now.getMinutes() };
      input.value = formatDate(initial, withTime ? "yyyy-MM-ddTHH:mm" : "yyyy-MM-dd");
      modal("dd-datepicker", function (panel, close) {
        panel.appendChild(el("h2", { text: withTime ? "选择日期时间" : "选择日期" }));
        panel.appendChild(input);
        panel.appendChild(cancelOk("dd-datepicker", close, reply, function () {
          var parts = parseDate(input.value, "yyyy-MM-ddTHH:mm");
          if (!parts) return;
          close();
          reply.ok({ value: formatDate(parts, format) });
        }));
      });
    };
  }

  // --- contacts ------------------------------------------------------------------------------------------------

  // The contact picker over the seeded organisation; people who left are not offered. `done(users, depts)`
  // receives what was ticked.
  function contactPicker(options, reply, done) {
    emulator("/_emulator/org").then(function (org) {
      var members = org.users.filter(function (u) { return u.active; });
      var picked = {};
      (options.pickedUsers || []).forEach(function (id) { picked[id] = true; });
      (options.requiredUsers || []).forEach(function (id) { picked[id] = true; });
      var pickedDepts = {};
      (options.pickedDepartments || []).forEach(function (id) { pickedDepts[id] = true; });
      var disabled = {};
      (options.disabledUsers || []).concat(options.requiredUsers || []).forEach(function (id) { disabled[id] = true; });
      var boxes = [];

      function checkbox(testId, checked, isDisabled, onchange) {
        var box = el("input", { type: "checkbox", "data-testid": testId });
        box.checked = checked;
        box.disabled = isDisabled;
        box.addEventListener("change", function () {
          if (box.checked && !options.multiple) {
            boxes.forEach(function (other) { if (other !== box && !other.disabled) other.checked = false; });
          }
          onchange(box);
        });
        boxes.push(box);
        return box;
      }

      modal(options.testId, function (panel, close) {
        panel.appendChild(el("h2", { text: options.title || "选择人员" }));
        var userBoxes = members.map(function (u) {
          var box = checkbox("dd-picker-user-" + u.userId, !!picked[u.userId], !!disabled[u.userId], function () {});
          panel.appendChild(el("label", { class: "row" }, [box, el("span", { text: u.name + (u.title ? " · " + u.title : "") })]));
          return { user: u, box: box };
        });
        var deptBoxes = options.departments ? org.departments.map(function (d) {
          var box = checkbox("dd-picker-dept-" + d.deptId, !!pickedDepts[d.deptId], false, function () {});
          panel.appendChild(el("label", { class: "row" }, [box, el("span", { text: "部门：" + d.name })]));
          return { dept: d, box: box };
        }) : [];
        var tip = el("div", { class: "tip", "data-testid": "dd-picker-tip" });
        panel.appendChild(tip);
        panel.appendChild(cancelOk("dd-picker", close, reply, function () {
          var users = userBoxes.filter(function (b) { return b.box.checked; }).map(function (b) { return b.user; });
          var depts = deptBoxes.filter(function (b) { return b.box.checked; }).map(function (b) { return b.dept; });
          if (options.max && users.length > options.max) {
            tip.textContent = options.limitTips || "最多选择 " + options.max + " 人";
            return;
          }
          close();
          done(users, depts, members, org);
        }));
      });
    }, function (error) { reply.fail(FAILED, error.message); });
  }

  // Everyone active in department `deptId` or below it.
  function membersUnder(deptId, org, members) {
    var ids = [deptId];
    for (var grew = true; grew;) {
      grew = false;
      org.departments.forEach(function (d) {
        if (ids.indexOf(d.parentId) >= 0 && ids.indexOf(d.deptId) < 0) { ids.push(d.deptId); grew = true; }
      });
    }
    return members.filter(function (u) { return u.deptIds.some(function (id) { return ids.indexOf(id) >= 0; }); });
  }

  function person(u) {
    return { emplId: u.userId, name: u.name, avatar: u.avatar || "" };
  }

  // --- attachments ---------------------------------------------------------------------------------------------

  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot + 1).toLowerCase() : "file";
  }

  function uploadAttachment(params, reply) {
    var types = params.types && params.types.length ? params.types : ["file"];
    var imagesOnly = types.every(function (t) { return t === "photo" || t === "camera"; });
    var max = (params.image && params.image.max) || (params.file && params.file.max) || 9;
    var input = el("input", { type: "file", "data-testid": "dd-upload-input" });
    if (max > 1) input.multiple = true;
    if (imagesOnly) input.accept = "image/*";
    modal("dd-upload", function (panel, close) {
      var tip = el("div", { class: "tip", "data-testid": "dd-upload-tip" });
      panel.appendChild(el("h2", { text: "上传附件" }));
      panel.appendChild(input);
      panel.appendChild(tip);
      panel.appendChild(cancelOk("dd-upload", close, reply, function () {
        var files = Array.prototype.slice.call(input.files || []);
        if (!files.length) { tip.textContent = "请选择文件"; return; }
        if (files.length > max) { tip.textContent = "最多 " + max + " 个"; return; }
        close();
        var allImages = files.every(function (f) { return /^image\//.test(f.type); });
        var type = types.length === 1 ? types[0]
          : allImages && types.indexOf("photo") >= 0 ? "photo"
          : types.indexOf("file") >= 0 ? "file" : types[0];
        // Each file lands in the user's approval space in the emulator, as DingTalk stores it in DingDrive.
        Promise.all(files.map(function (f) {
          return postJson("/_emulator/attachments", { userId: config.userId, fileName: f.name, fileSize: f.size,
            fileType: extension(f.name) });
        })).then(
          function (data) { reply.ok({ type: type, data: data }); },
          function (error) { reply.fail(FAILED, error.message); }
        );
      }, "上传"));
    });
  }

  // --- the methods ---------------------------------------------------------------------------------------------

  // The native client asks DingTalk for a free-login code; here the emulator's control API mints it.
  function requestAuthCode(params, reply) {
    if (config.fixedCode) {
      reply.ok({ code: config.fixedCode });
      return;
    }
    postJson("/_emulator/auth-codes", { userId: config.userId, corpId: params.corpId }).then(
      function (body) { reply.ok({ code: body.code }); },
      function (error) { reply.fail(FAILED, error.message); }
    );
  }

  // dd.config (`requestJsApis` on mobile, `config` on PC): DingTalk checks corpId, agentId and the signature over
  // the app's current JSAPI ticket and this page's URL; the emulator's verify route does the same and answers a
  // mismatch with DingTalk's "Code:52013" message, which fails the call with errorCode "3".
  function verifyConfig(params, reply) {
    postJson("/_emulator/jsapi/verify", { url: params.url || location.href, nonceStr: params.nonceStr,
      timeStamp: params.timeStamp, signature: params.signature, corpId: params.corpId, agentId: params.agentId }).then(
      function () { reply.ok({}); },
      function (error) { reply.fail(FAILED, error.message); }
    );
  }

  var rightButton = null;

  var methods = {
    "runtime.permission.requestAuthCode": requestAuthCode,
    "runtime.permission.requestAuthCodeV2": requestAuthCode,
    "runtime.permission.requestJsApis": verifyConfig,
    config: verifyConfig,
    "biz.navigation.setTitle": function (params, reply) {
      document.title = params.title || "";
      reply.ok({});
    },
    "biz.navigation.setRight": function (params, reply) {
      if (rightButton) rightButton.remove();
      rightButton = null;
      if (params.show !== false) {
        rightButton = button("dd-nav-right", params.text || "•••", function () { reply.notify({}); });
        rightButton.classList.add("nav-right");
        overlayRoot().appendChild(rightButton);
      }
      reply.ok({});
    },
    "biz.navigation.close": function (params, reply) {
      state.closed = true;
      reply.ok({});
      window.close();
    },
    "device.notification.toast": function (params, reply) {
      var icon = params.icon || params.type || "";
      var toast = el("div", { class: "toast", role: "status", "data-testid": "dd-toast", "data-icon": icon,
        text: params.text || "" });
      setTimeout(function () {
        overlayRoot().appendChild(toast);
        setTimeout(function () { toast.remove(); }, (params.duration || 3) * 1000);
      }, (params.delay || 0) * 1000);
      reply.ok({});
    },
    "device.notification.alert": function (params, reply) {
      modal("dd-alert", function (panel, close) {
        if (params.title) panel.appendChild(el("h2", { text: params.title }));
        panel.appendChild(el("p", { text: params.message || "" }));
        panel.appendChild(el("div", { class: "buttons" }, [
          button("dd-alert-button", params.buttonName || "确定", function () {
            close();
            reply.ok({ buttonIndex: 0 });
          }, true),
        ]));
      });
    },
    "device.notification.confirm": function (params, reply) {
      var labels = params.buttonLabels && params.buttonLabels.length ? params.buttonLabels : ["取消", "确定"];
      modal("dd-confirm", function (panel, close) {
        if (params.title) panel.appendChild(el("h2", { text: params.title }));
        panel.appendChild(el("p", { text: params.message || "" }));
        panel.appendChild(el("div", { class: "buttons" }, labels.map(function (label, i) {
          return button("dd-confirm-button-" + i, label, function () {
            close();
            reply.ok({ buttonIndex: i });
          }, i === labels.length - 1);
        })));
      });
    },
    "device.notification.showPreloader": function (params, reply) {
      var old = overlayRoot().querySelector(".preloader");
      if (old) old.remove();
      overlayRoot().appendChild(el("div", { class: "preloader", "data-testid": "dd-preloader" }, [
        el("span", { text: params.text || "加载中..." }),
      ]));
      reply.ok({});
    },
    "device.notification.hidePreloader": function (params, reply) {
      var old = overlayRoot().querySelector(".preloader");
      if (old) old.remove();
      reply.ok({});
    },
    "biz.util.datepicker": datePicker(false, "yyyy-MM-dd"),
    "biz.util.datetimepicker": datePicker(true, "yyyy-MM-dd HH:mm"),
    "biz.util.chosen": function (params, reply) {
      var source = params.source || [];
      modal("dd-chosen", function (panel, close) {
        source.forEach(function (item, i) {
          var option = button("dd-chosen-option-" + i, item.key, function () {
            close();
            reply.ok({ key: item.key, value: item.value });
          }, item.key === params.selectedKey);
          option.setAttribute("aria-selected", String(item.key === params.selectedKey));
          panel.appendChild(el("div", { class: "buttons" }, [option]));
        });
        panel.appendChild(el("div", { class: "buttons" }, [
          button("dd-chosen-cancel", "取消", function () { close(); reply.fail(CANCEL, "用户取消"); }),
        ]));
      });
    },
    "biz.contact.complexPicker": function (params, reply) {
      var options = {
        testId: "dd-complex-picker", title: params.title, multiple: params.multiple !== false,
        max: params.maxUsers, limitTips: params.limitTips, pickedUsers: params.pickedUsers,
        pickedDepartments: params.pickedDepartments, disabledUsers: params.disabledUsers,
        requiredUsers: params.requiredUsers, departments: !params.responseUserOnly,
      };
      contactPicker(options, reply, function (users, depts, members, org) {
        var everyone = {};
        users.forEach(function (u) { everyone[u.userId] = true; });
        var departments = depts.map(function (d) {
          var under = membersUnder(d.deptId, org, members);
          under.forEach(function (u) { everyone[u.userId] = true; });
          return { id: d.deptId, name: d.name, number: under.length };
        });
        reply.ok({ selectedCount: Object.keys(everyone).length, users: users.map(person), departments: departments });
      });
    },
    "biz.contact.choose": function (params, reply) {
      var options = { testId: "dd-choose", title: params.title, multiple: params.multiple !== false,
        max: params.max, pickedUsers: params.users, departments: false };
      contactPicker(options, reply, function (users) {
        reply.ok(users.map(function (u) { return { name: u.name, avatar: u.avatar || "", emplId: u.userId }; }));
      });
    },
    "biz.util.openLink": function (params, reply) {
      // DingTalk opens the link in a new page of its own; a browser opens a tab, or navigates when tabs are blocked.
      var opened = window.open(params.url, "_blank");
      reply.ok({});
      if (!opened) window.location.href = params.url;
    },
    "biz.util.uploadAttachment": uploadAttachment,
  };

  function invoke(method, params, reply) {
    var call = { method: method, params: withoutFunctions(params) };
    calls.push(call);
    tellParent(call);
    var handler = methods[method];
    if (!handler) {
      reply.fail(NOT_EXIST, "API不存在: " + method);
      return;
    }
    try {
      handler(call.params, reply);
    } catch (error) {
      reply.fail(FAILED, String(error && error.message || error));
    }
  }

  // For tests: what the page asked the container (`calls`), and whatever the bridge adds (`expose`).
  window.__dingtalkContainer = state;
  return {
    invoke: invoke,
    expose: function (extra) { for (var key in extra) state[key] = extra[key]; },
  };
})();
