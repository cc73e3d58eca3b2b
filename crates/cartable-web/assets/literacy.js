// The literacy path speaks: each control with a data-say prompt says it
// when focused or touched, a button with data-play plays its sounds one
// after the other (a prompt, then the item), and each screen says what it
// is for when it opens (data-screen on <main>; browsers may wait for a
// first touch before they let a page make a sound). Without this script
// the pages still work, with the sounds' own players.
(function () {
  "use strict";
  var voice = document.getElementById("lit-voice");
  if (!voice) return;
  var queue = [];

  function playNext() {
    var next = queue.shift();
    if (!next) return;
    voice.src = next;
    voice.play().catch(function () { queue = []; });
  }

  // Plays the addresses in `list` (space-separated), cutting off any
  // sound still playing.
  function say(list) {
    queue = (list || "").split(" ").filter(function (s) { return s; });
    voice.pause();
    playNext();
  }

  voice.addEventListener("ended", playNext);

  function prompt(event) {
    var el = event.target.closest ? event.target.closest("[data-say]") : null;
    if (el && el.dataset.say) say(el.dataset.say);
  }

  document.addEventListener("focusin", prompt);
  document.addEventListener("pointerenter", prompt, true);
  document.addEventListener("touchstart", prompt, { passive: true });
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-play]") : null;
    if (el) say(el.dataset.play);
  });
  var main = document.getElementById("main");
  if (main && main.dataset.screen) say(main.dataset.screen);
})();
