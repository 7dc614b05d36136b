/* What the console's two pages (console.js, review.js) share: the console's API and its token, the notice line
 * and "保存为测试". The token comes with the link (?token=…); it is then kept in sessionStorage, dropped from the
 * address bar and sent as a Bearer header. Text from the server is only ever set with textContent. */
(function (global) {
  "use strict";

  var path = location.pathname;
  var at = path.lastIndexOf("/webhooks/console");
  var API = (at >= 0 ? path.slice(0, at) : "") + "/webhooks/console";
  var TOKEN_KEY = "suzhou-luohu.console.token";
  var el = global.LuohuCard.el;

  var token = new URLSearchParams(location.search).get("token");
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else token = sessionStorage.getItem(TOKEN_KEY);
  } catch (e) { /* no session storage: keep it in memory */ }
  if (new URLSearchParams(location.search).has("token") && history.replaceState) {
    history.replaceState(null, "", location.pathname);  // keep the token out of the address bar and history
  }

  function authorization() {
    return {"Authorization": "Bearer " + (token || "")};
  }

  /* A request to the console's API: resolves to {status, ok, data} ({} when the answer is not JSON). */
  function api(method, url, body) {
    var options = {method: method, headers: authorization()};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return {status: r.status, ok: r.ok, data: data};
      });
    });
  }

  /* The page's notice line (#notice): shown with the text, hidden when it is empty. */
  function notice(text) {
    var box = document.getElementById("notice");
    box.textContent = text || "";
    box.hidden = !text;
  }

  /* "保存为测试": the conversation as a conversation test (GET /conversation/<id>/test.yml, with the token in
   * the header), downloaded as a file. */
  function saveAsTest(senderId) {
    fetch(API + "/conversation/" + encodeURIComponent(senderId) + "/test.yml",
          {headers: authorization()}).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          notice((data && data.error) || "导出失败");
        });
      }
      return r.blob().then(function (blob) {
        var link = el("a");
        link.href = URL.createObjectURL(blob);
        link.download = "test-" + senderId.replace(/[^A-Za-z0-9_.-]+/g, "_") + ".yml";
        document.body.appendChild(link);
        link.click();
        document.body.removeChild(link);
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      });
    }).catch(function () { notice("连接助手失败，请稍后再试。"); });
  }

  global.LuohuStaff = {token: token, api: api, notice: notice, saveAsTest: saveAsTest};
})(window);
