/* A table wider than a phone's screen scrolls sideways inside its box (portal.css);
   such a box must be reachable by keyboard to be scrolled, so it gets a tab stop (and
   loses it again when the window is wide enough). */
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("table.list").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else {
        table.removeAttribute("tabindex");
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
}());
