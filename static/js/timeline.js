// Progressive enhancement of /timeline/. Everything here also works without JavaScript (plain
// links and POST forms); this only saves page loads:
// - while the page is live (today's page, or chunks still processing: the panel's data-live), ask
//   the processing panel every 10 s (only while the tab is visible) whether anything changed: the
//   request carries the version the page shows (If-None-Match) and the answer is 304 until a
//   recording of the day or of the panel changes; then the panel comes back new, and the day's
//   bubbles, strip and recording rows are fetched again and swapped in place;
// - delete an utterance, or the whole recording it came from, after a confirm(), and remove its
//   bubbles from the page. The server checks ownership and CSRF; nothing is decided here.
(function () {
  "use strict";

  var INTERVAL_MS = 10000;
  if (!window.fetch || !window.DOMParser || !window.FormData) {
    return;
  }
  var messages = document.getElementById("messages");

  function announce(text, kind) {
    if (!messages) {
      return;
    }
    var line = document.createElement("p");
    line.className = "message" + (kind ? " message--" + kind : "");
    line.textContent = text;
    messages.innerHTML = "";
    messages.appendChild(line);
  }

  function fetchPage(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
      // a redirect means the session ended (login page): stop quietly
      if (!response.ok || response.redirected) {
        throw new Error("refresh stopped: " + response.status);
      }
      return response.text();
    });
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  // --- the day's parts: reload in place ----------------------------------------------------------

  // What the bubbles say, in order: the list is swapped only when this changes, so that a player
  // in use is not cut off by a change elsewhere on the day.
  function bubblesSignature(root) {
    return Array.prototype.map
      .call(root.querySelectorAll(".bubble[data-segment-id]"), function (bubble) {
        var text = bubble.querySelector(".bubble-text");
        return bubble.getAttribute("data-segment-id") + ":" + (text ? text.textContent : "");
      })
      .join("|");
  }

  function reloadDay(finished) {
    var list = document.getElementById("utterances");
    if (!list) {
      return Promise.resolve(false);
    }
    var note = null;
    if (finished) {
      list.setAttribute("aria-busy", "true");
      note = document.createElement("p");
      note.className = "updating";
      note.textContent = "Updating…";
      var title = document.getElementById("utterances-title");
      list.insertBefore(note, title ? title.nextSibling : list.firstChild);
    }
    var before = bubblesSignature(list);
    return fetchPage(window.location.href)
      .then(function (html) {
        var fresh = parse(html);
        ["day-strip", "recordings"].forEach(function (id) {
          var current = document.getElementById(id);
          var replacement = fresh.getElementById(id);
          if (current && replacement) {
            if (id === "recordings") {  // keep the rows open or closed as the owner left them
              var open = current.querySelector("details");
              var details = replacement.querySelector("details");
              if (open && details) {
                details.open = open.open;
              }
            }
            current.innerHTML = replacement.innerHTML;
          }
        });
        var replacement = fresh.getElementById("utterances");
        if (note) {
          note.remove();
        }
        if (replacement && bubblesSignature(replacement) !== before) {
          list.innerHTML = replacement.innerHTML;
          return true;
        }
        return false;
      })
      .catch(function () {
        if (!note) {
          return false;
        }
        note.textContent = "";
        var link = document.createElement("a");
        link.href = window.location.href;
        link.textContent = "Reload the page to see the new utterances.";
        note.appendChild(link);
        return false;
      })
      .then(function (changed) {
        list.removeAttribute("aria-busy");
        return changed;
      });
  }

  // --- the processing panel, and the live page ------------------------------------------------------

  var panel = document.getElementById("processing");

  function pendingIds(element) {
    var ids = {};
    element.querySelectorAll('[data-chunk-id][data-pending="true"]').forEach(function (item) {
      ids[item.getAttribute("data-chunk-id")] = true;
    });
    return ids;
  }

  function scheduleRefresh() {
    if (panel.getAttribute("data-live") === "true") {
      window.setTimeout(refreshPanel, INTERVAL_MS);
    }
  }

  function refreshPanel() {
    if (document.hidden) {
      window.setTimeout(refreshPanel, INTERVAL_MS);
      return;
    }
    var before = pendingIds(panel);
    fetch(panel.getAttribute("data-refresh-url"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html", "If-None-Match": panel.getAttribute("data-version") || "" },
    })
      .then(function (response) {
        if (response.status === 304) {
          scheduleRefresh();
          return;
        }
        // a redirect means the session ended (login page): stop quietly
        if (!response.ok || response.redirected) {
          throw new Error("refresh stopped: " + response.status);
        }
        return response.text().then(function (html) {
          var fresh = parse(html).getElementById("processing");
          if (!fresh) {
            return;
          }
          var after = pendingIds(fresh);
          var finished = Object.keys(before).some(function (id) {
            return !after[id];
          });
          // update in place, so that the aria-live region announces the change
          panel.innerHTML = fresh.innerHTML;
          panel.hidden = fresh.hidden;
          ["data-active", "data-live", "data-version"].forEach(function (name) {
            panel.setAttribute(name, fresh.getAttribute(name) || "");
          });
          reloadDay(finished).then(function (changed) {
            if (finished) {
              announce("A recording finished processing; its utterances are now on the timeline.", "info");
            } else if (changed) {
              announce("The timeline is up to date: new utterances are on it.", "info");
            }
          });
          scheduleRefresh();
        });
      })
      .catch(function () {});
  }

  if (panel) {
    scheduleRefresh();
  }

  // --- the day picker: a calendar beside the ISO field --------------------------------------------
  // The field takes and shows YYYY-MM-DD, as the page's headings and links do; a browser's own date
  // field would show the locale's order (05/02/2024). Where the browser can open its date picker
  // on demand (showPicker), a Calendar button opens it and puts the chosen day in the field, ISO.

  var dayField = document.querySelector('.day-nav-pick input[name="day"]');
  var calendar = document.createElement("input");
  calendar.type = "date";
  if (dayField && dayField.form && calendar.type === "date" && typeof calendar.showPicker === "function") {
    calendar.className = "day-calendar visually-hidden";
    calendar.tabIndex = -1;
    calendar.setAttribute("aria-hidden", "true");
    var calendarButton = document.createElement("button");
    calendarButton.type = "button";
    calendarButton.className = "secondary day-calendar-button";
    calendarButton.textContent = "Calendar";
    calendarButton.setAttribute("aria-label", "Pick the day on a calendar");
    dayField.insertAdjacentElement("afterend", calendarButton);
    dayField.insertAdjacentElement("afterend", calendar);
    calendarButton.addEventListener("click", function () {
      calendar.value = dayField.value;
      try {
        calendar.showPicker();
      } catch (error) {
        dayField.focus(); // not allowed here: the owner types the day
      }
    });
    calendar.addEventListener("change", function () {
      if (calendar.value) {
        dayField.value = calendar.value;
        dayField.form.requestSubmit();
      }
    });
  }

  // --- deleting ---------------------------------------------------------------------------------

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || "The server answered " + response.status + ". Try again, or reload the page.");
          }
          return data;
        });
    });
  }

  function removeBubbles(bubbles) {
    if (!bubbles.length) {
      return;
    }
    // keep the keyboard focus nearby: the next bubble's first control, else the list's title
    var all = Array.prototype.slice.call(document.querySelectorAll("#utterances .bubble"));
    var last = all.indexOf(bubbles[bubbles.length - 1]);
    var next = all.slice(last + 1).find(function (bubble) {
      return bubbles.indexOf(bubble) < 0;
    });
    bubbles.forEach(function (bubble) {
      var group = bubble.closest(".bubble-group");
      bubble.remove();
      if (group && !group.querySelector(".bubble")) {
        group.remove();
      }
    });
    var target = next && next.querySelector("button, a, audio");
    if (!target) {
      target = document.getElementById("utterances-title");
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  function bubblesOf(attribute, value) {
    return Array.prototype.slice.call(
      document.querySelectorAll("#utterances .bubble[" + attribute + '="' + value + '"]')
    );
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("voice-check-answer")) {
      answerVoiceCheck(event, form);
      return;
    }
    if (!form.classList || !(form.classList.contains("bubble-delete") || form.classList.contains("bubble-not-me"))) {
      return;
    }
    event.preventDefault();
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      return;
    }
    var bubble = form.closest(".bubble");
    bubble.classList.add("is-removing");
    post(form.action, new FormData(form))
      .then(function (data) {
        removeBubbles([bubble]);
        announce(data.message || "Deleted.");
      })
      .catch(function (error) {
        bubble.classList.remove("is-removing");
        announce(error.message, "error");
      });
  });

  // "Was this you?": answer in place; the card goes, the answer is announced.
  function answerVoiceCheck(event, form) {
    event.preventDefault();
    var card = form.closest(".voice-check");
    var body = new FormData(form);
    if (event.submitter && event.submitter.name) {
      body.append(event.submitter.name, event.submitter.value);
    }
    card.classList.add("is-removing");
    post(form.action, body)
      .then(function (data) {
        var list = card.parentNode;
        card.remove();
        if (list && !list.querySelector(".voice-check")) {
          document.getElementById("voice-checks").remove();
        }
        announce(data.message || "Thanks.");
      })
      .catch(function (error) {
        card.classList.remove("is-removing");
        announce(error.message, "error");
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.chunk-delete[data-post-url]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    if (!window.confirm(link.getAttribute("data-confirm"))) {
      return;
    }
    var chunkId = link.closest(".bubble").getAttribute("data-chunk-id");
    var bubbles = bubblesOf("data-chunk-id", chunkId);
    bubbles.forEach(function (bubble) {
      bubble.classList.add("is-removing");
    });
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    post(link.getAttribute("data-post-url"), body)
      .then(function (data) {
        removeBubbles(bubbles);
        announce(data.message || "Deleted.");
      })
      .catch(function (error) {
        bubbles.forEach(function (bubble) {
          bubble.classList.remove("is-removing");
        });
        announce(error.message, "error");
      });
  });
})();
