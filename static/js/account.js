// Progressive enhancement of /account/. Without JavaScript the page works the same: the new
// token is selectable text, and the warning before a new token replaces the old one is on the page.
// This adds:
// - a Copy button next to a new token (the Clipboard API, else the browser's copy command);
// - a confirm() before a form with data-confirm is sent (a new token, revoking the token).
(function () {
  "use strict";

  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    return new Promise(function (resolve, reject) {
      input.focus();
      input.select();
      (document.execCommand && document.execCommand("copy") ? resolve : reject)();
    });
  }

  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById("copy-status");
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(input).then(
        function () {
          button.textContent = button.getAttribute("data-copied-text") || "Copied";
          if (status) {
            status.textContent = "The token is copied to your clipboard.";
          }
        },
        function () {
          input.focus();
          input.select();
          if (status) {
            status.textContent = "Copying did not work here: the token is selected, copy it yourself.";
          }
        }
      );
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
})();
