// The owner's time zone from the browser, while the owner has not chosen one. An element with
// data-detect-time-zone is on the page only then (the account page's form, the timeline's zone
// label); this reads the browser's zone (Intl.DateTimeFormat().resolvedOptions().timeZone),
// puts it in the account page's field, and saves it once (POST with detected=1: the server keeps
// a zone the owner chose meanwhile). When the timeline was shown in another zone, it reloads so
// that its times and its "today" are the owner's (data-reload; the account page does not).
// Without JavaScript the owner picks the zone on the account page; until then the pages use the
// server's.
(function () {
  "use strict";

  var marker = document.querySelector("[data-detect-time-zone]");
  if (!marker || !window.fetch || !window.FormData || !window.Intl || !Intl.DateTimeFormat) {
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) {
    return;
  }
  var url = marker.getAttribute("data-save-url") || marker.getAttribute("action");
  var field = marker.querySelector('input[name="time_zone"]');
  var note = marker.querySelector(".time-zone-detected");
  var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
  if (field && !field.value) {
    field.value = zone;
  }
  if (!url || !token) {
    return;
  }
  var body = new FormData();
  body.append("csrfmiddlewaretoken", token.value);
  body.append("time_zone", zone);
  body.append("detected", "true");
  fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (saved) {
      if (!saved) {
        return; // a zone this server does not know: the owner can pick one on the account page
      }
      if (note) {
        note.textContent = "Saved " + saved.time_zone + ", your browser's time zone.";
        note.hidden = false;
      }
      if (saved.time_zone === marker.getAttribute("data-page-zone")) {
        return;
      }
      // the timeline reloads to show its days in the new zone; the account page does not (it may
      // be showing a new API token, once) and says that the next pages use the zone
      if (marker.hasAttribute("data-reload")) {
        window.location.reload();
      } else if (note) {
        note.textContent += " Your pages use it from now on.";
      }
    })
    .catch(function () {});
})();
