/* The hotline console: a form of the profile fields (labels from terms.yml via /schema), the engine's
 * answer (POST /assess) and a resident's conversation (GET /conversation/<id>).
 * The token, the API and "保存为测试" are staff.js's (shared with the review page).
 * Text from the server is only ever set with textContent. */
(function () {
  "use strict";

  var el = window.LuohuCard.el;
  var staff = window.LuohuStaff;
  var token = staff.token;
  var api = staff.api;
  var showNotice = staff.notice;

  // the review page is opened by a link, which cannot send the Bearer header: it takes the token as the console
  // did (?token=…, then keeps it in sessionStorage and drops it from the address bar)
  Array.prototype.forEach.call(document.querySelectorAll('a[href="review"]'), function (link) {
    link.addEventListener("click", function (event) {
      if (!token) return;
      event.preventDefault();
      location.href = link.getAttribute("href") + "?token=" + encodeURIComponent(token);
    });
  });

  var schema = null;
  var form = document.getElementById("profile");
  var fieldsBox = document.getElementById("fields");
  var errorsBox = document.getElementById("errors");
  var answer = document.getElementById("answer");
  var placeholder = document.getElementById("placeholder");
  var conversationBox = document.getElementById("conversation");

  function refused(res) {
    if (res.status === 401 || res.status === 503) {
      showNotice((res.data && res.data.error) || "坐席口令无效，请重新打开带口令的链接。");
      return true;
    }
    return false;
  }

  // --- the form ---------------------------------------------------------------------------------------

  function control(spec) {
    var box = el("div", "field");
    box.setAttribute("data-field", spec.name);
    var id = "f-" + spec.name;
    if (spec.kind === "bool") {
      box.appendChild(el("span", "label", spec.label));
      var seg = el("div", "seg");
      seg.setAttribute("role", "radiogroup");
      seg.setAttribute("aria-label", spec.label);
      [{value: "", label: "未知"}].concat(spec.options.map(function (o) {
        return {value: String(o.value), label: o.label};
      })).forEach(function (o) {
        var label = el("label");
        var radio = el("input");
        radio.type = "radio";
        radio.name = spec.name;
        radio.value = o.value;
        if (o.value === "") radio.checked = true;
        label.appendChild(radio);
        label.appendChild(el("span", "", o.label));
        seg.appendChild(label);
      });
      box.appendChild(seg);
      return box;
    }
    var label = el("label", "", spec.label);
    label.htmlFor = id;
    box.appendChild(label);
    var input;
    if (spec.options) {
      input = el("select");
      input.appendChild(el("option", "", "未知"));
      input.firstChild.value = "";
      spec.options.forEach(function (o) {
        var option = el("option", "", o.label);
        option.value = String(o.value);
        input.appendChild(option);
      });
    } else {
      input = el("input");
      if (spec.kind === "date") {
        input.type = "date";
        input.min = schema.supported_from;
      } else {
        input.type = "text";
        input.inputMode = spec.kind === "int" ? "numeric" : "decimal";
        input.placeholder = spec.min + "–" + spec.max;
      }
    }
    input.id = id;
    input.name = spec.name;
    box.appendChild(input);
    if (spec.kind === "date" || spec.kind === "area") box.className += " wide";
    return box;
  }

  function buildForm() {
    fieldsBox.textContent = "";
    var top = el("div", "field-grid");
    top.appendChild(control(schema.as_of));
    fieldsBox.appendChild(top);
    schema.groups.forEach(function (group) {
      var set = el("fieldset");
      set.appendChild(el("legend", "", group.title));
      var grid = el("div", "field-grid");
      group.fields.forEach(function (spec) { grid.appendChild(control(spec)); });
      set.appendChild(grid);
      fieldsBox.appendChild(set);
    });
    clearForm();
  }

  function specs() {
    var all = [schema.as_of];
    schema.groups.forEach(function (g) { all = all.concat(g.fields); });
    return all;
  }

  function clearForm() {
    specs().forEach(function (spec) { setValue(spec, null); });
    form.elements.as_of.value = schema.today;
    markErrors([]);
  }

  function setValue(spec, value) {
    var v = value === null || value === undefined ? "" : String(value);
    if (spec.kind === "bool") {
      Array.prototype.forEach.call(form.querySelectorAll('input[name="' + spec.name + '"]'), function (r) {
        r.checked = r.value === v;
      });
    } else if (form.elements[spec.name]) {
      form.elements[spec.name].value = v;
    }
  }

  /* The profile as the contract's JSON: numbers as numbers, yes/no as booleans, unknown left out.
   * What cannot be read as a number is sent as typed, so that the server names the field. */
  function collect() {
    var profile = {};
    specs().forEach(function (spec) {
      var raw;
      if (spec.kind === "bool") {
        var checked = form.querySelector('input[name="' + spec.name + '"]:checked');
        raw = checked ? checked.value : "";
        if (raw !== "") profile[spec.name] = raw === "true";
        return;
      }
      raw = String(form.elements[spec.name].value || "").trim();
      if (raw === "") return;
      if (spec.kind === "int" || spec.kind === "number") {
        var n = Number(raw.replace(/[，,]/g, ""));
        profile[spec.name] = isFinite(n) && raw !== "" ? n : raw;
      } else {
        profile[spec.name] = raw;
      }
    });
    return profile;
  }

  function fill(facts, asOf) {
    clearForm();
    var bySpec = {};
    specs().forEach(function (s) { bySpec[s.name] = s; });
    Object.keys(facts).forEach(function (name) { if (bySpec[name]) setValue(bySpec[name], facts[name]); });
    if (asOf) form.elements.as_of.value = asOf;
  }

  function markErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".field"), function (f) {
      f.classList.remove("invalid");
      var old = f.querySelector(".field-error");
      if (old) f.removeChild(old);
    });
    errors.forEach(function (e) {
      var box = form.querySelector('.field[data-field="' + e.field + '"]');
      if (!box) return;
      box.classList.add("invalid");
      box.appendChild(el("div", "field-error", e.message));
    });
  }

  // --- the answer -------------------------------------------------------------------------------------

  function showErrors(data) {
    errorsBox.textContent = "";
    errorsBox.appendChild(el("strong", "", "输入有误，请修改后重试："));
    var list = el("ul");
    var errors = (data && data.errors) || [];
    if (!errors.length) list.appendChild(el("li", "", (data && data.error) || "请求失败"));
    errors.forEach(function (e) { list.appendChild(el("li", "", e.message)); });
    errorsBox.appendChild(list);
    errorsBox.hidden = false;
    markErrors(errors);
  }

  function showAnswer(data) {
    errorsBox.hidden = true;
    markErrors([]);
    document.getElementById("script").textContent = data.script;
    var card = document.getElementById("card");
    card.textContent = "";
    card.appendChild(window.LuohuCard.render(data.assessment, {terms: schema}));
    document.getElementById("explanation").textContent = data.explanation;
    var body = document.querySelector("#citations tbody");
    body.textContent = "";
    data.citations.forEach(function (c) {
      var row = el("tr");
      row.appendChild(el("td", "", c.document));
      row.appendChild(el("td", "", c.article));
      row.appendChild(el("td", "date", c.effective_from));
      var mark = el("td");
      mark.appendChild(c.verified ? el("span", "ok-mark", "已核实") : window.LuohuCard.unverifiedMark(schema));
      row.appendChild(mark);
      row.appendChild(el("td", "", c.channels.join("、")));
      body.appendChild(row);
    });
    showRules(data.assessment.as_of, data.rules || []);
    answer.hidden = false;
    placeholder.hidden = true;
  }

  // The rules in force on the date evaluated: what the assistant believes, row by row.
  function showRules(asOf, rules) {
    document.getElementById("rules-date").textContent = "（" + asOf + "）";
    var body = document.querySelector("#rules tbody");
    body.textContent = "";
    rules.forEach(function (r) {
      var row = el("tr");
      row.appendChild(el("td", "", r.channel_name));
      row.appendChild(el("td", "", r.condition));
      row.appendChild(el("td", "", r.value));
      row.appendChild(el("td", "", r.document + r.article));
      row.appendChild(el("td", "date", r.effective_from));
      row.appendChild(el("td", "date", r.valid_until));
      var mark = el("td");
      mark.appendChild(r.verified ? el("span", "ok-mark", "已核实") : window.LuohuCard.unverifiedMark(schema));
      if (r.note) mark.appendChild(el("div", "muted", r.note));
      row.appendChild(mark);
      body.appendChild(row);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!schema) return;
    var button = document.getElementById("assess");
    button.disabled = true;
    api("POST", "/assess", collect()).then(function (res) {
      if (refused(res)) return;
      if (res.ok) showAnswer(res.data);
      else showErrors(res.data);
      placeholder.hidden = true;
      document.querySelector(".result-panel").scrollIntoView({block: "start"});
    }).catch(function () {
      showErrors({error: "连接助手失败，请稍后再试。"});
    }).then(function () { button.disabled = false; });
  });

  document.getElementById("clear").addEventListener("click", function () {
    clearForm();
    answer.hidden = true;
    errorsBox.hidden = true;
    placeholder.hidden = false;
  });

  document.getElementById("copy-script").addEventListener("click", function () {
    var text = document.getElementById("script").textContent;
    var button = this;
    function done() { button.textContent = "已复制"; setTimeout(function () { button.textContent = "复制话术"; }, 1500); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var range = document.createRange();
      range.selectNodeContents(document.getElementById("script"));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  // --- a resident's conversation ----------------------------------------------------------------------

  function showConversation(c) {
    conversationBox.textContent = "";
    var head = el("div", "conversation-head");
    head.appendChild(el("h2", "", "会话 " + c.sender_id));
    head.appendChild(el("span", "flag " + (c.handoff_requested ? "on" : "off"),
      c.handoff_requested ? "已请求转人工" : "未请求转人工"));
    conversationBox.appendChild(head);
    var meta = [];
    if (c.as_of) meta.push("评估日期：" + c.as_of);
    if (c.asked_label) meta.push("正在询问：" + c.asked_label);
    if (c.skipped && c.skipped.length) meta.push("居民跳过：" + c.skipped.map(function (s) { return s.label; }).join("、"));
    if (meta.length) conversationBox.appendChild(el("div", "muted", meta.join(" · ")));

    conversationBox.appendChild(el("h3", "", "已收集的信息（" + c.facts.length + " 项）"));
    if (c.facts.length) {
      var table = el("table", "facts");
      var tbody = el("tbody");
      c.facts.forEach(function (f) {
        var row = el("tr");
        row.setAttribute("data-field", f.field);
        row.appendChild(el("th", "", f.label));
        row.appendChild(el("td", "", f.display));
        tbody.appendChild(row);
      });
      table.appendChild(tbody);
      conversationBox.appendChild(table);
    } else {
      conversationBox.appendChild(el("p", "muted", "居民还没有提供任何信息。"));
    }

    var actions = el("div", "conversation-actions");
    var fillButton = el("button", "btn btn-ghost", "用这些信息填表");
    fillButton.type = "button";
    var assessButton = el("button", "btn", "按这些信息评估");
    assessButton.type = "button";
    function fillFromConversation() {
      var values = {};
      c.facts.forEach(function (f) { values[f.field] = f.value; });
      fill(values, c.as_of);
    }
    fillButton.addEventListener("click", fillFromConversation);
    assessButton.addEventListener("click", function () {
      fillFromConversation();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", {cancelable: true}));
    });
    var testButton = el("button", "btn btn-ghost", "保存为测试");
    testButton.type = "button";
    testButton.id = "save-test";
    testButton.title = "把这段会话下载为对话测试（YAML，个人信息已打码），核对预期结果后放入 tests/conversations/";
    testButton.addEventListener("click", function () { staff.saveAsTest(c.sender_id); });
    actions.appendChild(fillButton);
    actions.appendChild(assessButton);
    actions.appendChild(testButton);
    conversationBox.appendChild(actions);

    if (c.last_assessment) {
      var last = el("details", "last-assessment");
      var head = el("summary", "", "最近一次给居民的评估：");
      var names = {};
      c.last_assessment.channels.forEach(function (ch) { names[ch.id] = ch.name; });
      head.appendChild(el("strong", "", c.last_assessment.recommended.length
        ? "推荐" + c.last_assessment.recommended.map(function (id) { return names[id] || id; }).join("、")
        : "暂无确定可落户的渠道"));
      last.appendChild(head);
      last.appendChild(window.LuohuCard.render(c.last_assessment, {terms: schema, explanation: c.explanation}));
      conversationBox.appendChild(last);
    } else {
      conversationBox.appendChild(el("p", "muted", "还没有给出评估结果。"));
    }
    if (c.messages && c.messages.length) {
      var talk = el("details", "talk");
      talk.appendChild(el("summary", "", "最近的对话（" + c.messages.length + " 条）"));
      var list = el("ul", "transcript");
      list.tabIndex = 0;  // it scrolls: reachable by the keyboard
      list.setAttribute("aria-label", "最近的对话");
      c.messages.forEach(function (m) {
        var li = el("li");
        li.appendChild(el("span", "who who-" + m.from, m.from === "user" ? "居民" : "助手"));
        li.appendChild(el("span", "plain-text", m.text));
        list.appendChild(li);
      });
      talk.appendChild(list);
      conversationBox.appendChild(talk);
    }
    conversationBox.hidden = false;
    placeholder.hidden = true;
  }

  document.getElementById("lookup").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = document.getElementById("lookup-id").value.trim();
    if (!id) return;
    api("GET", "/conversation/" + encodeURIComponent(id)).then(function (res) {
      if (refused(res)) return;
      if (res.ok) {
        showNotice("");
        showConversation(res.data);
        conversationBox.scrollIntoView({block: "start"});
      } else {
        conversationBox.hidden = true;
        showNotice((res.data && res.data.error) || "查询失败");
      }
    }).catch(function () { showNotice("连接助手失败，请稍后再试。"); });
  });

  api("GET", "/schema").then(function (res) {
    if (refused(res)) return;
    schema = res.data;
    buildForm();
  }).catch(function () { showNotice("连接助手失败，请刷新页面重试。"); });
})();
