// Madang staff console: the bulk-selection counter and "select all on this page".
// Everything works without this script; it only keeps the counter right.
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) return;
  var counter = document.getElementById("counter");
  var all = document.getElementById("select-all");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.row-check"));
  var total = form.getAttribute("data-total") || String(boxes.length);
  function update() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    if (counter) {
      counter.textContent = n + " " + counter.getAttribute("data-of") + " " + total + " " +
        counter.getAttribute("data-selected");
    }
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    boxes.forEach(function (b) {
      var row = b.closest("tr");
      if (row) row.classList.toggle("selected", b.checked);
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      update();
    });
  }
  update();
})();
