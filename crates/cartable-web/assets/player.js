// Records a signed-in learner's viewing as xAPI statements and resumes where
// they stopped, on any device. Anonymous viewers are not recorded and cost no
// request. The verbs and extensions come from the progress endpoint (their
// one definition is cartable_core::progress). The page works the same
// without this script.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player || !window.fetch || !window.JSON) return;
  // Only a signed-in browser has this readable marker of its session.
  if (document.cookie.split("; ").indexOf("cartable_signed_in=1") < 0) return;
  // A progress record at most every 15 s of watching, and on pause.
  var EVERY_MS = 15000;
  var data = player.dataset;
  var me = null;
  var launched = false;
  var completed = false;
  var lastSent = 0;
  var playingSince = null;
  var spentMs = 0;

  function clock(seconds) {
    var s = Math.floor(seconds);
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  // What kind of screen this is, for the city's indicators (no more).
  function deviceClass() {
    var ua = navigator.userAgent;
    if (/SmartTV|SMART-TV|HbbTV|Tizen|Web0S|CrKey|AFT/i.test(ua)) return "tv";
    if (/iPad|Tablet/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua))) return "tablet";
    if (/Mobi|iPhone|Android/i.test(ua)) return "phone";
    return "computer";
  }

  function takeSpent() {
    if (playingSince !== null) {
      var now = Date.now();
      spentMs += now - playingSince;
      playingSince = now;
    }
    var spent = spentMs / 1000;
    spentMs = 0;
    return spent;
  }

  function send(verb) {
    if (!me) return;
    lastSent = Date.now();
    var position = player.currentTime || 0;
    var words = me.vocabulary;
    var extensions = {};
    extensions[words.time] = Math.round(position * 100) / 100;
    if (player.duration && isFinite(player.duration)) {
      extensions[words.progress] = Math.min(1, Math.round((position / player.duration) * 1000) / 1000);
    }
    var name = {};
    name[data.titleLang] = data.title;
    var context = { platform: "cartable", language: document.documentElement.lang, extensions: {} };
    context.extensions[words.quality] = data.rendition;
    context.extensions[words.device] = deviceClass();
    // Served from a satchel at a school: the box's name marks the record offline.
    if (me.satchel) context.extensions[words.satchel] = me.satchel;
    var statement = {
      actor: me.agent,
      verb: { id: words[verb], display: { "en-US": verb } },
      object: {
        objectType: "Activity",
        id: me.activity,
        definition: { type: words.video, name: name }
      },
      result: { duration: "PT" + takeSpent().toFixed(2) + "S", extensions: extensions },
      context: context,
      timestamp: new Date().toISOString()
    };
    if (verb === "completed") statement.result.completion = true;
    fetch("/xapi/statements", {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {
        "Content-Type": "application/json",
        "X-Experience-API-Version": "1.0.3",
        "X-CSRF-Token": me.csrf
      },
      body: JSON.stringify(statement)
    }).catch(function () {});
  }

  function resume() {
    var at = me.position;
    if (!at || at < 1 || me.completed) return;
    var seek = function () {
      if (!player.duration || at < player.duration * 0.95) {
        player.currentTime = at;
        var note = document.getElementById("resume-note");
        if (note) note.textContent = data.resumed + " " + clock(at);
      }
    };
    if (player.readyState >= 1) seek();
    else player.addEventListener("loadedmetadata", seek, { once: true });
  }

  player.addEventListener("play", function () {
    playingSince = Date.now();
    if (!launched) {
      launched = true;
      send("launched");
    }
  });
  player.addEventListener("timeupdate", function () {
    if (!me || player.paused) return;
    if (!completed && player.duration && player.currentTime >= player.duration * 0.95) {
      completed = true;
      send("completed");
    } else if (Date.now() - lastSent >= EVERY_MS) {
      send("progressed");
    }
  });
  player.addEventListener("pause", function () {
    send("progressed");
    playingSince = null;
  });
  player.addEventListener("ended", function () {
    if (!completed) {
      completed = true;
      send("completed");
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && !player.paused) send("progressed");
  });

  fetch("/api/v1/me/progress/" + encodeURIComponent(data.capsule), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (found) {
      if (found && found.csrf) {
        me = found;
        completed = false;
        resume();
      }
    })
    .catch(function () {});
})();
