// The live room: plays the stream, follows the room's events, and sends
// the room's forms in the background so the video keeps playing. Without
// it the page still works: the forms post and come back, and the stream
// link opens in the device's own player.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var id = root.dataset.id;
  var csrf = root.dataset.csrf;
  var staff = root.dataset.staff === "1";
  var lang = document.documentElement.lang;
  var t = function (key) { return root.dataset["t" + key] || ""; };
  var status = document.getElementById("live-status");
  var say = function (text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 100);
  };
  var el = function (tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // The player: the device's own HLS where there is one, else Media
  // Source fed segment by segment from the playlist (fMP4 streams).
  var video = document.getElementById("live-video");
  var note = document.getElementById("live-player-note");
  var playlistUrl = video.dataset.playlist;
  var parse = function (text) {
    var out = { map: null, segments: [], ended: false, target: 2 };
    text.split(/\r?\n/).forEach(function (line) {
      var l = line.trim();
      if (l.indexOf("#EXT-X-MAP:") === 0) {
        var m = /URI="([^"]+)"/.exec(l);
        if (m) out.map = m[1];
      } else if (l.indexOf("#EXT-X-TARGETDURATION:") === 0) {
        out.target = parseFloat(l.slice(22)) || 2;
      } else if (l === "#EXT-X-ENDLIST") {
        out.ended = true;
      } else if (l && l[0] !== "#") {
        out.segments.push(l);
      }
    });
    return out;
  };
  // RFC 6381 codecs from an init section, as the server reads them.
  var codecsOf = function (bytes) {
    var find = function (tag) {
      outer: for (var i = 0; i + 4 <= bytes.length; i++) {
        for (var j = 0; j < 4; j++) if (bytes[i + j] !== tag.charCodeAt(j)) continue outer;
        return i;
      }
      return -1;
    };
    var hex = function (b) { return (b < 16 ? "0" : "") + b.toString(16); };
    var list = [];
    var avc = find("avcC");
    if (avc >= 0) list.push("avc1." + hex(bytes[avc + 5]) + hex(bytes[avc + 6]) + hex(bytes[avc + 7]));
    if (find("mp4a") >= 0) list.push("mp4a.40.2");
    else if (find("Opus") >= 0) list.push("opus");
    return list.join(",");
  };
  var get = function (url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.arrayBuffer();
    });
  };
  var playWithMediaSource = function () {
    var source = null, buffer = null, queue = [], seen = {}, busy = false, ended = false, first = true;
    var pump = function () {
      if (busy || !buffer || buffer.updating) return;
      if (buffer.buffered.length && video.currentTime - buffer.buffered.start(0) > 90) {
        buffer.remove(buffer.buffered.start(0), video.currentTime - 30);
        return;
      }
      var next = queue.shift();
      if (!next) {
        if (ended && source.readyState === "open") source.endOfStream();
        return;
      }
      busy = true;
      get(next).then(function (data) {
        busy = false;
        buffer.appendBuffer(data);
      }).catch(function () {
        busy = false;
        queue.unshift(next);
        window.setTimeout(pump, 1000);
      });
    };
    var poll = function () {
      fetch(playlistUrl, { cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      }).then(function (text) {
        var p = parse(text);
        var start = function () {
          var fresh = p.segments.filter(function (s) { return !seen[s]; });
          if (first) fresh = fresh.slice(-3);
          first = false;
          p.segments.forEach(function (s) { seen[s] = true; });
          queue = queue.concat(fresh);
          ended = p.ended;
          pump();
          if (!ended) window.setTimeout(poll, p.target * 500);
        };
        if (!source && p.map) {
          get(p.map).then(function (init) {
            var codecs = codecsOf(new Uint8Array(init));
            var type = 'video/mp4; codecs="' + codecs + '"';
            if (!codecs || !MediaSource.isTypeSupported(type)) {
              native();
              return;
            }
            source = new MediaSource();
            attach(URL.createObjectURL(source));
            source.addEventListener("sourceopen", function () {
              buffer = source.addSourceBuffer(type);
              buffer.addEventListener("updateend", function () {
                if (buffer.buffered.length && video.currentTime < buffer.buffered.start(0)) {
                  video.currentTime = buffer.buffered.start(0);
                }
                pump();
              });
              queue.unshift(p.map);
              start();
            });
          }).catch(function () { window.setTimeout(poll, 2000); });
        } else if (!source && !p.map) {
          native();
        } else {
          start();
        }
      }).catch(function () { window.setTimeout(poll, 3000); });
    };
    poll();
  };
  // A play asked for before the stream exists is kept for when it does.
  var wanted = false;
  video.addEventListener("play", function () { wanted = true; });
  var attach = function (src) {
    video.src = src;
    if (wanted) video.play().catch(function () {});
  };
  // The device's player is given the playlist once it exists, and again
  // after an error (the broadcaster's push restarting).
  var whenPushed = function () {
    fetch(playlistUrl, { cache: "no-cache" }).then(function (r) {
      if (r.ok) attach(playlistUrl);
      else window.setTimeout(whenPushed, 3000);
    }).catch(function () { window.setTimeout(whenPushed, 3000); });
  };
  var native = function () {
    if (!video.canPlayType("application/vnd.apple.mpegurl")) {
      note.textContent = t("NoPlayer");
      note.hidden = false;
      return;
    }
    whenPushed();
    video.addEventListener("error", function () { window.setTimeout(whenPushed, 3000); });
  };
  // Media Source where there is one (its live edge is ours to keep); the
  // device's HLS player otherwise (older iPhones) and for MPEG-TS pushes.
  if (window.MediaSource) playWithMediaSource();
  else native();

  // A signed-in viewer who watched 10 s of the live video attended: one
  // xAPI record per visit.
  var ATTENDED_AFTER_MS = 10000;
  if (root.dataset.agent && csrf) {
    var watched = 0, since = null, sent = false;
    var tick = function () {
      if (since !== null) { watched += Date.now() - since; since = Date.now(); }
      if (sent || watched < ATTENDED_AFTER_MS) return;
      sent = true;
      var name = {};
      name[root.dataset.titleLang] = document.querySelector("h1").textContent;
      fetch("/xapi/statements", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Experience-API-Version": "1.0.3", "X-CSRF-Token": csrf },
        body: JSON.stringify({
          actor: JSON.parse(root.dataset.agent),
          verb: { id: "http://adlnet.gov/expapi/verbs/attended", display: { "en-US": "attended" } },
          object: { objectType: "Activity", id: root.dataset.activity, definition: { type: "http://adlnet.gov/expapi/activities/meeting", name: name } },
          result: { duration: "PT" + Math.round(watched / 1000) + "S" },
          context: { platform: "cartable", language: lang },
          timestamp: new Date().toISOString()
        })
      }).then(function (r) { if (r.ok) root.dataset.attended = "1"; else sent = false; })
        .catch(function () { sent = false; });
    };
    video.addEventListener("playing", function () { since = Date.now(); });
    video.addEventListener("pause", function () { tick(); since = null; });
    window.setInterval(tick, 2000);
  }

  // The room's events.
  var form = function (action, fields) {
    var f = el("form", { method: "post", action: "/" + lang + "/live/" + id + action, "class": "inline room-form" });
    f.appendChild(el("input", { type: "hidden", name: "csrf", value: csrf }));
    fields.forEach(function (x) { f.appendChild(x); });
    return f;
  };
  var button = function (name, value, text) {
    return el("button", { type: "submit", name: name, value: value }, text);
  };
  var onQuestion = function (q) {
    var list = document.getElementById("live-questions");
    var item = list.querySelector('[data-question="' + q.id + '"]');
    var shown = staff || q.state === "approved" || q.state === "answered";
    if (!shown) {
      if (item) item.remove();
      return;
    }
    var isNew = !item;
    if (isNew) {
      item = el("li", { "data-question": String(q.id) });
      var head = el("p");
      head.appendChild(el("strong", { dir: "auto" }, q.name));
      item.appendChild(head);
      item.appendChild(el("p", { dir: "auto", "class": "q-text" }, q.text));
      if (staff) {
        head.appendChild(document.createTextNode(" "));
        head.appendChild(el("span", { "class": "badge" }));
        var answer = el("input", { id: "a-" + q.id, name: "answer", dir: "auto" });
        item.appendChild(form("/questions/" + q.id, [
          button("action", "approve", t("Approve")),
          button("action", "hide", t("Hide")),
          el("label", { "for": "a-" + q.id }, t("Answer")), answer,
          button("action", "answer", t("SendAnswer"))
        ]));
      }
      list.insertBefore(item, list.firstChild);
    }
    item.dataset.state = q.state;
    var badge = item.querySelector(".badge");
    if (badge) badge.textContent = t("Q" + q.state.charAt(0).toUpperCase() + q.state.slice(1));
    var answerText = item.querySelector(".q-answer");
    if (q.answer) {
      if (!answerText) {
        answerText = el("p", { dir: "auto", "class": "q-answer" });
        item.querySelector(".q-text").after(answerText);
      }
      answerText.textContent = "";
      answerText.appendChild(el("strong", {}, t("Answer")));
      answerText.appendChild(document.createTextNode(" " + q.answer));
    }
    if (isNew) say(t("NewQuestion") + " " + q.name + ": " + q.text);
  };
  var onPoll = function (p) {
    var box = document.querySelector('[data-poll="' + p.id + '"]');
    var total = p.votes.reduce(function (a, b) { return a + b; }, 0);
    if (!box) {
      box = el("div", { "class": "poll", "data-poll": String(p.id) });
      box.appendChild(el("h3", { dir: "auto" }, p.question));
      if (p.open && csrf) {
        var set = el("fieldset");
        set.appendChild(el("legend", {}, t("Votes")));
        p.options.forEach(function (o, i) {
          var label = el("label");
          label.appendChild(el("input", { type: "radio", name: "choice", value: String(i), required: "" }));
          label.appendChild(el("span", { dir: "auto" }, " " + o));
          set.appendChild(label);
        });
        var vote = form("/polls/" + p.id + "/vote", [set, el("button", { type: "submit" }, t("Votes"))]);
        vote.className = "room-form";
        box.appendChild(vote);
      }
      box.appendChild(el("ul", { "class": "poll-results" }));
      var polls = document.getElementById("live-polls");
      polls.insertBefore(box, polls.firstChild);
    }
    var results = box.querySelector(".poll-results");
    results.textContent = "";
    p.options.forEach(function (o, i) {
      var pct = total ? Math.round(p.votes[i] * 100 / total) : 0;
      var li = el("li");
      li.appendChild(el("span", { dir: "auto" }, o));
      li.appendChild(document.createTextNode(": "));
      li.appendChild(el("span", { "class": "votes" }, String(p.votes[i])));
      li.appendChild(document.createTextNode(" (" + pct + "%)"));
      results.appendChild(li);
    });
    if (!p.open) {
      box.querySelectorAll("form").forEach(function (f) { f.remove(); });
    }
    say(t("Poll") + " " + p.question);
  };
  var handlers = {
    question: onQuestion,
    poll: onPoll,
    hands: function (h) { document.getElementById("live-hands").textContent = String(h.raised); },
    hand: function (h) {
      var list = document.getElementById("live-raised");
      if (!list) return;
      var item = list.querySelector('[data-login="' + CSS.escape(h.login) + '"]');
      if (h.raised && !item) list.appendChild(el("li", { "data-login": h.login, dir: "auto" }, h.name));
      if (!h.raised && item) item.remove();
    },
    slide: function (s) {
      var img = document.getElementById("live-slide");
      img.src = s.url;
      img.closest("figure").hidden = false;
      say(t("Slide"));
    },
    state: function (s) {
      var badge = document.getElementById("live-state");
      badge.textContent = s.state === "ended" ? t("Ended") : t("Live");
      say(badge.textContent);
    },
    viewers: function (v) { document.getElementById("live-viewers").textContent = String(v.total); }
  };
  if (window.EventSource) {
    var stream = new EventSource("/live/" + id + "/events?after=" + root.dataset.after);
    Object.keys(handlers).forEach(function (name) {
      stream.addEventListener(name, function (e) {
        try { handlers[name](JSON.parse(e.data)); } catch (err) { /* a malformed event changes nothing */ }
      });
    });
  }

  // The room's forms, sent in the background.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.classList || !f.classList.contains("room-form") || !window.fetch) return;
    e.preventDefault();
    var data = new URLSearchParams(new FormData(f));
    if (e.submitter && e.submitter.name) data.set(e.submitter.name, e.submitter.value);
    // getAttribute: a control named "action" hides the form's own property.
    fetch(f.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      if (r.ok) {
        f.querySelectorAll("textarea, input[name=answer], input[name=question]").forEach(function (x) { x.value = ""; });
        say(t("Sent"));
        return null;
      }
      return r.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var main = page.querySelector("main");
        say(main ? main.textContent.trim() : String(r.status));
      });
    }).catch(function () { f.submit(); });
  });
})();
