// The agent desk's browser softphone: one RTCPeerConnection to lexdial's WebRTC gateway.
// Rule 1: it lives in the desk page's <section id="softphone">; the nearest data-csrf
// around it holds the session's CSRF token: every change (offer, hang-up) sends it.
// Rule 2: signalling is one POST of the complete offer (non-trickle ICE) to
// /desk/webrtc/offer; the answer comes back whole. The line's state is read from
// GET /desk/webrtc every 2 s and shown in the section's status.
// Rule 3: the voice stays in the page: the far end plays in an <audio> element; nothing is
// recorded unless captureHeard() is called (a level check), and that stays in memory.
(function () {
  "use strict";
  var section = document.getElementById("softphone");
  if (!section) { return; }
  var holder = section.closest("[data-csrf]");
  var csrf = holder ? holder.getAttribute("data-csrf") : "";
  var pc = null, mic = null, poller = null, remote = null;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    section.appendChild(e);
    return e;
  }
  var status = el("p", {id: "softphone-status", role: "status"}, "Softphone: off");
  var connect = el("button", {id: "softphone-connect", type: "button"}, "Connect softphone");
  var mute = el("button", {id: "softphone-mute", type: "button", disabled: ""}, "Mute");
  var hang = el("button", {id: "softphone-hangup", type: "button", disabled: ""}, "Hang up");
  var audio = el("audio", {id: "softphone-audio", autoplay: ""});

  function show(text) { status.textContent = "Softphone: " + text; }

  function request(method, path, body) {
    var init = {method: method, credentials: "same-origin",
                headers: {"x-csrf-token": csrf, "content-type": "application/json"}};
    if (body) { init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      if (r.status === 204) { return null; }
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || ("HTTP " + r.status)); }
        return j;
      });
    });
  }

  function gathered(conn) {  // non-trickle: wait until every candidate is in the offer
    if (conn.iceGatheringState === "complete") { return Promise.resolve(); }
    return new Promise(function (done) {
      var timer = setTimeout(done, 3000);
      conn.addEventListener("icegatheringstatechange", function () {
        if (conn.iceGatheringState === "complete") { clearTimeout(timer); done(); }
      });
    });
  }

  function poll() {
    request("GET", "/desk/webrtc").then(function (s) {
      if (!pc) { return; }
      show(s.browser === "connected" ? (s.line === "open" ? "line open" : "ready, no line")
                                     : s.browser);
      section.setAttribute("data-line", s.line);
    }).catch(function (e) { show("error: " + e.message); });
  }

  function start() {
    connect.disabled = true;
    show("asking for the microphone");
    navigator.mediaDevices.getUserMedia({audio: true, video: false}).then(function (stream) {
      mic = stream;
      pc = new RTCPeerConnection({iceServers: []});
      stream.getAudioTracks().forEach(function (t) { pc.addTrack(t, stream); });
      pc.ontrack = function (ev) {
        remote = ev.streams[0] || new MediaStream([ev.track]);
        audio.srcObject = remote;
      };
      pc.onconnectionstatechange = function () {
        section.setAttribute("data-state", pc.connectionState);
        if (pc.connectionState === "failed") { stop(); show("connection failed"); }
      };
      show("connecting");
      return pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); })
        .then(function () { return gathered(pc); })
        .then(function () {
          return request("POST", "/desk/webrtc/offer",
                         {type: "offer", sdp: pc.localDescription.sdp});
        })
        .then(function (answer) { return pc.setRemoteDescription(answer); })
        .then(function () {
          mute.disabled = false; hang.disabled = false;
          poller = setInterval(poll, 2000); poll();
        });
    }).catch(function (e) { stop(); show("error: " + e.message); });
  }

  function stop() {
    if (poller) { clearInterval(poller); poller = null; }
    if (pc) { pc.close(); pc = null; }
    if (mic) { mic.getTracks().forEach(function (t) { t.stop(); }); mic = null; }
    audio.srcObject = null; remote = null;
    connect.disabled = false; mute.disabled = true; hang.disabled = true;
    mute.textContent = "Mute";
    section.setAttribute("data-state", "closed");
  }

  connect.addEventListener("click", start);
  hang.addEventListener("click", function () {
    request("DELETE", "/desk/webrtc").catch(function () {});
    stop(); show("off");
  });
  mute.addEventListener("click", function () {
    if (!mic) { return; }
    var on = mic.getAudioTracks()[0].enabled;
    mic.getAudioTracks().forEach(function (t) { t.enabled = !on; });
    mute.textContent = on ? "Unmute" : "Mute";
    section.setAttribute("data-muted", on ? "yes" : "no");
  });
  window.addEventListener("pagehide", function () {
    if (pc) { request("DELETE", "/desk/webrtc").catch(function () {}); }
  });

  // What the agent hears, resampled to `rate` Hz, for `seconds` (a level / line check).
  window.lexdialSoftphone = {
    captureHeard: function (seconds, rate) {
      if (!remote) { return Promise.reject(new Error("no far end")); }
      var ctx = new AudioContext({sampleRate: rate || 8000});
      var source = ctx.createMediaStreamSource(remote);
      var node = ctx.createScriptProcessor(1024, 1, 1);
      var chunks = [], wanted = Math.round(seconds * ctx.sampleRate), got = 0;
      return new Promise(function (done) {
        node.onaudioprocess = function (ev) {
          if (got >= wanted) { return; }
          var data = ev.inputBuffer.getChannelData(0);
          chunks.push(Array.prototype.slice.call(data)); got += data.length;
          if (got >= wanted) {
            source.disconnect(); node.disconnect(); ctx.close();
            done([].concat.apply([], chunks).slice(0, wanted));
          }
        };
        source.connect(node); node.connect(ctx.destination);
      });
    }
  };
})();
