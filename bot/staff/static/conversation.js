/* The staff transcript page of a conversation taken over: the customer's new messages (and
 * what colleagues write) appear without a reload. The server renders the new turns (escaped
 * by its templates); this only asks every few seconds while the page is visible, more
 * slowly after errors. Without JavaScript the page works the same, by reloading it. */
(function () {
  "use strict";
  var list = document.querySelector("ol.transcript[data-turns-url]");
  if (!list) return;
  var url = list.getAttribute("data-turns-url");
  var after = list.getAttribute("data-after") || "0";
  var EVERY_S = 4;
  var delay = EVERY_S;
  var timer = null;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(look, delay * 1000);
  }
  function look() {
    if (document.visibilityState !== "visible") return;  // visibilitychange starts it again
    fetch(url + "?after=" + encodeURIComponent(after), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      delay = EVERY_S;
      if (body.html) {
        list.insertAdjacentHTML("beforeend", body.html);
        var empty = document.getElementById("nothing-yet");
        if (empty) empty.remove();
      }
      after = String(body.last);
    }).catch(function () {
      delay = Math.min(60, delay * 2);  // signed out, server restarting: ask less often
    }).then(schedule);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") schedule();
  });
  schedule();
})();
