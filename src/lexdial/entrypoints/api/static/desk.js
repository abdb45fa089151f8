/* lexdial agent desk: polls the seat, redraws on change, sends the agent's actions.
 *
 * Rule 1: the server decides. Every button is a request to the desk's fetch endpoints
 * (/desk/api/..., the same use cases as the JSON API /v1/desk)
 * with the session cookie and the CSRF header; what the page shows comes back from it.
 * Rule 2: a refusal is shown inline, naming the field the server named; nothing here ever
 * shows a stack trace or a raw response.
 * Rule 3: everything from the server is written with textContent, never as HTML.
 * Rule 4: the seat is polled every POLL_MS; the screen is redrawn only when its version
 * changed (or after an action), so a quiet desk costs one small request per poll.
 */
(function () {
  "use strict";
  var POLL_MS = 500;
  var root = document.getElementById("desk");
  if (!root) { return; }
  var csrf = root.getAttribute("data-csrf") || "";
  var API = {
    state: "/desk/api/state",
    screen: "/desk/api/screen",
    login: "/desk/api/login",
    ready: "/desk/api/ready",
    pause: "/desk/api/pause",
    logout: "/desk/api/logout",
    hangup: "/desk/api/hangup",
    optOut: "/desk/api/opt-out",
    disposition: "/desk/api/disposition",
    callback: "/desk/api/callback",
    previewCall: "/desk/api/preview/call",
    previewSkip: "/desk/api/preview/skip"
  };
  var STATE_WORDS = {
    logged_out: "Not on the desk",
    ready: "Ready: waiting for a call",
    paused: "Paused",
    preview: "Preview: decide whether to call",
    on_call: "On a call",
    wrap_up: "Wrap-up: record a disposition"
  };
  var seen = null;      // the seat version last drawn
  var busy = false;

  function $(id) { return document.getElementById(id); }
  function text(id, value) { var el = $(id); if (el) { el.textContent = value == null ? "" : String(value); } }
  function show(id, on) { var el = $(id); if (el) { el.hidden = !on; } }

  function showError(where, err) {
    var box = $(where) || $("desk-error");
    if (!box) { return; }
    if (!err) { box.textContent = ""; box.hidden = true; return; }
    box.textContent = (err.field ? err.field + ": " : "") + (err.message || "refused");
    box.hidden = false;
  }

  function notice(message) {
    var box = $("desk-notice");
    if (!box) { return; }
    box.textContent = message || "";
    box.hidden = !message;
  }

  /* One request to the API: resolves to the JSON body, rejects with {field, message}. */
  function call(method, url, body) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      cache: "no-store"
    };
    if (method !== "GET") {
      init.headers["X-CSRF-Token"] = csrf;
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    return fetch(url, init).then(function (res) {
      if (res.status === 401) {
        window.location.href = "/login?next=/desk";
        return Promise.reject({ field: null, message: "Please log in again." });
      }
      return res.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : {}; } catch (e) { data = null; }
        if (res.ok && data !== null) { return data; }
        var err = data && data.error ? data.error : null;
        return Promise.reject({
          field: err && err.field ? err.field : null,
          message: err && err.message ? err.message : "the server could not do that (" + res.status + ")"
        });
      });
    }, function () {
      return Promise.reject({ field: null, message: "the server cannot be reached; retrying" });
    });
  }

  /* ---- drawing ---- */

  function drawState(seat) {
    var state = seat && seat.state ? seat.state : "logged_out";
    var badge = $("state");
    if (badge) {
      badge.textContent = STATE_WORDS[state] || state;
      badge.className = "desk-state state-" + state;
      badge.setAttribute("data-state", state);
    }
    text("state-reason", seat && seat.reason ? "(" + seat.reason + ")" : "");
    text("leg", seat && seat.leg_up ? "Your phone line is open." : "Your phone line is not open yet.");
    var onDesk = state !== "logged_out" && seat && seat.campaign_id != null;
    show("seat-login", !onDesk);
    show("controls", !!onDesk);
    var onCall = state === "on_call";
    var wrap = state === "wrap_up";
    setDisabled("ready", !(state === "paused" || state === "wrap_up" || state === "preview"));
    setDisabled("pause", !(state === "ready" || state === "preview" || state === "wrap_up"));
    setDisabled("logout", onCall);
    show("call-actions", onCall || wrap);
    setDisabled("hangup", !onCall);
  }

  function setDisabled(id, off) { var el = $(id); if (el) { el.disabled = !!off; } }

  function drawList(id, items, render) {
    var list = $(id);
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    (items || []).forEach(function (item) {
      var li = document.createElement("li");
      render(li, item);
      list.appendChild(li);
    });
  }

  function drawPop(pop) {
    var has = !!(pop && pop.kind && pop.contact);
    show("screen-pop", has);
    text("disposition-due", pop && pop.disposition_due ? "A disposition is required before your next call." : "");
    if (!has) { return; }
    var preview = pop.kind === "preview";
    var contact = pop.contact;
    text("pop-kind", preview ? "Preview (not dialled yet): the gate's verdict below is a dry run, checked again when you click Call." : "The person on the line");
    text("pop-name", contact.name || "(no name on record)");
    text("pop-number", (contact.numbers || []).join(", ") || "-");
    text("pop-matter", [contact.matter_type ? contact.matter_type.replace(/_/g, " ") : null,
      contact.matter_ref ? "ref " + contact.matter_ref : null].filter(Boolean).join(", ") || "-");
    var consents = pop.consents || [];
    drawList("pop-consents", consents.length ? consents : [null], function (li, c) {
      if (!c) { li.textContent = "No consent on record."; return; }
      li.textContent = [c.kind, c.scope && c.scope.length ? "for " + c.scope.join(", ") : null,
        c.given_at ? "given " + c.given_at.slice(0, 10) : null,
        c.revoked ? "REVOKED " + (c.revoked_at || "").slice(0, 10) : "in force"].filter(Boolean).join(", ");
      if (c.revoked) { li.className = "bad"; }
    });
    var decision = pop.decision || {};
    var verdict = decision.verdict || "none";
    text("pop-verdict", verdict + (decision.recorded === false ? " (dry run, not recorded)" : ""));
    var v = $("pop-verdict");
    if (v) { v.className = "badge verdict-" + verdict; }
    var reasons = decision.reasons || [];
    drawList("pop-reasons", reasons.length ? reasons : [null], function (li, r) {
      if (!r) {
        li.textContent = decision.error ? decision.error : (verdict === "allow" ? "Every rule checked passed." : "No reason given.");
        return;
      }
      var strong = document.createElement("strong");
      strong.textContent = (r.code || "") + ". ";
      li.appendChild(strong);
      li.appendChild(document.createTextNode(r.message || ""));
      if (r.citation) {
        var cite = document.createElement("span");
        cite.className = "cite";
        cite.textContent = " (" + r.citation + ")";
        li.appendChild(cite);
      }
    });
    text("pop-script", pop.script || "");
    drawList("pop-disclosures", pop.disclosures || [], function (li, d) {
      li.textContent = (d.text || "") + (d.citation ? " (" + d.citation + ")" : "");
    });
    show("preview-actions", preview);
    drawZones(pop.callback_zones || []);
  }

  /* (for dir) the callback's zone: the person's (the zones the gate judged the call in);
     one is preselected, several (an area code across zones) are left to the agent */
  function drawZones(zones) {
    var select = $("callback-zone");
    if (!select) { return; }
    var key = zones.join(" ");
    if (select.getAttribute("data-zones") === key) { return; }
    select.setAttribute("data-zones", key);
    while (select.firstChild) { select.removeChild(select.firstChild); }
    var add = function (value, label) {
      var opt = document.createElement("option");
      opt.value = value;
      opt.textContent = label;
      select.appendChild(opt);
      return opt;
    };
    add("", "choose the zone the time is in");
    zones.forEach(function (z) { add(z, z + " (the person's local time)"); });
    add("UTC", select.getAttribute("data-utc-label") || "UTC");
    if (zones.length === 1) { select.value = zones[0]; }
    text("callback-zone-note", zones.length > 1 ? "The person's number spans several time zones: choose theirs." :
      (zones.length ? "" : "The person's time zone is not known: choose one."));
  }

  function refresh(force) {
    return call("GET", API.state).then(function (seat) {
      var s = seat;
      var version = s && s.version != null ? s.version : null;
      if (!force && version !== null && version === seen) { return; }
      seen = version;
      drawState(s);
      var state = s && s.state ? s.state : "logged_out";
      if (state === "on_call" || state === "wrap_up" || state === "preview") {
        return call("GET", API.screen).then(drawPop, function (err) { showError("desk-error", err); });
      }
      drawPop(null);
    }, function (err) {
      showError("desk-error", err);
    });
  }

  /* ---- actions ---- */

  function act(url, body, where, done) {
    if (busy) { return; }
    busy = true;
    showError(where, null);
    showError("desk-error", null);
    call("POST", url, body).then(function (data) {
      busy = false;
      if (done) { done(data); }
      return refresh(true);
    }, function (err) {
      busy = false;
      showError(where, err);
    });
  }

  function on(id, handler) {
    var el = $(id);
    if (el) { el.addEventListener(el.tagName === "FORM" ? "submit" : "click", function (ev) { ev.preventDefault(); handler(ev); }); }
  }

  on("login-form", function () {
    var campaign = $("campaign").value;
    var endpoint = $("endpoint") ? $("endpoint").value : "";
    act(API.login, { campaign_id: campaign ? Number(campaign) : null, endpoint_id: endpoint ? Number(endpoint) : null }, "login-error", function () {
      // the softphone script depends on the endpoint chosen: the page loads it afresh
      window.location.reload();
    });
  });
  on("ready", function () { act(API.ready, {}, "controls-error"); });
  on("pause-form", function () { act(API.pause, { reason: $("pause-reason").value }, "controls-error"); });
  on("logout", function () { act(API.logout, {}, "controls-error", function () { window.location.reload(); }); });
  on("hangup", function () { act(API.hangup, {}, "call-error", function () { notice("Asked the line to hang up."); }); });
  on("opt-out", function () {
    act(API.optOut, {}, "call-error", function () {
      notice("Recorded: the person asked not to be called. The opt-out is in force now, on every number and campaign.");
    });
  });
  on("disposition-form", function () {
    var code = $("disposition").value;
    act(API.disposition, { code: code, notes: $("notes").value }, "disposition-error", function () {
      $("notes").value = "";
      notice("Disposition recorded.");
    });
  });
  on("callback-form", function () {
    var value = $("callback-at").value;
    var zone = $("callback-zone") ? $("callback-zone").value : "";
    /* (for dir) the local time and its zone go separately: the server reads the time in
       that zone (never silently as UTC) and refuses, naming "zone", when none is chosen */
    act(API.callback, { when: value, zone: zone }, "callback-error", function (data) {
      notice("Callback scheduled" + (data && data.local ? " for " + data.local + " (" + data.zone + ")" : "") + ".");
    });
  });
  on("preview-call", function () { act(API.previewCall, {}, "preview-error", function () { notice("Calling: the gate checks the call again before the dial."); }); });
  on("preview-skip", function () { act(API.previewSkip, {}, "preview-error"); });

  function poll() {
    refresh(false).then(function () { window.setTimeout(poll, POLL_MS); }, function () { window.setTimeout(poll, POLL_MS * 4); });
  }
  poll();
}());
