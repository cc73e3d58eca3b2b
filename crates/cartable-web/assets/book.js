// The audiobook player: real buttons with spoken labels for every action
// (play, 30 s back and forward, chapters, DAISY headings and pages), speed
// that keeps the pitch, a sleep timer, bookmarks kept on this device, the
// position said on request, and the place resumed on any device for a
// signed-in listener (an xAPI record, like a capsule's viewing). Without
// this script the page still plays each chapter with the browser's own
// controls.
(function () {
  "use strict";
  var audio = document.getElementById("book-audio");
  var controls = document.getElementById("book-controls");
  var dataNode = document.getElementById("book-data");
  if (!audio || !controls || !dataNode || !window.JSON) return;
  var book = JSON.parse(dataNode.textContent);
  var words = book.words;
  var tracks = book.tracks;
  var nav = book.nav;
  var statusNode = document.getElementById("book-status");
  var playButton = controls.querySelector("[data-do=play]");
  var speedSelect = document.getElementById("book-speed");
  var sleepSelect = document.getElementById("book-sleep");
  var list = document.getElementById("book-bookmarks");
  var STEP = 30;
  var EVERY_MS = 15000;
  var store = window.localStorage;
  var keyBookmarks = "cartable-bookmarks:" + book.book;
  var keyPlace = "cartable-place:" + book.book;
  var current = Number(audio.dataset.start) || 0;
  var sleepTimer = null;
  var sleepAtChapterEnd = false;
  var me = null;
  var lastSent = 0;
  var playingSince = null;
  var spentMs = 0;

  var starts = [];
  var total = 0;
  tracks.forEach(function (t) { starts.push(total); total += t.duration; });

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600);
    var m = Math.floor(s / 60) % 60;
    s = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m;
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function fill(text, values) {
    return text.replace(/%(\w+)/g, function (_, k) { return values[k] !== undefined ? values[k] : ""; });
  }

  function say(text) {
    // Emptied first, so the same words said twice are announced twice.
    statusNode.textContent = "";
    window.setTimeout(function () { statusNode.textContent = text; }, 50);
  }

  function bookTime() {
    return starts[current] + (audio.currentTime || 0);
  }

  function markCurrent() {
    var links = document.querySelectorAll("#book-chapters a");
    for (var i = 0; i < links.length; i++) {
      if (i === current) links[i].setAttribute("aria-current", "true");
      else links[i].removeAttribute("aria-current");
    }
  }

  function applySpeed() {
    var rate = Number(speedSelect.value) || 1;
    audio.preservesPitch = true;
    audio.defaultPlaybackRate = rate;
    audio.playbackRate = rate;
  }

  // Loads track `index` at `at` seconds; plays on when asked.
  function load(index, at, play) {
    index = Math.max(0, Math.min(tracks.length - 1, index));
    var t = tracks[index];
    var seek = function () {
      applySpeed();
      if (at > 0) audio.currentTime = Math.min(at, Math.max(0, (audio.duration || t.duration) - 0.5));
      if (play) audio.play().catch(function () {});
    };
    if (index !== current || !audio.currentSrc) {
      current = index;
      audio.src = t.src;
      audio.addEventListener("loadedmetadata", seek, { once: true });
      audio.load();
      markCurrent();
    } else if (audio.readyState >= 1) {
      seek();
    } else {
      audio.addEventListener("loadedmetadata", seek, { once: true });
    }
  }

  // Goes to a place in the whole book, in seconds.
  function goTo(seconds, play) {
    seconds = Math.max(0, Math.min(total - 0.5, seconds));
    var index = 0;
    for (var i = 0; i < starts.length; i++) if (starts[i] <= seconds) index = i;
    load(index, seconds - starts[index], play);
  }

  function where() {
    var t = tracks[current];
    var parts = [fill(words["player-chapter"], { n: current + 1, count: tracks.length, title: t.title }),
      fill(words["player-of"], { at: clock(audio.currentTime || 0), length: clock(t.duration) })];
    var pageLabel = null;
    var now = bookTime();
    nav.forEach(function (n) {
      if (n.kind === "page" && starts[n.track] + n.at <= now + 0.01) pageLabel = n.label;
    });
    if (pageLabel !== null) parts.push(fill(words["player-page"], { page: pageLabel }));
    return parts.join(". ");
  }

  // The next (or previous) navigation point of a kind from here.
  function jump(kind, forward) {
    var now = bookTime();
    var points = nav.filter(function (n) { return n.kind === kind; })
      .map(function (n) { return { at: starts[n.track] + n.at, label: n.label }; });
    var found = null;
    if (forward) {
      for (var i = 0; i < points.length; i++) if (points[i].at > now + 0.5) { found = points[i]; break; }
    } else {
      // Back from just after a point's start goes to the one before it.
      for (var j = points.length - 1; j >= 0; j--) if (points[j].at < now - 2) { found = points[j]; break; }
    }
    if (!found) {
      say(words[kind === "page" ? "player-no-page" : "player-no-heading"]);
      return;
    }
    goTo(found.at, !audio.paused);
    say(fill(words[kind === "page" ? "player-page" : "player-heading"], { page: found.label, title: found.label }));
  }

  function setPlayLabel() {
    playButton.textContent = audio.paused ? words["player-play"] : words["player-pause"];
  }

  function readBookmarks() {
    try { return JSON.parse(store.getItem(keyBookmarks) || "[]"); } catch (e) { return []; }
  }

  function writeBookmarks(marks) {
    try { store.setItem(keyBookmarks, JSON.stringify(marks)); } catch (e) { /* private mode: kept for this page only */ }
    showBookmarks(marks);
  }

  function showBookmarks(marks) {
    list.textContent = "";
    marks.forEach(function (m, i) {
      var li = document.createElement("li");
      var go = document.createElement("button");
      go.type = "button";
      go.textContent = fill(words["player-bookmark-go"], { label: m.label });
      go.addEventListener("click", function () { goTo(m.at, true); say(m.label); });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = fill(words["player-bookmark-remove"], { label: m.label });
      remove.addEventListener("click", function () {
        var all = readBookmarks();
        all.splice(i, 1);
        writeBookmarks(all);
        say(words["player-bookmark-removed"]);
      });
      li.appendChild(go);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function setSleep() {
    window.clearTimeout(sleepTimer);
    sleepTimer = null;
    sleepAtChapterEnd = sleepSelect.value === "chapter";
    var minutes = Number(sleepSelect.value);
    if (minutes > 0) {
      sleepTimer = window.setTimeout(function () {
        audio.pause();
        sleepSelect.value = "0";
        say(words["player-sleep-done"]);
      }, minutes * 60000);
    }
    say(sleepSelect.value === "0" ? words["player-sleep-off"]
      : fill(words["player-sleep-set"], { choice: sleepSelect.options[sleepSelect.selectedIndex].text }));
  }

  var actions = {
    play: function () { if (audio.paused) audio.play().catch(function () {}); else audio.pause(); },
    back: function () { goTo(bookTime() - STEP, !audio.paused); },
    forward: function () { goTo(bookTime() + STEP, !audio.paused); },
    "prev-chapter": function () {
      // As on a CD player: back to this chapter's start, unless just there.
      var index = (audio.currentTime || 0) > 3 ? current : current - 1;
      if (index < 0) { say(words["player-start"]); index = 0; }
      load(index, 0, !audio.paused);
      say(fill(words["player-chapter"], { n: index + 1, count: tracks.length, title: tracks[index].title }));
    },
    "next-chapter": function () {
      if (current + 1 >= tracks.length) { say(words["player-end"]); return; }
      load(current + 1, 0, !audio.paused);
      say(fill(words["player-chapter"], { n: current + 1, count: tracks.length, title: tracks[current].title }));
    },
    "prev-heading": function () { jump("heading", false); },
    "next-heading": function () { jump("heading", true); },
    "prev-page": function () { jump("page", false); },
    "next-page": function () { jump("page", true); },
    where: function () { say(where()); },
    bookmark: function () {
      var label = where();
      var marks = readBookmarks();
      marks.push({ at: Math.round(bookTime() * 10) / 10, label: label });
      writeBookmarks(marks);
      say(fill(words["player-bookmark-added"], { label: label }));
    }
  };

  controls.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-do]") : null;
    if (button && actions[button.dataset.do]) actions[button.dataset.do]();
  });
  speedSelect.addEventListener("change", function () {
    applySpeed();
    try { store.setItem("cartable-speed", speedSelect.value); } catch (e) { /* kept for this page */ }
    say(fill(words["player-speed-now"], { speed: speedSelect.value }));
  });
  sleepSelect.addEventListener("change", setSleep);
  document.getElementById("book-chapters").addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-track]") : null;
    if (!link) return;
    event.preventDefault();
    load(Number(link.dataset.track), 0, true);
  });

  // The records of listening, as the capsule player makes them.
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

  function remember() {
    try { store.setItem(keyPlace, String(Math.round(bookTime()))); } catch (e) { /* not kept */ }
  }

  function send(verb) {
    remember();
    lastSent = Date.now();
    if (!me) return;
    var v = me.vocabulary;
    var position = bookTime();
    var result = { duration: "PT" + takeSpent().toFixed(2) + "S", extensions: {} };
    result.extensions[v.time] = Math.round(position * 100) / 100;
    result.extensions[v.progress] = Math.min(1, Math.round((position / total) * 1000) / 1000);
    if (verb === "completed") result.completion = true;
    var name = {};
    name[book.lang] = book.title;
    var context = { platform: "cartable", language: document.documentElement.lang, extensions: {} };
    if (me.satchel) context.extensions[v.satchel] = me.satchel;
    fetch("/xapi/statements", {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {
        "Content-Type": "application/json",
        "X-Experience-API-Version": "1.0.3",
        "X-CSRF-Token": me.csrf
      },
      body: JSON.stringify({
        actor: me.agent,
        verb: { id: v[verb], display: { "en-US": verb } },
        object: { objectType: "Activity", id: me.activity, definition: { type: v.media, name: name } },
        result: result,
        context: context,
        timestamp: new Date().toISOString()
      })
    }).catch(function () {});
  }

  audio.addEventListener("play", function () { playingSince = Date.now(); setPlayLabel(); });
  audio.addEventListener("pause", function () {
    setPlayLabel();
    if (!audio.ended) send("progressed");
    playingSince = null;
  });
  audio.addEventListener("timeupdate", function () {
    if (!audio.paused && Date.now() - lastSent >= EVERY_MS) send("progressed");
  });
  audio.addEventListener("ended", function () {
    if (current + 1 >= tracks.length) {
      send("completed");
      say(words["player-end"]);
      setPlayLabel();
    } else if (sleepAtChapterEnd) {
      sleepAtChapterEnd = false;
      sleepSelect.value = "0";
      send("progressed");
      say(words["player-sleep-done"]);
      setPlayLabel();
    } else {
      load(current + 1, 0, true);
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && !audio.paused) send("progressed");
  });

  function resumeAt(seconds) {
    if (!(seconds > 1) || seconds >= total - 2) return;
    goTo(seconds, false);
    say(fill(words["player-resumed"], { at: clock(seconds) }));
  }

  try {
    var speed = store.getItem("cartable-speed");
    if (speed && speedSelect.querySelector("option[value='" + speed + "']")) speedSelect.value = speed;
  } catch (e) { /* default speed */ }
  applySpeed();
  controls.hidden = false;
  showBookmarks(readBookmarks());
  setPlayLabel();

  // A chapter asked for in the address wins; otherwise resume: from the
  // records when signed in (any device), else from this device.
  var asked = /[?&]chapter=/.test(window.location.search);
  var local = null;
  try { local = Number(store.getItem(keyPlace)); } catch (e) { local = null; }
  var signedIn = document.cookie.split("; ").indexOf("cartable_signed_in=1") >= 0;
  if (!signedIn || !window.fetch) {
    if (!asked) resumeAt(local);
    return;
  }
  fetch("/api/v1/me/progress/library/" + encodeURIComponent(book.book), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (found) {
      if (!found || !found.csrf) return;
      me = found;
      if (!asked) resumeAt(found.completed ? 0 : found.position);
    })
    .catch(function () {});
})();
