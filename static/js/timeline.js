// Progressive enhancement of /timeline/: while chunks are still processing, refresh the
// processing panel every 10 s (only while the tab is visible). The page works without it.
(function () {
  "use strict";

  var INTERVAL_MS = 10000;
  var panel = document.getElementById("processing");
  if (!panel || !window.fetch || !window.DOMParser) {
    return;
  }

  function isActive(element) {
    return element.getAttribute("data-active") === "true";
  }

  function showFinished() {
    var notice = document.createElement("p");
    var link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = "Reload the page to see the new utterances.";
    notice.textContent = "Processing finished. ";
    notice.appendChild(link);
    panel.hidden = false;
    panel.appendChild(notice);
  }

  function refresh() {
    if (document.hidden) {
      window.setTimeout(refresh, INTERVAL_MS);
      return;
    }
    fetch(panel.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // a redirect means the session ended (login page): stop quietly
        if (!response.ok || response.redirected) {
          throw new Error("panel refresh stopped: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("processing");
        if (!fresh) {
          return;
        }
        // update in place, so that the aria-live region announces the change
        panel.innerHTML = fresh.innerHTML;
        panel.hidden = fresh.hidden;
        panel.setAttribute("data-active", fresh.getAttribute("data-active"));
        if (isActive(panel)) {
          window.setTimeout(refresh, INTERVAL_MS);
        } else {
          showFinished();
        }
      })
      .catch(function () {});
  }

  if (isActive(panel)) {
    window.setTimeout(refresh, INTERVAL_MS);
  }
})();
