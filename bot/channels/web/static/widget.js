/* Bespoke chat widget: vanilla JS, no build step, no external resources.
 * Embed: <script src="https://shop.example/widget.js" data-server="https://shop.example"
 *                 data-title="Our shop" data-open="true" data-lang="de"
 *                 data-color="#1d6b4f" data-text-color="#ffffff"></script>
 * (every data-* attribute is optional; the README's table says what each does)
 * One file on purpose, longer than our usual 500 lines: a shop embeds the widget with one
 * script tag and no build step, so there is nothing that could join modules (an ES module
 * import would be a second request and needs CORS on the shop's page).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var scriptUrl = new URL(script.src, document.baseURI);
  var server = (script.dataset.server || scriptUrl.origin).replace(/\/+$/, "");

  // --- the widget's own words (bot replies are never translated) ----------------------
  var STRINGS = {
    en: {
      title: "Chat with us", launcher: "Chat", open: "Open chat: {title}",
      restart: "New conversation", restartLabel: "Start a new conversation", close: "Close chat",
      log: "Conversation", typing: "The assistant is typing", placeholder: "Type your message\u2026",
      input: "Your message", send: "Send", sendLabel: "Send message", retry: "Try again",
      hint: "Hello! Tell us what you would like to order.", you: "You", staff: "{name} (shop staff)", choices: "Choices",
      image: "Image from {title}",
      unreachable: "We can't reach the shop's assistant right now. Your message was not lost: press \u201cTry again\u201d in a moment.",
      slow: "The shop's assistant is taking too long to answer. Your message was not lost: press \u201cTry again\u201d.",
      noHistory: "We can't reach the shop's assistant right now, so the conversation could not be loaded. We keep trying.",
      tooLong: "Sorry, that message is too long ({count} characters). Please keep it under {limit} characters.",
      tooFast: "You are sending messages faster than we can answer. Please wait {seconds} s, then press \u201cTry again\u201d. Your message was not lost.",
      badSender: "This conversation can't go on. Please start a new conversation.",
      empty: "Please type a message.",
      discard: "Start over? The order you have begun will be discarded.", keep: "Keep my order", startOver: "Start over",
      unread: "{open} \u2013 new message",
    },
    de: {
      title: "Schreiben Sie uns", launcher: "Chat", open: "Chat \u00f6ffnen: {title}",
      restart: "Neues Gespr\u00e4ch", restartLabel: "Ein neues Gespr\u00e4ch beginnen", close: "Chat schlie\u00dfen",
      log: "Gespr\u00e4chsverlauf", typing: "Der Assistent schreibt", placeholder: "Ihre Nachricht\u2026",
      input: "Ihre Nachricht", send: "Senden", sendLabel: "Nachricht senden", retry: "Erneut versuchen",
      hint: "Hallo! Sagen Sie uns, was Sie bestellen m\u00f6chten.", you: "Sie", staff: "{name} (Team des Shops)", choices: "Auswahl",
      image: "Bild von {title}",
      unreachable: "Der Assistent des Shops ist gerade nicht erreichbar. Ihre Nachricht ist nicht verloren: Klicken Sie gleich auf \u201eErneut versuchen\u201c.",
      slow: "Der Assistent des Shops braucht zu lange f\u00fcr eine Antwort. Ihre Nachricht ist nicht verloren: Klicken Sie auf \u201eErneut versuchen\u201c.",
      noHistory: "Der Assistent des Shops ist gerade nicht erreichbar, daher konnte das Gespr\u00e4ch nicht geladen werden. Wir versuchen es weiter.",
      tooLong: "Diese Nachricht ist leider zu lang ({count} Zeichen). Bitte bleiben Sie unter {limit} Zeichen.",
      tooFast: "Sie senden Nachrichten schneller, als wir antworten k\u00f6nnen. Bitte warten Sie {seconds} s und klicken Sie dann auf \u201eErneut versuchen\u201c. Ihre Nachricht ist nicht verloren.",
      badSender: "Dieses Gespr\u00e4ch kann nicht fortgesetzt werden. Bitte beginnen Sie ein neues Gespr\u00e4ch.",
      empty: "Bitte geben Sie eine Nachricht ein.",
      discard: "Neu beginnen? Die begonnene Bestellung wird verworfen.", keep: "Bestellung behalten", startOver: "Neu beginnen",
      unread: "{open} \u2013 neue Nachricht",
    },
    fr: {
      title: "\u00c9crivez-nous", launcher: "Chat", open: "Ouvrir le chat\u00a0: {title}",
      restart: "Nouvelle conversation", restartLabel: "Commencer une nouvelle conversation", close: "Fermer le chat",
      log: "Conversation", typing: "L\u2019assistant \u00e9crit", placeholder: "Votre message\u2026",
      input: "Votre message", send: "Envoyer", sendLabel: "Envoyer le message", retry: "R\u00e9essayer",
      hint: "Bonjour\u00a0! Dites-nous ce que vous souhaitez commander.", you: "Vous", staff: "{name} (\u00e9quipe de la boutique)", choices: "Choix",
      image: "Image de {title}",
      unreachable: "Nous ne parvenons pas \u00e0 joindre l\u2019assistant de la boutique. Votre message n\u2019est pas perdu\u00a0: cliquez sur \u00ab\u00a0R\u00e9essayer\u00a0\u00bb dans un instant.",
      slow: "L\u2019assistant de la boutique met trop de temps \u00e0 r\u00e9pondre. Votre message n\u2019est pas perdu\u00a0: cliquez sur \u00ab\u00a0R\u00e9essayer\u00a0\u00bb.",
      noHistory: "Nous ne parvenons pas \u00e0 joindre l\u2019assistant de la boutique\u00a0; la conversation n\u2019a pas pu \u00eatre charg\u00e9e. Nous r\u00e9essayons.",
      tooLong: "D\u00e9sol\u00e9, ce message est trop long ({count} caract\u00e8res). Merci de rester sous {limit} caract\u00e8res.",
      tooFast: "Vous envoyez des messages plus vite que nous ne pouvons r\u00e9pondre. Attendez {seconds} s, puis cliquez sur \u00ab\u00a0R\u00e9essayer\u00a0\u00bb. Votre message n\u2019est pas perdu.",
      badSender: "Cette conversation ne peut pas continuer. Merci de commencer une nouvelle conversation.",
      empty: "Veuillez \u00e9crire un message.",
      discard: "Recommencer\u00a0? La commande commenc\u00e9e sera abandonn\u00e9e.", keep: "Garder ma commande", startOver: "Recommencer",
      unread: "{open} \u2013 nouveau message",
    },
    es: {
      title: "Escr\u00edbenos", launcher: "Chat", open: "Abrir chat: {title}",
      restart: "Nueva conversaci\u00f3n", restartLabel: "Empezar una nueva conversaci\u00f3n", close: "Cerrar chat",
      log: "Conversaci\u00f3n", typing: "El asistente est\u00e1 escribiendo", placeholder: "Escribe tu mensaje\u2026",
      input: "Tu mensaje", send: "Enviar", sendLabel: "Enviar mensaje", retry: "Reintentar",
      hint: "\u00a1Hola! Cu\u00e9ntanos qu\u00e9 te gustar\u00eda pedir.", you: "T\u00fa", staff: "{name} (equipo de la tienda)", choices: "Opciones",
      image: "Imagen de {title}",
      unreachable: "No podemos contactar con el asistente de la tienda ahora mismo. Tu mensaje no se ha perdido: pulsa \u00abReintentar\u00bb en un momento.",
      slow: "El asistente de la tienda tarda demasiado en responder. Tu mensaje no se ha perdido: pulsa \u00abReintentar\u00bb.",
      noHistory: "No podemos contactar con el asistente de la tienda, as\u00ed que no se pudo cargar la conversaci\u00f3n. Lo seguimos intentando.",
      tooLong: "Lo sentimos, ese mensaje es demasiado largo ({count} caracteres). No superes los {limit} caracteres.",
      tooFast: "Est\u00e1s enviando mensajes m\u00e1s r\u00e1pido de lo que podemos responder. Espera {seconds} s y pulsa \u00abReintentar\u00bb. Tu mensaje no se ha perdido.",
      badSender: "Esta conversaci\u00f3n no puede continuar. Empieza una nueva conversaci\u00f3n.",
      empty: "Escribe un mensaje.",
      discard: "\u00bfEmpezar de nuevo? Se descartar\u00e1 el pedido que has empezado.", keep: "Mantener mi pedido", startOver: "Empezar de nuevo",
      unread: "{open} \u2013 mensaje nuevo",
    },
  };
  // The customer's language (data-lang, sent to the server with each message) and the
  // interface's: "de-AT" -> German; a language without strings here -> English.
  var requested = String(script.dataset.lang || "en").trim();
  var lang = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(requested) ? requested : "en";
  var words = STRINGS[lang.split("-")[0].toLowerCase()] || STRINGS.en;
  var uiLang = words === STRINGS.en ? "en" : lang;
  function t(name, values) {
    return words[name].replace(/\{(\w+)\}/g, function (all, key) { return values && key in values ? values[key] : all; });
  }
  // Numbers and times: as the interface's language writes them, or the browser's without data-lang.
  var formatLocale = script.dataset.lang ? uiLang : undefined;
  function number(value) { return Number(value).toLocaleString(formatLocale); }

  var title = script.dataset.title || t("title");
  var startOpen = script.dataset.open === "true";
  var senderKey = "bespoke-chat:sender:" + server;
  var freshKey = "bespoke-chat:fresh:" + server;      // the id that has sent nothing yet
  var updatedKey = "bespoke-chat:updated:" + server;  // written after each answer, read by other tabs

  // Colours: only plain colour values are taken (no url(), no ";"), and only through custom
  // properties, so an attribute cannot add other CSS.
  function safeColor(value) {
    value = String(value || "").trim();
    var plain = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value) ||
      /^(rgb|rgba|hsl|hsla)\([0-9.,%\s\/deg+-]{1,60}\)$/i.test(value) || /^[a-z]{3,30}$/i.test(value);
    if (plain && window.CSS && CSS.supports && CSS.supports("color", value)) return value;
    if (value) console.warn("bespoke chat: ignoring the colour " + JSON.stringify(value));
    return null;
  }

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", scriptUrl).href;
  document.head.appendChild(css);

  // --- the conversation id, kept in the browser (shared by the tabs of one site) ----
  function newId() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function read(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function write(key, value) {
    try {
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (e) { /* private mode: this page only */ }
  }
  function validSender(id) { return !!id && /^web:[A-Za-z0-9_-]{8,64}$/.test(id); }
  // A new id has no conversation on the server yet: asking for its history would only
  // make Rasa load (and, with some tracker stores, keep) an empty one for every visitor.
  var freshInMemory = null;  // where localStorage cannot be used
  function isFresh() { return (storage ? read(freshKey) : freshInMemory) === sender; }
  function startNewSender() {
    sender = "web:" + newId();
    freshInMemory = sender;
    write(freshKey, sender);
    write(senderKey, sender);
  }
  var storage = (function () {
    try { localStorage.setItem("bespoke-chat:probe", "1"); localStorage.removeItem("bespoke-chat:probe"); return true; } catch (e) { return false; }
  })();
  var sender = read(senderKey);
  if (!validSender(sender)) startNewSender();

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

  var root = el("div", { class: "bespoke-chat", "data-bespoke-chat": "", lang: uiLang });
  var accent = safeColor(script.dataset.color);
  var onAccent = safeColor(script.dataset.textColor);
  if (accent) root.style.setProperty("--bespoke-accent", accent);
  if (onAccent) root.style.setProperty("--bespoke-on-accent", onAccent);
  var launcher = el("button", { type: "button", class: "bespoke-launcher", "aria-label": t("open", { title: title }), "aria-expanded": "false", text: t("launcher") });
  var panel = el("section", { class: "bespoke-panel", role: "dialog", "aria-label": title, hidden: "" });
  var heading = el("h2", { class: "bespoke-title", text: title });
  var restart = el("button", { type: "button", class: "bespoke-restart", "aria-label": t("restartLabel"), text: t("restart") });
  var close = el("button", { type: "button", class: "bespoke-close", "aria-label": t("close"), text: "\u00d7" });
  var header = el("header", { class: "bespoke-header" }, [heading, restart, close]);
  // "New conversation" with an order in progress: asked here, in the panel (not window.confirm).
  var confirmText = el("p", { class: "bespoke-confirm-text", id: "bespoke-confirm-text", text: t("discard") });
  var keepOrder = el("button", { type: "button", class: "bespoke-keep", text: t("keep") });
  var startOver = el("button", { type: "button", class: "bespoke-start-over", text: t("startOver") });
  var confirmBox = el("div", { class: "bespoke-confirm", role: "alertdialog", "aria-labelledby": "bespoke-confirm-text", hidden: "" },
    [confirmText, el("div", { class: "bespoke-confirm-buttons" }, [keepOrder, startOver])]);
  var log = el("div", { class: "bespoke-log", role: "log", "aria-live": "polite", "aria-label": t("log"), tabindex: "0" });
  var notice = el("div", { class: "bespoke-notice", role: "alert", hidden: "" });
  var noticeText = el("span", { class: "bespoke-notice-text" });
  var retry = el("button", { type: "button", class: "bespoke-retry", text: t("retry"), hidden: "" });
  notice.appendChild(noticeText);
  notice.appendChild(retry);
  var typing = el("div", { class: "bespoke-typing", role: "status", "aria-label": t("typing"), hidden: "" },
    [el("span"), el("span"), el("span")]);
  var input = el("textarea", { class: "bespoke-input", rows: "1", "aria-label": t("input"), placeholder: t("placeholder") });
  var send = el("button", { type: "submit", class: "bespoke-send", "aria-label": t("sendLabel"), text: t("send") });
  var form = el("form", { class: "bespoke-form" }, [input, send]);
  panel.appendChild(header);
  panel.appendChild(confirmBox);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(notice);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  // News from the shop (or a staff message) while the chat is closed: the button says so
  // until the chat is opened (the server keeps the news for then: news_waiting).
  var unreadDot = el("span", { class: "bespoke-unread-dot", "aria-hidden": "true", hidden: "" });
  launcher.appendChild(unreadDot);
  function setUnread(unread) {
    unreadDot.hidden = !unread;
    launcher.classList.toggle("bespoke-unread", unread);
    launcher.setAttribute("aria-label", unread ? t("unread", { open: t("open", { title: title }) }) : t("open", { title: title }));
  }
  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { setUnread(false); input.focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(true); refreshHistory(); });
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
      text: date.toLocaleTimeString(formatLocale, { hour: "2-digit", minute: "2-digit" }),
    });
  }

  function disableOlderButtons() {
    Array.prototype.forEach.call(log.querySelectorAll(".bespoke-buttons button"), function (button) {
      button.disabled = true;
    });
  }
  function openChoices() { return log.querySelectorAll(".bespoke-choice:enabled"); }

  function addMessage(message) {
    var who = message.from === "user" ? "user" : "bot";
    var bubble = el("div", { class: "bespoke-msg bespoke-" + who });
    if (message.staff) {
      // A person of the shop took the conversation over: say who is writing.
      bubble.classList.add("bespoke-staff");
      bubble.appendChild(el("span", { class: "bespoke-author", text: t("staff", { name: message.staff }) }));
    } else {
      bubble.appendChild(el("span", { class: "bespoke-sr", text: (who === "user" ? t("you") : title) + ": " }));
    }
    if (message.text) bubble.appendChild(el("div", { class: "bespoke-text" }, [richText(message.text)]));
    if (message.image) bubble.appendChild(el("img", { class: "bespoke-image", src: message.image, alt: t("image", { title: title }), loading: "lazy" }));
    if (message.buttons && message.buttons.length) {
      var group = el("div", { class: "bespoke-buttons", role: "group", "aria-label": t("choices") });
      message.buttons.forEach(function (choice) {
        var button = el("button", { type: "button", class: "bespoke-choice", text: choice.title });
        button.addEventListener("click", function (event) {
          if (button.disabled || busy) return;
          deliver({ payload: choice.payload, shown: choice.title, typed: null, group: group, id: newId() });
          // Chosen with Enter or Space: the keyboard goes on in the text box.
          if (event.detail === 0) { input.focus(); cameBackFromChoices = false; }
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

  // What went wrong, in the widget's language: by the server's error code, else its message.
  function errorText(failure, fallback, sent) {
    var response = failure && failure.response;
    var body = (failure && failure.body) || {};
    switch (body.error) {
      case "rasa_unavailable": return t("unreachable");
      case "rasa_timeout": return t("slow");
      case "message_too_long": return t("tooLong", { count: number(sent ? sent.length : 0), limit: number(body.limit || 2000) });
      case "rate_limited": return t("tooFast", { seconds: number(retryAfter(response, body)) });
      case "bad_sender": return t("badSender");
      case "empty_message": return t("empty");
    }
    if (response && response.status === 429) return t("tooFast", { seconds: number(retryAfter(response, body)) });
    if (body.message && words === STRINGS.en) return body.message;
    return fallback || t("unreachable");
  }
  // Seconds to wait: the header (read cross-origin only because the server exposes it), else the body's.
  function retryAfter(response, body) {
    var seconds = response ? parseInt(response.headers.get("Retry-After"), 10) : NaN;
    if (isNaN(seconds)) seconds = parseInt(body.retry_after, 10);
    return isNaN(seconds) || seconds < 1 ? 1 : seconds;
  }

  function getJson(response) {
    return response.json().catch(function () { return null; }).then(function (body) {
      if (!response.ok) throw { response: response, body: body };
      return body || {};
    });
  }

  // --- talking to the server ---------------------------------------------------------
  var busy = false;
  function setBusy(value) {
    busy = value;
    send.disabled = value;
    typing.hidden = !value;
    root.classList.toggle("bespoke-busy", value);
    if (!value && staleHistory) refreshHistory();
  }

  // The message that could not be delivered, to send again with the same id (the server
  // then gives Rasa a message at most once, even when its first answer came too late).
  var undelivered = null;

  // Sends one message: `payload` to the bot, `shown` in the conversation. `typed` is the text
  // taken from the input box (put back when it could not be delivered); `group` the buttons clicked.
  function deliver(item) {
    if (busy) return;
    setBusy(true);
    hideNotice();
    undelivered = null;
    if (item.group) Array.prototype.forEach.call(item.group.querySelectorAll("button"), function (b) { b.disabled = true; });
    var bubble = addMessage({ from: "user", text: item.shown });
    bubble.classList.add("bespoke-pending");
    var conversation = sender;
    fetch(server + "/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: conversation, message: item.payload, id: item.id, lang: lang }),
    }).then(getJson).then(function (body) {
      if (conversation !== sender) return;  // a new conversation was started meanwhile
      if (isFresh()) { freshInMemory = null; write(freshKey, null); }
      bubble.classList.remove("bespoke-pending");
      disableOlderButtons();
      (body.messages || []).forEach(addMessage);
      cameBackFromChoices = false;  // Tab from the text box goes to the new buttons
      write(updatedKey, sender + " " + Date.now());
      if (historyFailed) staleHistory = true;  // the earlier messages could not be shown yet
    }).catch(function (failure) {
      if (conversation !== sender) return;
      bubble.remove();
      if (item.group) Array.prototype.forEach.call(item.group.querySelectorAll("button"), function (b) { b.disabled = false; });
      var status = failure && failure.response ? failure.response.status : 0;
      if (item.typed !== null && !input.value) input.value = item.typed;  // kept, not lost
      var final = status === 413 || status === 400;
      if (!final) undelivered = item;
      showNotice(errorText(failure, null, item.payload), final ? null : function () {
        if (item.typed !== null && input.value === item.typed) input.value = "";
        deliver(item);
      });
    }).then(function () {
      if (conversation === sender) setBusy(false);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    var again = undelivered && undelivered.typed === text;  // the same message, sent with Enter
    deliver(again ? undelivered : { payload: text, shown: text, typed: text, group: null, id: newId() });
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
    // Keyboard only: Tab from the empty text box goes to the open question's buttons (their
    // Tab order leads back here, and the next Tab goes on to Send and out of the chat).
    if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey &&
        !input.value.trim() && !cameBackFromChoices) {
      var choices = openChoices();
      if (choices.length) { event.preventDefault(); choices[0].focus(); }
    }
  });
  var cameBackFromChoices = false;
  input.addEventListener("focus", function (event) {
    var from = event.relatedTarget;
    cameBackFromChoices = !!from && root.contains(from) && (from.classList.contains("bespoke-choice") || from === retry);
  });
  input.addEventListener("blur", function () { cameBackFromChoices = false; });

  // --- the conversation so far -------------------------------------------------------
  var historyFailed = false;
  var staleHistory = false;   // another tab added to the conversation
  var historyTimer = null;
  var historyAttempt = 0;

  function render(messages) {
    log.textContent = "";
    log.appendChild(el("p", { class: "bespoke-hint", text: t("hint") }));
    messages.forEach(addMessage);
    // Only the buttons of the bot's latest answer can still be chosen.
    var lastUser = log.querySelectorAll(".bespoke-user");
    Array.prototype.forEach.call(log.querySelectorAll(".bespoke-buttons"), function (group) {
      var answered = lastUser.length && (group.parentNode.compareDocumentPosition(lastUser[lastUser.length - 1]) & Node.DOCUMENT_POSITION_FOLLOWING);
      if (answered) Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  }

  // Loads the history from the server; when it cannot, says so and tries again by itself
  // after 1, 2, 4 ... 30 seconds ("Try again" tries at once).
  function loadHistory(quiet, polling) {
    var conversation = sender;
    clearTimeout(historyTimer);
    staleHistory = false;
    if (!quiet) { render([]); confirmBox.hidden = true; }  // another conversation: nothing to ask about
    if (isFresh()) {
      historyFailed = false;
      root.setAttribute("data-ready", "true");
      return Promise.resolve();
    }
    // While the chat is closed the shop's news waits on the server (shown when it opens).
    var query = "?sender=" + encodeURIComponent(conversation) + (polling ? "&poll=1" : "") + (panel.hidden ? "&closed=1" : "");
    return fetch(server + "/api/history" + query).then(getJson).then(function (body) {
      if (conversation !== sender) return;
      paused = !!body.paused;
      if (body.news_waiting && panel.hidden) setUnread(true);
      if (body.messages === null) {  // a periodic check: nothing new ...
        // ... unless staff just handed the conversation back: the bot's answers to what the
        // customer wrote meanwhile are read once more.
        if (polling && staffHad) { staffHad = false; return loadHistory(true); }
        return;
      }
      if (polling) staffHad = true;  // only a conversation staff have is read by the periodic check
      if (busy) staleHistory = true;  // drawn again after the message being sent
      else if (!quiet || (body.messages || []).length !== shownCount()) {
        // Grown while the chat is closed (staff wrote during a takeover): unread.
        if (quiet && panel.hidden && (body.messages || []).length > shownCount()) setUnread(true);
        render(body.messages || []);
      }
      if (historyFailed && !undelivered) hideNotice();
      historyFailed = false;
      historyAttempt = 0;
    }).catch(function (failure) {
      if (conversation !== sender) return;
      historyFailed = true;
      // A message waiting for "Try again" keeps its notice; the history is tried again anyway.
      if (!busy && !undelivered) {
        var badSender = failure && failure.body && failure.body.error === "bad_sender";
        showNotice(t(badSender ? "badSender" : "noHistory"), function () { historyAttempt = 0; loadHistory(true); });
      }
      historyTimer = setTimeout(function () { loadHistory(true); }, Math.min(30, Math.pow(2, historyAttempt++)) * 1000);
    }).then(function () {
      root.setAttribute("data-ready", "true");
    });
  }
  function refreshHistory() {
    if (busy) { staleHistory = true; return; }
    loadHistory(true);
  }
  function shownCount() { return log.querySelectorAll(".bespoke-msg").length; }

  // Staff may take the conversation over and write at any time: while the page is visible,
  // the widget checks every 8 s (a small query on the server, no call to Rasa), and while
  // staff have the conversation it reads the history every 4 s, drawn again only when it grew.
  var paused = false;
  var staffHad = false;  // the periodic check read the history: staff had the conversation
  function poll() {
    setTimeout(poll, (paused ? 4 : 8) * 1000);
    if (document.visibilityState !== "visible" || busy || historyFailed || undelivered || isFresh()) return;
    loadHistory(true, true);
  }
  setTimeout(poll, 4000);

  // Another tab of this site: a new conversation there is taken up here; a message there
  // is shown here at once when this tab is visible, else when it becomes visible again.
  window.addEventListener("storage", function (event) {
    if (event.key === senderKey && validSender(event.newValue) && event.newValue !== sender) {
      sender = event.newValue;
      undelivered = null;
      setBusy(false);
      hideNotice();
      loadHistory(false);
    } else if (event.key === updatedKey && event.newValue && event.newValue.split(" ")[0] === sender) {
      staleHistory = true;
      if (document.visibilityState === "visible") refreshHistory();
    }
  });
  function onShown() {
    if (document.visibilityState !== "visible") return;
    var stored = read(senderKey);
    if (validSender(stored) && stored !== sender) {
      sender = stored;
      undelivered = null;
      setBusy(false);
      hideNotice();
      loadHistory(false);
    } else if (staleHistory) {
      refreshHistory();
    }
  }
  document.addEventListener("visibilitychange", onShown);
  window.addEventListener("focus", onShown);

  function startConversation() {
    confirmBox.hidden = true;
    startNewSender();
    undelivered = null;
    setBusy(false);
    hideNotice();
    input.value = "";
    loadHistory(false);
    input.focus();
  }
  // Whether the conversation holds an order begun and not yet placed or cancelled: the
  // server's order_in_progress (the tracker's slots), asked when the customer wants a new
  // conversation. When it cannot be known (the server not reachable), the customer is asked.
  function orderInProgress() {
    if (isFresh()) return Promise.resolve(false);
    return fetch(server + "/api/history?sender=" + encodeURIComponent(sender)).then(getJson)
      .then(function (body) { return body.order_in_progress !== false; }, function () { return true; });
  }
  function askBeforeDiscarding() {
    confirmBox.hidden = false;
    keepOrder.focus();
  }
  function keepConversation() {
    confirmBox.hidden = true;
    restart.focus();
  }
  restart.addEventListener("click", function () {
    if (!confirmBox.hidden) { keepOrder.focus(); return; }
    var conversation = sender;
    restart.disabled = true;
    orderInProgress().then(function (inProgress) {
      restart.disabled = false;
      if (conversation !== sender) return;  // another tab started one meanwhile
      if (inProgress) askBeforeDiscarding(); else startConversation();
    });
  });
  keepOrder.addEventListener("click", keepConversation);
  startOver.addEventListener("click", startConversation);
  confirmBox.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); keepConversation(); }
    // The two answers keep the keyboard between them until one is chosen.
    if (event.key === "Tab") {
      event.preventDefault();
      (document.activeElement === keepOrder ? startOver : keepOrder).focus();
    }
  });

  // A link from the customer's Telegram chat (?link=ABCD-EFGH, actions/identity.py): the
  // chat opens and the code is typed for them, once (taken out of the address at once).
  function linkCode() {
    var code = null;
    try {
      var params = new URLSearchParams(window.location.search);
      code = params.get("link");
      if (code === null) return null;
      params.delete("link");
      var rest = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    } catch (ignored) { return null; }
    return /^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$/.test(code) ? code : null;
  }
  function mount() {
    document.body.appendChild(root);
    var code = linkCode();
    setOpen(startOpen || !!code);
    loadHistory(false).then(function () {
      if (code) deliver({ payload: "link " + code, shown: "link " + code, typed: null, group: null, id: newId() });
    });
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
