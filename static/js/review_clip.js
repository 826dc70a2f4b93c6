// The staff review list's players: a playhead moves along the bar under each player, and the bar
// lights up while the uncertain region itself is playing (the clip holds a second or more of
// the recording on each side, for context).
(function () {
  "use strict";

  function follow(clip) {
    var audio = clip.querySelector("audio");
    var bar = clip.querySelector(".review-clip-bar");
    var playhead = clip.querySelector(".review-clip-playhead");
    var regionStart = Number(clip.getAttribute("data-region-start-ms")) / 1000;
    var regionEnd = Number(clip.getAttribute("data-region-end-ms")) / 1000;
    if (!audio || !bar || !playhead) {
      return;
    }
    function show() {
      var t = audio.currentTime;
      if (audio.duration > 0 && isFinite(audio.duration)) {
        playhead.style.left = Math.min(100, (100 * t) / audio.duration) + "%";
      }
      bar.classList.toggle("is-in-region", !audio.paused && t >= regionStart && t < regionEnd);
    }
    ["timeupdate", "seeked", "pause", "ended", "loadedmetadata"].forEach(function (name) {
      audio.addEventListener(name, show);
    });
  }

  function start() {
    document.querySelectorAll(".review-clip").forEach(follow);
  }

  // The admin loads its media in the <head>: wait for the list.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
