// Playing what the owner said, with one shared player (no <audio> element per bubble):
// - on the timeline and the conversation page, a bubble's play button (a plain link to its clip
//   without JavaScript) plays that clip, and pauses it on a second press;
// - on the conversation page (#conversation), "Play the conversation" plays every bubble's clip
//   in turn, and the word being said is highlighted as the audio plays (each word's
//   <span class="word" data-start data-end> holds its time in the clip, in ms). A bubble's play
//   button there plays on from that bubble.
// Only the owner's own clips are requested (same origin); nothing else is loaded.
(function () {
  "use strict";

  if (!window.Audio) {
    return;
  }
  var audio = new Audio();
  audio.preload = "auto";
  var current = null; // the play link whose clip is loaded
  var continuous = false; // playing the whole conversation
  var frame = 0;
  var conversation = document.getElementById("conversation");
  var playAll = conversation && conversation.querySelector("[data-play-all]");
  var nowPlaying = conversation && conversation.querySelector("[data-now-playing]");

  function bubbleOf(link) {
    return link && link.closest(".bubble");
  }

  function setState(link, playing) {
    if (!link) {
      return;
    }
    link.classList.toggle("is-playing", playing);
    var label = link.getAttribute("aria-label") || "";
    label = label.replace(/^(Play|Pause) /, "");
    link.setAttribute("aria-label", (playing ? "Pause " : "Play ") + label);
    var bubble = bubbleOf(link);
    if (bubble) {
      bubble.classList.toggle("is-current", playing || (continuous && link === current));
    }
  }

  function clearWords(bubble) {
    if (!bubble) {
      return;
    }
    bubble.querySelectorAll(".word.is-said").forEach(function (word) {
      word.classList.remove("is-said");
    });
  }

  // the word being said now: the last one that has started (a word stays lit through a pause)
  function highlight() {
    var bubble = bubbleOf(current);
    if (!bubble) {
      return;
    }
    var ms = audio.currentTime * 1000;
    var words = bubble.querySelectorAll(".word");
    var said = null;
    for (var i = 0; i < words.length; i += 1) {
      if (Number(words[i].getAttribute("data-start")) <= ms) {
        said = words[i];
      } else {
        break;
      }
    }
    words.forEach(function (word) {
      word.classList.toggle("is-said", word === said);
    });
  }

  function tick() {
    highlight();
    frame = audio.paused ? 0 : window.requestAnimationFrame(tick);
  }

  function play(link) {
    if (current !== link) {
      if (current) {
        var previous = bubbleOf(current);
        setState(current, false);
        clearWords(previous);
        if (previous) {
          previous.classList.remove("is-current");
        }
      }
      current = link;
      audio.src = link.getAttribute("href");
    }
    var started = audio.play();
    if (started && started.catch) {
      started.catch(function () {
        stop();
      });
    }
  }

  function stop() {
    continuous = false;
    audio.pause();
    if (playAll) {
      playAll.textContent = "Play the conversation";
      playAll.setAttribute("aria-pressed", "false");
    }
  }

  function links() {
    return Array.prototype.slice.call(conversation.querySelectorAll(".bubble a[data-play]"));
  }

  function announce(link) {
    if (nowPlaying && continuous) {
      var all = links();
      nowPlaying.textContent = "Playing " + (all.indexOf(link) + 1) + " of " + all.length + ".";
    }
  }

  audio.addEventListener("play", function () {
    setState(current, true);
    announce(current);
    if (!frame) {
      frame = window.requestAnimationFrame(tick);
    }
  });
  audio.addEventListener("pause", function () {
    setState(current, false);
    highlight();
  });
  audio.addEventListener("ended", function () {
    clearWords(bubbleOf(current));
    if (!continuous) {
      return;
    }
    var all = links();
    var next = all[all.indexOf(current) + 1];
    if (next) {
      next.scrollIntoView({ block: "nearest" });
      play(next);
    } else {
      stop();
      if (nowPlaying) {
        nowPlaying.textContent = "End of the conversation.";
      }
    }
  });
  audio.addEventListener("error", function () {
    var link = current;
    stop();
    if (link) {
      setState(link, false);
      link.classList.add("is-unavailable");
      link.setAttribute("title", "This recording could not be played (it may have been deleted).");
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-play]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    if (link === current && !audio.paused) {
      stop();
      return;
    }
    if (conversation && conversation.contains(link)) {
      continuous = true;
      if (playAll) {
        playAll.textContent = "Pause";
        playAll.setAttribute("aria-pressed", "true");
      }
    } else {
      continuous = false;
    }
    play(link);
  });

  if (playAll) {
    var first = links()[0];
    playAll.hidden = !first;
    playAll.addEventListener("click", function () {
      if (continuous && !audio.paused) {
        stop();
        return;
      }
      continuous = true;
      playAll.textContent = "Pause";
      playAll.setAttribute("aria-pressed", "true");
      // resume where it stopped, else from the first bubble
      play(current && conversation.contains(current) ? current : links()[0]);
    });
  }
})();
