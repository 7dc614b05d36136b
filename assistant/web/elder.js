/* 长辈模式 (large text) of the residents' chat: larger text and buttons, higher contrast (chat.css,
 * html.elder). Loaded in the page's head so that the mode is on before the first paint; the choice is
 * remembered on the device (localStorage). The switch is the header's button #elder (aria-pressed). */
(function () {
  "use strict";

  var KEY = "suzhou-luohu.elder.v1";
  var root = document.documentElement;

  function saved() {
    try { return localStorage.getItem(KEY) === "on"; } catch (e) { return false; }
  }

  function apply(on) {
    root.classList.toggle("elder", on);
    var button = document.getElementById("elder");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  apply(saved());
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("elder");
    apply(root.classList.contains("elder"));
    button.addEventListener("click", function () {
      var on = !root.classList.contains("elder");
      apply(on);
      try { localStorage.setItem(KEY, on ? "on" : "off"); } catch (e) { /* private mode: for this visit only */ }
    });
  });
})();
