/* An inspection round on a phone: every entry is kept in this browser (localStorage, one
   key per round) and sent to the server as a draft a moment after the last change, so a
   reload or a lost connection loses nothing. The submission key is made once per round and
   kept with the entries, so a second submit of the same round is recorded once. */
(function () {
  "use strict";
  var done = document.getElementById("round-submitted");
  if (done) {
    try { localStorage.removeItem("wennuan-round-" + done.dataset.round); } catch (e) { /* private mode */ }
    return;
  }
  var form = document.getElementById("round-form");
  if (!form) return;
  var storeKey = "wennuan-round-" + form.dataset.round;
  var editable = form.dataset.editable === "1";
  var serverT = Number(form.dataset.draftT || 0);
  var keyInput = form.querySelector("input[name=key]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var statusEl = document.getElementById("save-status");
  var text = JSON.parse(document.getElementById("round-messages").textContent);
  var entry = /^f\d+-/;
  var timer = null;
  var pending = null;

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && entry.test(el.name) && el.type !== "file";
    });
  }

  function collect() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "radio") {
        if (el.checked) values[el.name] = el.value;
      } else if (el.value !== "") {
        values[el.name] = el.value;
      }
    });
    return {values: values, key: keyInput.value, t: Date.now()};
  }

  function apply(values) {
    fields().forEach(function (el) {
      if (el.type === "radio") {
        el.checked = values[el.name] === el.value;
      } else {
        el.value = values[el.name] === undefined ? "" : values[el.name];
      }
    });
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }

  function keep(draft) {
    try { localStorage.setItem(storeKey, JSON.stringify(draft)); } catch (e) { /* full or private */ }
  }

  function show(state) {
    if (!statusEl) return;
    statusEl.textContent = text[state];
    statusEl.dataset.state = state;
  }

  function number(value) {
    var n = parseFloat(String(value).replace(/[,，。]/g, "."));
    return isFinite(n) ? n : null;
  }

  function progress() {
    var cards = form.querySelectorAll("[data-facility]");
    var count = 0;
    cards.forEach(function (card) {
      var complete = true;
      var names = {};
      card.querySelectorAll("input[type=radio]").forEach(function (el) { names[el.name] = names[el.name] || el.checked; });
      Object.keys(names).forEach(function (name) { if (!names[name]) complete = false; });
      card.querySelectorAll("input[inputmode=decimal]").forEach(function (el) {
        var n = number(el.value);
        if (n === null) complete = false;
        var low = el.dataset.low === undefined ? null : Number(el.dataset.low);
        var high = el.dataset.high === undefined ? null : Number(el.dataset.high);
        var outside = n !== null && ((low !== null && n < low) || (high !== null && n > high));
        var hint = el.closest("[data-item]").querySelector("[data-out-of-range]");
        if (hint) hint.classList.toggle("d-none", !outside);
      });
      card.querySelector("[data-done]").classList.toggle("d-none", !complete);
      if (complete) count += 1;
    });
    var label = document.querySelector("[data-progress]");
    if (label) label.textContent = count + " / " + cards.length;
    var bar = document.querySelector("[data-progress-bar]");
    if (bar) bar.style.width = (cards.length ? Math.round(100 * count / cards.length) : 0) + "%";
  }

  function send() {
    timer = null;
    if (!pending) return;
    var draft = pending;
    show("saving");
    fetch(form.dataset.draftUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : ""},
      body: JSON.stringify(draft)
    }).then(function (response) {
      if (response.ok) {
        if (pending === draft) pending = null;
        show("saved");
      } else {
        show(response.status >= 500 ? "offline" : "refused");
      }
    }).catch(function () {
      show("offline");
    });
  }

  function changed() {
    var draft = collect();
    keep(draft);
    progress();
    if (!editable) return;
    pending = draft;
    if (timer) clearTimeout(timer);
    timer = setTimeout(send, 800);
  }

  // The key: the one kept on this phone for this round, else the page's (new, or the
  // server draft's), kept from now on.
  var kept = load();
  if (kept && kept.key) keyInput.value = kept.key;
  // The newer of this phone's entries and the server's draft wins.
  var newer = kept && kept.values && Number(kept.t || 0) > serverT;
  if (newer) apply(kept.values);
  if (editable) {
    var current = collect();
    current.t = newer ? Number(kept.t) : serverT;  // nothing changed yet: keep the stamp
    keep(current);
  }
  // Entries this phone kept while the server did not get them: send them now.
  if (editable && newer) { pending = collect(); timer = setTimeout(send, 300); }
  progress();
  var firstOpen = Array.prototype.find.call(form.querySelectorAll("[data-facility]"), function (card) {
    return card.querySelector("[data-done]").classList.contains("d-none");
  });
  if (firstOpen && !form.querySelector("details[open]")) firstOpen.open = true;

  if (!editable) return;
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", function () { if (pending) send(); });
  form.addEventListener("submit", function (event) {
    var warning = document.getElementById("offline-warning");
    if (navigator.onLine === false) {
      event.preventDefault();
      if (warning) warning.classList.remove("d-none");
      show("offline");
      return;
    }
    if (warning) warning.classList.add("d-none");
    var button = form.querySelector("button[type=submit]");
    // One tap is one submit; the key makes any second one harmless anyway.
    if (button) setTimeout(function () { button.disabled = true; }, 0);
  });
  window.addEventListener("pageshow", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  });
})();
