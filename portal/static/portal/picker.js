/* Pickers: a text field with data-picker="<url>" offers, as the user types, the cases
   the server finds for it (number, sequence, name or reading), in a <datalist>. A
   button with data-append-from / data-append-to adds the chosen entry to a list field
   (the meeting's agenda), one per line. Without JavaScript the fields still take a
   number or a name. */
(function () {
  "use strict";
  function attach(input) {
    var list = document.createElement("datalist");
    var timer = null;
    list.id = input.id + "-choices";
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.appendChild(list);
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var query = input.value.trim();
      if (!query) { list.replaceChildren(); return; }
      timer = window.setTimeout(function () {
        fetch(input.getAttribute("data-picker") + "?q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { "Accept": "application/json" }
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (entry) {
              var option = document.createElement("option");
              option.value = entry.value;
              return option;
            }));
            input.setAttribute("data-choices", String(data.results.length));
          });
      }, 200);
    });
  }
  document.querySelectorAll("input[data-picker]").forEach(attach);
  document.querySelectorAll("button[data-append-from]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-append-from"));
      var target = document.getElementById(button.getAttribute("data-append-to"));
      var value = input.value.trim();
      if (!value || !target) { return; }
      var current = target.value.trim();
      target.value = (current ? current + "\n" : "") + value;
      input.value = "";
      input.focus();
    });
  });
}());
