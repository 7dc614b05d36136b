/* The residents' chat: talks to the REST channel on the same origin (POST /webhooks/rest/webhook),
 * draws `ask` options as buttons and `assessment` payloads as cards (assistant/web/card.js).
 * The conversation id and the transcript stay in localStorage; "重新开始" starts a new conversation.
 * Every message of the assistant gets a 读给我听 button (speech.js); 长辈模式 is elder.js.
 * Text from the server is only ever set with textContent. */
(function () {
  "use strict";

  var path = location.pathname;
  var at = path.lastIndexOf("/webhooks/web");
  var base = at >= 0 ? path.slice(0, at) : "";
  var WEBHOOK = base + "/webhooks/rest/webhook";
  var TERMS = base + "/webhooks/web/terms.json";
  var STORE = "suzhou-luohu.chat.v1";
  var KEEP = 80;  // transcript entries kept in localStorage

  var el = window.LuohuCard.el;
  var speech = window.LuohuSpeech;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var typing = document.getElementById("typing");
  var senderLabel = document.getElementById("sender");
  var terms = {};
  var busy = false;
  var state = load();
  save();  // the conversation id is kept from the first visit on
  senderLabel.textContent = state.sender;

  function newSender() {
    var bytes = new Uint8Array(8);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && typeof saved.sender === "string" && Array.isArray(saved.entries)) return saved;
    } catch (e) { /* private mode or a damaged entry: start afresh */ }
    return {sender: newSender(), entries: []};
  }

  function save() {
    state.entries = state.entries.slice(-KEEP);
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* storage full or off */ }
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function disableOptions() {
    Array.prototype.forEach.call(log.querySelectorAll(".options .option"), function (b) { b.disabled = true; });
  }

  function addUser(text) {
    var msg = el("div", "msg user");
    msg.appendChild(el("div", "bubble plain-text", text));
    log.appendChild(msg);
    return msg;
  }

  function addError(text) {
    var msg = el("div", "msg bot error");
    msg.appendChild(el("div", "bubble plain-text", text));
    speech.attach(msg);
    log.appendChild(msg);
    return msg;
  }

  function optionButtons(options) {
    var group = el("div", "options");
    options.forEach(function (o) {
      var title = o.title !== undefined ? o.title : String(o.value);
      var button = el("button", "option", title);
      button.type = "button";
      button.addEventListener("click", function () {
        if (busy || button.disabled) return;
        button.classList.add("chosen");
        send(String(o.payload), title);
      });
      group.appendChild(button);
    });
    return group;
  }

  /* Under a question: about how many are left ("还需约3个问题", from payload.remaining), said in words (the
   * text is the whole message: no colour or bar alone carries it). */
  function progressLine(remaining) {
    var texts = terms && terms.progress;
    if (!texts || typeof remaining !== "number" || remaining < 1) return null;
    var text = remaining === 1 ? texts.one : texts.many.replace("{n}", String(Math.round(remaining)));
    var line = el("p", "progress", text);
    line.setAttribute("aria-label", text);
    return line;
  }

    /* One turn of the assistant: its texts, the options of its question, its assessment card.
   * The REST channel splits a text at blank lines, so the explanation sent with an assessment arrives as
   * the run of texts just before it, from its heading (which names the date, as_of) on: that run goes
   * inside the card, folded, instead of filling the screen. */
  function addBot(replies) {
    var msg = el("div", "msg bot");
    var run = [];  // text bubbles since the last options or card
    (replies || []).forEach(function (r) {
      if (typeof r.text === "string" && r.text) {
        var bubble = el("div", "bubble plain-text", r.text);
        msg.appendChild(bubble);
        run.push(bubble);
      }
      if (Array.isArray(r.buttons) && r.buttons.length) {
        msg.appendChild(optionButtons(r.buttons));
        run = [];
      }
      var custom = r.custom;
      if (!custom || typeof custom !== "object") return;
      if (custom.type === "ask") {
        var line = progressLine(custom.remaining);
        if (line) msg.appendChild(line);
      }
      if (custom.type === "ask" && Array.isArray(custom.options) && custom.options.length) {
        msg.appendChild(optionButtons(custom.options));
        run = [];
      } else if (custom.type === "assessment" && Array.isArray(custom.channels)) {
        var explanation = null;
        for (var i = run.length - 1; i >= 0; i--) {
          if (custom.as_of && run[i].textContent.indexOf(custom.as_of) >= 0) {
            explanation = run.slice(i).map(function (b) {
              msg.removeChild(b);
              return b.textContent;
            }).join("\n\n");
            break;
          }
        }
        msg.appendChild(window.LuohuCard.render(custom, {terms: terms, explanation: explanation}));
        run = [];
      }
    });
    if (!msg.childNodes.length) return null;
    speech.attach(msg);
    log.appendChild(msg);
    return msg;
  }

  /* After a turn answered by an option (now disabled, so the keyboard's focus is lost): on to the card's
   * title, else the first option of the new question, else the input. Typing in the input keeps it there. */
  function focusAfterTurn(msg) {
    var current = document.activeElement;
    if (current && current !== document.body && !current.disabled) return;
    var title = msg && msg.querySelector(".assessment-card .card-title");
    var option = msg && msg.querySelector(".options .option:not([disabled])");
    if (title) {
      title.tabIndex = -1;
      title.focus({preventScroll: true});
    } else if (option) {
      option.focus({preventScroll: true});
    } else {
      input.focus({preventScroll: true});
    }
  }

  function setBusy(on) {
    busy = on;
    typing.hidden = !on;
    sendButton.disabled = on;
  }

  function send(message, shown) {
    message = String(message || "").trim();
    if (!message || busy) return;
    disableOptions();
    var text = shown || message;
    addUser(text);
    state.entries.push({who: "user", text: text});
    save();
    setBusy(true);
    scrollDown();
    fetch(WEBHOOK, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      // a message id: nginx may pass the request to another instance, which then does not handle it twice
      body: JSON.stringify({sender: state.sender, message: message, message_id: newSender().slice(4)})
    }).then(function (r) {
      if (r.ok) return r.json();
      // The server's own reason (a 400 or 413 from the input limits) is Chinese and meant for the resident.
      return r.json().catch(function () { return {}; }).then(function (body) {
        var err = new Error(body && body.error ? body.error : "HTTP " + r.status);
        err.fromServer = Boolean(body && body.error);
        throw err;
      });
    }).then(function (replies) {
      if (!Array.isArray(replies) || !replies.length) {
        return addError("助手没有回复，请换个说法再试，或点“转人工”。");
      }
      state.entries.push({who: "bot", replies: replies});
      save();
      return addBot(replies);
    }).catch(function (err) {
      return addError(err && err.fromServer ? err.message : "网络连接失败，请稍后再试。");
    }).then(function (msg) {
      setBusy(false);
      scrollDown();
      var card = msg && msg.querySelector(".assessment-card");
      if (card) card.scrollIntoView({block: "start"});
      focusAfterTurn(msg);
    });
  }

  function redraw() {
    // the transcript drawn again is not news: not announced by screen readers
    log.setAttribute("aria-live", "off");
    speech.stop();
    Array.prototype.slice.call(log.children).forEach(function (child) {
      if (child.id !== "welcome") log.removeChild(child);
    });
    Array.prototype.forEach.call(document.querySelectorAll("#examples .option"), function (b) {
      b.disabled = false;
      b.classList.remove("chosen");
    });
    var previous = null;
    state.entries.forEach(function (entry) {
      if (entry.who === "user") {
        if (previous) {  // the option the resident clicked stays marked
          Array.prototype.forEach.call(previous.querySelectorAll(".option"), function (b) {
            if (b.textContent === entry.text) b.classList.add("chosen");
          });
        }
        addUser(entry.text);
        previous = null;
      } else if (entry.who === "bot") {
        previous = addBot(entry.replies);
      }
    });
    if (state.entries.length) {
      // only the options of the assistant's latest turn can still be answered
      disableOptions();
      var last = state.entries[state.entries.length - 1];
      if (last.who === "bot" && log.lastElementChild) {
        Array.prototype.forEach.call(log.lastElementChild.querySelectorAll(".options .option"), function (b) {
          b.disabled = false;
        });
      }
    }
    senderLabel.textContent = state.sender;
    scrollDown();
    setTimeout(function () { log.setAttribute("aria-live", "polite"); }, 0);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) return;
    input.value = "";
    send(text);
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-message]"), function (b) {
    b.addEventListener("click", function () {
      if (b.classList.contains("option")) b.classList.add("chosen");
      send(b.getAttribute("data-message"), b.classList.contains("option") ? null : undefined);
    });
  });

  document.getElementById("restart").addEventListener("click", function () {
    if (busy) return;
    state = {sender: newSender(), entries: []};
    save();
    redraw();
    input.focus();
  });

  speech.attach(document.getElementById("welcome"));
  fetch(TERMS).then(function (r) { return r.ok ? r.json() : {}; })
    .catch(function () { return {}; })
    .then(function (t) { terms = t || {}; redraw(); });
})();
