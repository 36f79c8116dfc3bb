// newsmon serve: the only script the page runs (the Content-Security-Policy forbids inline script).
// Times are sent in UTC; show them in the reader's own zone. The title attribute keeps the time
// on the source's own clock, shown on hover.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var fmt = new Intl.DateTimeFormat(undefined, {year: "numeric", month: "short", day: "numeric",
                                                hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
  var day = new Intl.DateTimeFormat(undefined, {year: "numeric", month: "short", day: "numeric"});
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var value = el.getAttribute("datetime");
    var when = new Date(value);
    if (isNaN(when.getTime())) return;
    el.textContent = value.length > 10 ? fmt.format(when) : day.format(when);
    el.classList.add("local");
  });
});
