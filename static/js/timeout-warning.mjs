// The GOV.UK timeout warning pattern for signed-in victims (components/timeout_warning.html).
//
// The dialog opens `data-warning-seconds` before the session ends, as a native modal
// <dialog>: the browser moves focus into it, keeps focus inside it and gives it the
// dialog role, so screen readers announce its heading and text. "Stay signed in" (or
// Escape) posts to the server, which counts it as activity, and closes the dialog;
// focus goes back where it was. When time runs out the browser goes to the timed-out
// page, which ends the session on the server and shows no case data.

function plural(dialog, unit, count) {
  // data-i18n.minutes-one is dataset["i18n.minutesOne"].
  const form = count === 1 ? "One" : "Other";
  const template = dialog.dataset[`i18n.${unit}${form}`] || `%{count} ${unit}`;
  return template.replace("%{count}", String(count));
}

function describe(dialog, seconds) {
  if (seconds >= 60) {
    return plural(dialog, "minutes", Math.ceil(seconds / 60));
  }
  return plural(dialog, "seconds", seconds);
}

function startTimeoutWarning(dialog) {
  const form = dialog.querySelector(".js-timeout-stay");
  const countdown = dialog.querySelector(".js-timeout-countdown");
  const announcement = dialog.querySelector(".js-timeout-announcement");
  const warningSeconds = Number(dialog.dataset.warningSeconds);
  const timedOutUrl = dialog.dataset.timedOutUrl;
  let endsAt = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let ticker = null;
  let warnTimer = null;
  let returnFocusTo = null;
  let lastAnnounced = null;

  function secondsLeft() {
    return Math.max(0, Math.round((endsAt - Date.now()) / 1000));
  }

  function tick() {
    const left = secondsLeft();
    if (left <= 0) {
      window.location.href = timedOutUrl;
      return;
    }
    const text = describe(dialog, left);
    countdown.textContent = text;
    // Announce at the start, each new minute, and every 20 seconds in the last one,
    // rather than every second, which would drown out everything else.
    const mark = left >= 60 ? `m${Math.ceil(left / 60)}` : `s${Math.ceil(left / 20)}`;
    if (mark !== lastAnnounced) {
      lastAnnounced = mark;
      announcement.textContent = dialog.querySelector("#timeout-warning-text").textContent.trim();
    }
  }

  function open() {
    if (dialog.open) return;
    returnFocusTo = document.activeElement;
    lastAnnounced = null;
    dialog.showModal();
    tick();
    ticker = window.setInterval(tick, 1000);
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    const untilWarning = Math.max(0, (endsAt - Date.now()) - warningSeconds * 1000);
    warnTimer = window.setTimeout(open, untilWarning);
  }

  function close() {
    window.clearInterval(ticker);
    if (dialog.open) dialog.close();
    announcement.textContent = "";
    if (returnFocusTo && typeof returnFocusTo.focus === "function") {
      returnFocusTo.focus();
    }
  }

  async function staySignedIn() {
    let seconds = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        redirect: "follow",
      });
      if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
        seconds = (await response.json()).seconds_left;
      }
    } catch (error) {
      seconds = null;
    }
    if (seconds === null || seconds === undefined) {
      window.location.href = timedOutUrl;
      return;
    }
    endsAt = Date.now() + seconds * 1000;
    close();
    schedule();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    staySignedIn();
  });
  // Escape fires "cancel"; keep the dialog in our hands and stay signed in.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn();
  });
  schedule();
}

const dialog = document.querySelector('[data-module="app-timeout-warning"]');
if (dialog && typeof dialog.showModal === "function") {
  startTimeoutWarning(dialog);
}
