// Progressive enhancement of /enroll/. Without JavaScript the page is a file upload form and a
// status page to reload. With it:
// - record in the browser (getUserMedia + MediaRecorder) with a level meter and a timer, listen
//   back, then upload through the same form (the recording becomes the form's file);
// - refresh the enrollment's status in place until the voiceprint job has an answer.
(function () {
  "use strict";

  // --- recording ----------------------------------------------------------------------------

  var recorderSection = document.getElementById("recorder");
  var form = document.getElementById("enroll-form");
  // The limits come from the server's settings (data attributes of the form).
  var limits = form ? form.dataset : {};
  var ADVISED_MIN = Number(limits.advisedMinS) || 10;
  var ADVISED_MAX = Number(limits.advisedMaxS) || 30;
  // the passage takes 15–20 s; stop at a minute, and well before the server's own limit
  var MAX_SECONDS = Math.min(60, Math.floor((Number(limits.maxS) || 120) / 2));
  var SHORT_SECONDS = ADVISED_MIN - 2; // a little slack under the advice before warning

  function setUp() {
    if (!recorderSection || !form || !window.MediaRecorder || !window.DataTransfer) {
      return;
    }
    var heading = document.getElementById("upload-title");
    var status = document.getElementById("record-status");
    var startButton = document.getElementById("record-start");
    var stopButton = document.getElementById("record-stop");
    var meter = document.getElementById("record-meter");
    var timer = document.getElementById("record-time");
    var review = document.getElementById("record-review");
    var preview = document.getElementById("record-preview");
    var useButton = document.getElementById("record-use");
    var againButton = document.getElementById("record-again");
    var fileInput = form.querySelector('input[type="file"]');

    recorderSection.hidden = false;
    heading.textContent = heading.getAttribute("data-js-text");

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // browsers offer the microphone to secure (https) pages only
      status.textContent = window.isSecureContext
        ? "This browser cannot record here. Upload a recording below instead."
        : "Recording in the browser needs a secure (https) connection. Upload a recording below instead.";
      startButton.disabled = true;
      return;
    }

    var stream = null;
    var recorder = null;
    var pieces = [];
    var blob = null;
    var started = 0;
    var tick = null;
    var audioContext = null;
    var frame = null;

    function mimeType() {
      var candidates = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
      for (var i = 0; i < candidates.length; i++) {
        if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(candidates[i])) {
          return candidates[i];
        }
      }
      return "";
    }

    function extension(type) {
      if (type.indexOf("ogg") >= 0) return "ogg";
      if (type.indexOf("mp4") >= 0) return "m4a";
      return "webm";
    }

    function seconds() {
      return Math.floor((Date.now() - started) / 1000);
    }

    function showTime(total) {
      var s = total % 60;
      timer.textContent = Math.floor(total / 60) + ":" + (s < 10 ? "0" : "") + s;
    }

    function watchLevel() {
      var AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) {
        return;
      }
      audioContext = new AudioContext();
      var analyser = audioContext.createAnalyser();
      analyser.fftSize = 1024;
      audioContext.createMediaStreamSource(stream).connect(analyser);
      var samples = new Float32Array(analyser.fftSize);
      (function draw() {
        analyser.getFloatTimeDomainData(samples);
        var peak = 0;
        for (var i = 0; i < samples.length; i++) {
          peak = Math.max(peak, Math.abs(samples[i]));
        }
        meter.value = Math.min(1, peak);
        frame = window.requestAnimationFrame(draw);
      })();
    }

    function release() {
      if (frame) window.cancelAnimationFrame(frame);
      if (tick) window.clearInterval(tick);
      if (audioContext) audioContext.close();
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      frame = tick = audioContext = stream = null;
      recorderSection.classList.remove("is-recording");
      meter.value = 0;
    }

    function problem(error) {
      if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
        return "The microphone is blocked for this site. Allow it in the browser's site settings, or upload a recording below.";
      }
      if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) {
        return "No microphone was found. Connect one, or upload a recording below.";
      }
      return "Recording could not start (" + (error && error.message ? error.message : "unknown error") + "). Upload a recording below instead.";
    }

    function start() {
      startButton.disabled = true;
      review.hidden = true;
      status.textContent = "Asking for the microphone…";
      navigator.mediaDevices
        .getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: true } })
        .then(function (granted) {
          stream = granted;
          pieces = [];
          var type = mimeType();
          recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
          recorder.addEventListener("dataavailable", function (event) {
            if (event.data && event.data.size) pieces.push(event.data);
          });
          recorder.addEventListener("stop", finished);
          recorder.start(250);
          started = Date.now();
          showTime(0);
          tick = window.setInterval(function () {
            var total = seconds();
            showTime(total);
            if (total >= MAX_SECONDS) stop();
          }, 250);
          watchLevel();
          recorderSection.classList.add("is-recording");
          stopButton.disabled = false;
          stopButton.focus();
          status.textContent = "Recording. Read the passage aloud, then press Stop.";
        })
        .catch(function (error) {
          release();
          startButton.disabled = false;
          status.textContent = problem(error);
        });
    }

    function stop() {
      if (recorder && recorder.state !== "inactive") {
        recorder.stop();
      }
      stopButton.disabled = true;
    }

    function finished() {
      var total = seconds();
      release();
      blob = new Blob(pieces, { type: recorder.mimeType || "audio/webm" });
      preview.src = URL.createObjectURL(blob);
      review.hidden = false;
      startButton.disabled = false;
      startButton.textContent = "Start again";
      status.textContent =
        total < SHORT_SECONDS
          ? "Recorded " + total + " s: that is short, aim for " + ADVISED_MIN + "–" + ADVISED_MAX +
            " seconds. Record again, or upload it anyway."
          : "Recorded " + total + " s. Listen to it, then upload it.";
      useButton.focus();
    }

    function upload() {
      if (!blob) return;
      var type = blob.type.split(";")[0] || "audio/webm";
      var file = new File([blob], "recording." + extension(type), { type: type });
      var files = new DataTransfer();
      files.items.add(file);
      fileInput.files = files.files;
      useButton.disabled = true;
      againButton.disabled = true;
      status.textContent = "Uploading…";
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }

    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", stop);
    useButton.addEventListener("click", upload);
    againButton.addEventListener("click", start);
  }

  setUp();

  // --- following the voiceprint job -----------------------------------------------------------

  var panel = document.getElementById("enrollment-status");
  if (!panel || !window.fetch || !window.DOMParser) {
    return;
  }
  var delay = 1500;

  function refresh() {
    fetch(panel.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("status refresh stopped: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("enrollment-status");
        if (!fresh) {
          return;
        }
        panel.innerHTML = fresh.innerHTML; // in place: the aria-live region announces it
        panel.className = fresh.className;
        panel.setAttribute("data-active", fresh.getAttribute("data-active"));
        if (fresh.getAttribute("data-active") === "true") {
          delay = Math.min(delay * 1.5, 10000);
          window.setTimeout(refresh, delay);
        }
      })
      .catch(function () {
        var note = document.createElement("p");
        note.textContent = "The status could not be refreshed. Reload the page to see the result.";
        panel.appendChild(note);
      });
  }

  if (panel.getAttribute("data-active") === "true") {
    window.setTimeout(refresh, delay);
  }
})();
