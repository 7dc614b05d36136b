/* The conversation review (GET /webhooks/console/review): the figures of a date range, the drop-off chart
 * (dropoff.js), the conversations the filters find, and one conversation's transcript with the signals of
 * every turn, "保存为测试" and "标注正确主题". The token and the API are the console's
 * (staff.js). Text from the server is only ever set with textContent. */
(function () {
  "use strict";

  var el = window.LuohuCard.el;
  var staff = window.LuohuStaff;

  var $ = function (id) { return document.getElementById(id); };
  var words = null;        // the server's labels (filters, channels, reasons, branches, topics)
  var current = null;      // the conversation shown
  var opener = null;       // the button that opened it (focus goes back there)

  function button(text, className, onClick) {
    var b = el("button", className || "btn btn-ghost", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function failed(res) {
    if (res.ok) return false;
    staff.notice((res.data && res.data.error) || "请求失败（" + res.status + "）");
    return true;
  }

  function day(date) {
    var d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 10);
  }

  function when(seconds) {
    var d = new Date(seconds * 1000);
    return day(d) + " " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function percent(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + "%"; }
  function channelName(c) { return (words && words.channels[c]) || c; }
  function topicName(t) { return (words && words.topics[t]) || t; }

  // --- the query --------------------------------------------------------------------------------------

  function buildControls(data) {
    words = data.words;
    var box = $("filters");
    box.textContent = "";
    Object.keys(words.filters).forEach(function (name) {
      var label = el("label", "filter");
      label.title = words.filter_help[name];
      var check = el("input");
      check.type = "checkbox";
      check.name = "filter";
      check.value = name;
      check.id = "filter-" + name;
      check.addEventListener("change", run);
      label.appendChild(check);
      label.appendChild(el("span", "", words.filters[name]));
      label.appendChild(el("span", "count", ""));
      box.appendChild(label);
    });
  }

  function updateChannels(data) {
    var select = $("channel");
    var chosen = select.value;
    var names = data.channels.slice();
    ["rest", "web", "wechat"].forEach(function (c) { if (names.indexOf(c) < 0) names.push(c); });
    while (select.options.length > 1) select.remove(1);
    names.forEach(function (c) {
      var option = el("option", "", channelName(c));
      option.value = c;
      select.appendChild(option);
    });
    select.value = chosen;
  }

  function query() {
    var filters = Array.prototype.map.call(document.querySelectorAll("#filters input:checked"),
      function (i) { return i.value; });
    var params = new URLSearchParams({since: $("since").value, until: $("until").value,
                                      channel: $("channel").value, filter: filters.join(",")});
    return "/review/data?" + params.toString();
  }

  var asked = 0;   // the latest query: an older answer that arrives later is dropped

  function run(event) {
    if (event && event.preventDefault) event.preventDefault();
    var mine = ++asked;
    $("status").textContent = "正在查询…";
    $("run").disabled = true;
    return staff.api("GET", query()).then(function (res) {
      if (mine !== asked) return;
      if (failed(res)) { $("status").textContent = ""; return; }
      staff.notice("");
      if (!words) buildControls(res.data);
      show(res.data);
    }).catch(function () { staff.notice("连接助手失败，请稍后再试。"); })
      .then(function () { if (mine === asked) $("run").disabled = false; });
  }

  // --- the figures --------------------------------------------------------------------------------------

  function show(data) {
    updateChannels(data);
    var counts = data.counts;
    Object.keys(words.filters).forEach(function (name) {
      $("filter-" + name).parentNode.querySelector(".count").textContent = "（" + counts[name] + "）";
    });
    var dl = $("counts");
    dl.textContent = "";
    [["conversations", "对话"], ["assessed", "给出了评估"]].concat(Object.keys(words.filters).map(function (n) {
      return [n, words.filters[n]];
    })).forEach(function (pair) {
      var item = el("div", "count-item");
      item.setAttribute("data-count", pair[0]);
      item.appendChild(el("dt", "", pair[1]));
      item.appendChild(el("dd", "", counts[pair[0]]));
      dl.appendChild(item);
    });
    window.LuohuDropoff.draw($("dropoff"), document.querySelector("#dropoff-table tbody"), data.dropoff);
    showUnanswered(data.unanswered);
    showList(data.conversations);
    $("status").textContent = data.since + " 至 " + data.until + "：共 " + counts.conversations + " 个对话，筛出 " +
      data.conversations.length + " 个。";
  }

  function showUnanswered(rows) {
    var body = document.querySelector("#unanswered tbody");
    body.textContent = "";
    if (!rows.length) {
      var empty = el("tr");
      var cell = el("td", "muted", "这段时间没有答不上的问题。");
      cell.colSpan = 5;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    rows.forEach(function (r) {
      var row = el("tr");
      row.appendChild(el("td", "plain-text", r.text));
      row.appendChild(el("td", "", r.count));
      row.appendChild(el("td", "", r.conversations));
      row.appendChild(el("td", "", r.reasons.map(function (x) { return words.reasons[x] || x; }).join("、")));
      var cell = el("td");
      cell.appendChild(button("查看对话", "btn btn-ghost btn-small", function () { open(r.sender_id, this, r.turn); }));
      row.appendChild(cell);
      body.appendChild(row);
    });
  }

  function flagChips(flags, box) {
    Object.keys(words.filters).forEach(function (name) {
      if (flags[name]) box.appendChild(el("span", "tag tag-" + name, words.filters[name]));
    });
  }

  function showList(rows) {
    var body = document.querySelector("#list tbody");
    body.textContent = "";
    $("list-count").textContent = "（" + rows.length + " 个）";
    rows.forEach(function (c) {
      var row = el("tr");
      row.setAttribute("data-sender", c.sender_id);
      var cell = el("td");
      cell.appendChild(button(c.sender_id, "link-button", function () { open(c.sender_id, this); }));
      row.appendChild(cell);
      row.appendChild(el("td", "", channelName(c.channel)));
      row.appendChild(el("td", "date", when(c.last)));
      row.appendChild(el("td", "", c.turn_count));
      var tags = el("td", "tags");
      flagChips(c.flags, tags);
      if (c.pending_label && c.flags.abandoned) tags.appendChild(el("span", "muted", "停在：" + c.pending_label));
      row.appendChild(tags);
      row.appendChild(el("td", "plain-text first-message", c.first_message));
      body.appendChild(row);
    });
  }

  // --- one conversation ---------------------------------------------------------------------------------

  function open(senderId, from, turn) {
    opener = from || null;
    staff.api("GET", "/review/conversation/" + encodeURIComponent(senderId)).then(function (res) {
      if (failed(res)) return;
      staff.notice("");
      words = words || res.data.words;
      showDetail(res.data, turn);
    }).catch(function () { staff.notice("连接助手失败，请稍后再试。"); });
  }

  function signal(dl, term, value) {
    if (value === null || value === undefined || value === "") return;
    dl.appendChild(el("dt", "", term));
    dl.appendChild(el("dd", "", value));
  }

  function signals(t) {
    var aside = el("div", "signals");
    var dl = el("dl");
    signal(dl, "意图", t.intent ? t.intent + "（" + percent(t.confidence) + "）" + (t.fallback ? "，低于阈值" : "") : null);
    signal(dl, "FAQ 主题", t.faq_topic ? topicName(t.faq_topic) + "（" + percent(t.faq_score) + "）" : null);
    signal(dl, "决策", t.branch ? (words.branches[t.branch] || t.branch) : null);
    signal(dl, "您是想问", t.offered.length ? t.offered.map(topicName).join("、") : null);
    signal(dl, "居民选择", t.chosen ? (t.chosen === "none" ? words.signals.none : topicName(t.chosen)) : null);
    signal(dl, "提问", t.asked_label);
    aside.appendChild(dl);
    var tags = el("div", "tags");
    ["low_confidence", "out_of_scope", "handoff"].forEach(function (k) {
      if (t[k]) tags.appendChild(el("span", "tag tag-" + k, words.signals[k]));
    });
    if (tags.childNodes.length) aside.appendChild(tags);
    if (!t.payload && !t.chosen) aside.appendChild(labelForm(t));
    return aside;
  }

  function labelForm(t) {
    var form = el("form", "label-form");
    var id = "topic-" + t.index;
    var label = el("label", "", "正确主题");
    label.htmlFor = id;
    var select = el("select");
    select.id = id;
    select.appendChild(el("option", "", "请选择…"));
    select.firstChild.value = "";
    Object.keys(words.topics).forEach(function (k) {
      var option = el("option", "", words.topics[k]);
      option.value = k;
      select.appendChild(option);
    });
    select.value = t.faq_topic && words.topics[t.faq_topic] ? t.faq_topic : "";
    var submit = el("button", "btn btn-ghost btn-small label-button", "标注正确主题");
    submit.type = "submit";
    form.appendChild(label);
    form.appendChild(select);
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!select.value) { $("label-status").textContent = "请先选择正确的主题。"; select.focus(); return; }
      submit.disabled = true;
      staff.api("POST", "/review/label", {sender_id: current.sender_id, turn: t.index, topic: select.value})
        .then(function (res) {
          var text = res.ok ? res.data.message : (res.data && res.data.error) || "标注失败";
          $("label-status").textContent = text;
          $("label-status").className = "label-status " + (res.ok ? "ok" : "bad");
        }).catch(function () { $("label-status").textContent = "连接助手失败，请稍后再试。"; })
        .then(function () { submit.disabled = false; });
    });
    return form;
  }

  function showDetail(c, focusTurn) {
    current = c;
    $("detail-title").textContent = "对话 " + c.sender_id;
    var meta = [channelName(c.channel), when(c.started) + " 至 " + when(c.last), c.turns.length + " 轮"];
    if (c.flags.abandoned && c.pending_label) meta.push("停在：" + c.pending_label);
    $("detail-meta").textContent = meta.join(" · ");
    $("label-status").textContent = "";
    var list = $("transcript");
    list.textContent = "";
    c.turns.forEach(function (t) {
      var item = el("li", "turn");
      item.setAttribute("data-turn", t.index);
      item.tabIndex = -1;
      var talk = el("div", "talk-column");
      var user = el("div", "say say-user");
      user.appendChild(el("span", "who", "居民 · " + when(t.time)));
      var shown = t.payload && t.chosen ? (t.chosen === "none" ? words.signals.none : topicName(t.chosen)) : t.text;
      user.appendChild(el("span", "plain-text", t.payload ? "点了按钮：" + shown : shown));
      talk.appendChild(user);
      t.replies.forEach(function (r) {
        var bot = el("div", "say say-bot");
        bot.appendChild(el("span", "who", "助手" + (r.response ? " · " + r.response : "")));
        bot.appendChild(el("span", "plain-text", r.text));
        if (r.buttons.length) bot.appendChild(el("span", "buttons", "按钮：" + r.buttons.join(" / ")));
        talk.appendChild(bot);
      });
      item.appendChild(talk);
      item.appendChild(signals(t));
      list.appendChild(item);
    });
    $("detail").hidden = false;
    var target = focusTurn !== undefined ? list.querySelector('[data-turn="' + focusTurn + '"]') : null;
    (target || $("detail-title")).focus();
    (target || $("detail")).scrollIntoView({block: "start"});
  }

  function closeDetail() {
    $("detail").hidden = true;
    current = null;
    if (opener && document.body.contains(opener)) opener.focus();
  }

  /* "保存为测试": the console's export (GET /conversation/<id>/test.yml), downloaded as a file. */
  function saveAsTest() {
    if (current) staff.saveAsTest(current.sender_id);
  }

  $("save-test").addEventListener("click", saveAsTest);
  $("close-detail").addEventListener("click", closeDetail);
  $("detail").addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.tagName !== "SELECT") closeDetail();
  });
  $("query").addEventListener("submit", run);
  $("channel").addEventListener("change", run);
  var today = new Date();
  $("until").value = day(today);
  $("since").value = day(new Date(today.getTime() - 6 * 86400000));
  run();
})();
