// Players show their length before anyone presses play, without loading every clip of a long
// page at once: each <audio preload="none" data-load-metadata> asks for its metadata (the WAV
// header: a small range request) when it comes near the screen. Without JavaScript, or without
// IntersectionObserver, the players still play; they show their length once played.
(function () {
  "use strict";

  function start() {
    if (!("IntersectionObserver" in window)) {
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            loadMetadata(entry.target);
          }
        });
      },
      { rootMargin: "200px 0px" }
    );
    function watch(root) {
      root.querySelectorAll("audio[data-load-metadata]").forEach(function (audio) {
        observer.observe(audio);
      });
    }
    watch(document);
    // Players the page adds later (bubbles refreshed in place) are watched too.
    if ("MutationObserver" in window) {
      new MutationObserver(function (changes) {
        changes.forEach(function (change) {
          change.addedNodes.forEach(function (node) {
            if (node.nodeType !== 1) {
              return;
            }
            if (node.matches("audio[data-load-metadata]")) {
              observer.observe(node);
            } else {
              watch(node);
            }
          });
        });
      }).observe(document.body, { childList: true, subtree: true });
    }
  }

  function loadMetadata(audio) {
    if (audio.preload === "none" && audio.readyState === 0) {
      audio.preload = "metadata";
      audio.load();
    }
  }

  // Loaded in the <head> by some pages (the admin's media), deferred by others.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
