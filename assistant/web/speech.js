/* 读给我听: a button on every message of the assistant that reads it aloud with the browser's own speech
 * synthesis (zh-CN). The buttons are shown only while the browser has a Chinese voice; where it has none
 * (or no speech synthesis at all) they stay hidden. The button and its labels are the page's
 * <template id="read-aloud"> (chat.html). */
(function (global) {
  "use strict";

  var synth = global.speechSynthesis;
  var template = document.getElementById("read-aloud");
  var voice = null;
  var speaking = null;  // the button whose message is being read

  /* A Chinese voice: zh-CN first, then any Mandarin one, then any Chinese one. */
  function chineseVoice() {
    if (!synth || typeof synth.getVoices !== "function" || typeof global.SpeechSynthesisUtterance !== "function") {
      return null;
    }
    var voices = synth.getVoices() || [];
    function find(test) {
      for (var i = 0; i < voices.length; i++) {
        if (test(String(voices[i].lang || "").replace("_", "-").toLowerCase())) return voices[i];
      }
      return null;
    }
    return find(function (l) { return l === "zh-cn" || l === "zh-hans-cn"; }) ||
      find(function (l) { return l.indexOf("cmn") === 0 || l.indexOf("zh-hans") === 0; }) ||
      find(function (l) { return l === "zh" || l.indexOf("zh-") === 0; });
  }

  function buttons() {
    return document.querySelectorAll(".read-aloud");
  }

  function update() {
    voice = chineseVoice();
    Array.prototype.forEach.call(buttons(), function (b) { b.hidden = !voice; });
  }

  function label(button, stop) {
    var text = button.querySelector(".read-aloud-label");
    if (!button.hasAttribute("data-read")) button.setAttribute("data-read", text.textContent);
    text.textContent = stop ? button.getAttribute("data-stop") : button.getAttribute("data-read");
  }

  /* What is read: the message's texts and, of a card, its title, date, summary and each channel's status. */
  function spokenText(msg) {
    var parts = [];
    Array.prototype.forEach.call(msg.querySelectorAll(
      ".bubble, .card-title, .card-meta, .card-summary, .channel-head, .card > .missing"), function (node) {
      var text = (node.innerText || node.textContent || "").replace(/[▸▾]/g, "").trim();
      if (text) parts.push(text);
    });
    return parts.join("。\n");
  }

  /* Some engines stop long utterances after a few seconds: the text goes as one utterance per sentence. */
  function sentences(text) {
    return (text.match(/[^。！？；\n]+[。！？；]?/g) || []).map(function (s) { return s.trim(); })
      .filter(function (s) { return s && !/^[。！？；]$/.test(s); });
  }

  function stop() {
    if (speaking) label(speaking, false);
    speaking = null;
    if (synth) synth.cancel();
  }

  function read(button, msg) {
    var again = speaking === button;
    stop();
    if (again || !voice) return;
    speaking = button;
    label(button, true);
    var parts = sentences(spokenText(msg));
    parts.forEach(function (part, i) {
      var utterance = new global.SpeechSynthesisUtterance(part);
      utterance.lang = "zh-CN";
      utterance.voice = voice;
      if (i === parts.length - 1) {
        utterance.onend = utterance.onerror = function () {
          if (speaking === button) { label(button, false); speaking = null; }
        };
      }
      synth.speak(utterance);
    });
  }

  /* Adds the button to a message of the assistant: after its texts, before its answer options and card. */
  function attach(msg) {
    if (!template || msg.querySelector(".read-aloud")) return;
    var button = template.content.firstElementChild.cloneNode(true);
    button.hidden = !voice;
    button.addEventListener("click", function () { read(button, msg); });
    var before = null;
    Array.prototype.some.call(msg.children, function (child) {
      if (child.classList.contains("options") || child.classList.contains("assessment-card")) before = child;
      return before !== null;
    });
    msg.insertBefore(button, before);
  }

  update();
  if (synth && typeof synth.addEventListener === "function") synth.addEventListener("voiceschanged", update);
  global.LuohuSpeech = {attach: attach, stop: stop};
})(window);
