/* Bespoke chat widget: vanilla JS, no build step, no external resources.
 * Embed: <script src="https://shop.example/widget.js" data-server="https://shop.example"
 *                 data-title="Our shop" data-open="true"></script>
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var scriptUrl = new URL(script.src, document.baseURI);
  var server = (script.dataset.server || scriptUrl.origin).replace(/\/+$/, "");
  var title = script.dataset.title || "Chat with us";
  var startOpen = script.dataset.open === "true";
  var storageKey = "bespoke-chat:sender:" + server;

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", scriptUrl).href;
  document.head.appendChild(css);

  // --- the conversation id, kept in the browser ------------------------------------
  function newSenderId() {
    var id = window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return "web:" + id;
  }
  function storedSender() {
    try { return localStorage.getItem(storageKey); } catch (e) { return null; }
  }
  function storeSender(id) {
    try { localStorage.setItem(storageKey, id); } catch (e) { /* private mode: this page only */ }
  }
  var sender = storedSender();
  if (!sender || !/^web:[A-Za-z0-9_-]{8,64}$/.test(sender)) { sender = newSenderId(); storeSender(sender); }

  // --- the DOM ---------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "class") node.className = attrs[key];
      else if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var root = el("div", { class: "bespoke-chat", "data-bespoke-chat": "" });
  var launcher = el("button", { type: "button", class: "bespoke-launcher", "aria-label": "Open chat: " + title, "aria-expanded": "false", text: "Chat" });
  var panel = el("section", { class: "bespoke-panel", role: "dialog", "aria-label": title, hidden: "" });
  var heading = el("h2", { class: "bespoke-title", text: title });
  var restart = el("button", { type: "button", class: "bespoke-restart", "aria-label": "Start a new conversation", text: "New conversation" });
  var close = el("button", { type: "button", class: "bespoke-close", "aria-label": "Close chat", text: "\u00d7" });
  var header = el("header", { class: "bespoke-header" }, [heading, restart, close]);
  var log = el("div", { class: "bespoke-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
  var notice = el("div", { class: "bespoke-notice", role: "alert", hidden: "" });
  var noticeText = el("span", { class: "bespoke-notice-text" });
  var retry = el("button", { type: "button", class: "bespoke-retry", text: "Try again", hidden: "" });
  notice.appendChild(noticeText);
  notice.appendChild(retry);
  var typing = el("div", { class: "bespoke-typing", role: "status", "aria-label": "The assistant is typing", hidden: "" },
    [el("span"), el("span"), el("span")]);
  var input = el("textarea", { class: "bespoke-input", rows: "1", "aria-label": "Your message", placeholder: "Type your message\u2026" });
  var send = el("button", { type: "submit", class: "bespoke-send", "aria-label": "Send message", text: "Send" });
  var form = el("form", { class: "bespoke-form" }, [input, send]);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(notice);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) input.focus();
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); launcher.focus(); });

  // --- rendering -------------------------------------------------------------------
  // Text with line breaks and **bold**; built as DOM nodes, never as HTML.
  function richText(text) {
    var fragment = document.createDocumentFragment();
    String(text).split("\n").forEach(function (line, index) {
      if (index > 0) fragment.appendChild(document.createElement("br"));
      line.split(/(\*\*[^*]+\*\*)/).forEach(function (part) {
        if (/^\*\*[^*]+\*\*$/.test(part)) fragment.appendChild(el("strong", { text: part.slice(2, -2) }));
        else if (part) fragment.appendChild(document.createTextNode(part));
      });
    });
    return fragment;
  }

  function timeLabel(timestamp) {
    var date = timestamp ? new Date(timestamp * 1000) : new Date();
    return el("time", {
      class: "bespoke-time", datetime: date.toISOString(),
      text: date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    });
  }

  function disableOlderButtons() {
    Array.prototype.forEach.call(log.querySelectorAll(".bespoke-buttons button"), function (button) {
      button.disabled = true;
    });
  }

  function addMessage(message) {
    var who = message.from === "user" ? "user" : "bot";
    var bubble = el("div", { class: "bespoke-msg bespoke-" + who });
    bubble.appendChild(el("span", { class: "bespoke-sr", text: who === "user" ? "You: " : title + ": " }));
    if (message.text) bubble.appendChild(el("div", { class: "bespoke-text" }, [richText(message.text)]));
    if (message.image) bubble.appendChild(el("img", { class: "bespoke-image", src: message.image, alt: "Image from " + title, loading: "lazy" }));
    if (message.buttons && message.buttons.length) {
      var group = el("div", { class: "bespoke-buttons", role: "group", "aria-label": "Choices" });
      message.buttons.forEach(function (choice) {
        var button = el("button", { type: "button", class: "bespoke-choice", text: choice.title });
        button.addEventListener("click", function () {
          if (button.disabled || busy) return;
          deliver(choice.payload, choice.title, null, group);
        });
        group.appendChild(button);
      });
      bubble.appendChild(group);
    }
    bubble.appendChild(timeLabel(message.timestamp));
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function showNotice(text, onRetry) {
    noticeText.textContent = text;
    notice.hidden = false;
    retry.hidden = !onRetry;
    retry.onclick = onRetry ? function () { hideNotice(); onRetry(); } : null;
  }
  function hideNotice() { notice.hidden = true; retry.onclick = null; }

  var UNREACHABLE = "We can't reach the shop's assistant right now. Your message was not lost: press \u201cTry again\u201d in a moment.";

  var NO_HISTORY = "We can't reach the shop's assistant right now, so the conversation could not be loaded.";

  function errorText(response, body, fallback) {
    if (body && body.message) return body.message;
    return response && response.status === 413 ? "Sorry, that message is too long. Please shorten it." : (fallback || UNREACHABLE);
  }

  // --- talking to the server ---------------------------------------------------------
  var busy = false;
  function setBusy(value) {
    busy = value;
    send.disabled = value;
    typing.hidden = !value;
    root.classList.toggle("bespoke-busy", value);
  }

  // Sends one message: `payload` to the bot, `shown` in the conversation. `typed` is the text
  // taken from the input box (put back when it could not be delivered); `group` the buttons clicked.
  function deliver(payload, shown, typed, group) {
    if (busy) return;
    setBusy(true);
    hideNotice();
    if (group) Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
    var bubble = addMessage({ from: "user", text: shown });
    bubble.classList.add("bespoke-pending");
    var conversation = sender;
    fetch(server + "/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: conversation, message: payload }),
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) throw { response: response, body: body };
        return body;
      });
    }).then(function (body) {
      if (conversation !== sender) return;  // a new conversation was started meanwhile
      bubble.classList.remove("bespoke-pending");
      disableOlderButtons();
      (body.messages || []).forEach(addMessage);
    }).catch(function (failure) {
      if (conversation !== sender) return;
      bubble.remove();
      if (group) Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = false; });
      var status = failure && failure.response ? failure.response.status : 0;
      if (typed !== null && !input.value) input.value = typed;  // kept, not lost
      var again = status === 413 || status === 400 ? null : function () {
        if (typed !== null) { if (input.value === typed) input.value = ""; }
        deliver(payload, shown, typed, group);
      };
      var text = errorText(failure && failure.response, failure && failure.body);
      if (again && text !== UNREACHABLE) text += " Your message was not lost: press \u201cTry again\u201d.";
      showNotice(text, again);
    }).then(function () {
      if (conversation === sender) setBusy(false);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    deliver(text, text, text, null);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function loadHistory() {
    var conversation = sender;
    log.textContent = "";
    log.appendChild(el("p", { class: "bespoke-hint", text: "Hello! Tell us what you would like to order." }));
    return fetch(server + "/api/history?sender=" + encodeURIComponent(conversation)).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) throw { response: response, body: body };
        return body;
      });
    }).then(function (body) {
      if (conversation !== sender) return;
      var messages = body.messages || [];
      messages.forEach(addMessage);
      // Only the buttons of the bot's latest answer can still be chosen.
      var groups = log.querySelectorAll(".bespoke-buttons");
      var lastUser = log.querySelectorAll(".bespoke-user");
      Array.prototype.forEach.call(groups, function (group) {
        var bubble = group.parentNode;
        var answered = lastUser.length && (bubble.compareDocumentPosition(lastUser[lastUser.length - 1]) & Node.DOCUMENT_POSITION_FOLLOWING);
        if (answered) Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
      });
      root.setAttribute("data-ready", "true");
    }).catch(function (failure) {
      if (conversation !== sender) return;
      showNotice(errorText(failure && failure.response, failure && failure.body, NO_HISTORY), loadHistory);
      root.setAttribute("data-ready", "true");
    });
  }

  restart.addEventListener("click", function () {
    sender = newSenderId();
    storeSender(sender);
    setBusy(false);
    hideNotice();
    input.value = "";
    loadHistory();
    input.focus();
  });

  function mount() {
    document.body.appendChild(root);
    setOpen(startOpen);
    loadHistory();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
