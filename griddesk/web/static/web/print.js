// The print view's 打印 button (a file, not inline script: the CSP allows 'self').
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-button");
  if (button) button.addEventListener("click", function () { window.print(); });
});
