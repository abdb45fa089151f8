/* lexdial agent desk: the Twilio softphone (Twilio Voice JS SDK, /static/twilio-voice.min.js).
 *
 * Loaded by the desk page when the agent's endpoint is a Twilio Client identity; it drives
 * <section id="softphone" data-endpoint-kind="twilio_client">, whose optional children are
 * [data-softphone-status] (a line of text) and <audio data-softphone-audio> (unused by the
 * SDK, which plays through its own element; kept for pages that want a volume control).
 *
 * Rule 1: the token comes from GET /desk/twilio/token: for the logged-in agent's own
 * identity only (the server decides whose). It is refreshed before it expires
 * (tokenWillExpire) and the Device keeps its registration and its call.
 * Rule 2: the only call that reaches this identity is the agent's nailed-up leg placed by
 * lexdial when the agent logs in to the desk: it is accepted at once. Customers are then
 * moved into the agent's conference by the dialler: no further call rings here.
 * Rule 3: nothing personal is logged to the console; errors show their code only.
 */
(function () {
  "use strict";

  var TOKEN_URL = "/desk/twilio/token";

  function section() {
    return document.querySelector('section#softphone[data-endpoint-kind="twilio_client"]');
  }

  function show(root, text) {
    var line = root.querySelector("[data-softphone-status]");
    if (line) {
      line.textContent = text;
    }
    root.setAttribute("data-softphone-state", text.split(":")[0].toLowerCase());
  }

  function fetchToken() {
    return fetch(TOKEN_URL, { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (!res.ok) {
        return res.json().then(
          function (body) {
            var msg = body && body.error ? body.error.message : "HTTP " + res.status;
            throw new Error(msg);
          },
          function () {
            throw new Error("HTTP " + res.status);
          }
        );
      }
      return res.json();
    });
  }

  function start(root) {
    if (!window.Twilio || !window.Twilio.Device) {
      show(root, "Error: the Twilio Voice SDK did not load");
      return;
    }
    show(root, "Connecting");
    fetchToken().then(
      function (issued) {
        var device = new window.Twilio.Device(issued.token, {
          closeProtection: true,
          codecPreferences: ["opus", "pcmu"],
          // ask for a new token a minute before this one expires
          tokenRefreshMs: 60000,
        });
        root.lexdialDevice = device; // for the desk page and its tests

        device.on("registered", function () {
          show(root, "Ready: waiting for the desk line");
        });
        device.on("unregistered", function () {
          show(root, "Offline");
        });
        device.on("error", function (error) {
          show(root, "Error: " + (error && error.code ? error.code : "unknown"));
        });
        device.on("tokenWillExpire", function () {
          fetchToken().then(
            function (next) {
              device.updateToken(next.token);
            },
            function (err) {
              show(root, "Error: token refresh failed (" + err.message + ")");
            }
          );
        });
        device.on("incoming", function (call) {
          // the nailed-up leg (Rule 2): accept it; it stays up between customers
          call.on("accept", function () {
            show(root, "Connected: desk line open");
          });
          call.on("disconnect", function () {
            show(root, "Ready: desk line closed");
          });
          call.on("cancel", function () {
            show(root, "Ready: desk line canceled");
          });
          call.accept();
        });
        device.register();
      },
      function (err) {
        show(root, "Error: " + err.message);
      }
    );
  }

  function boot() {
    var root = section();
    if (root && !root.lexdialStarted) {
      root.lexdialStarted = true;
      start(root);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
