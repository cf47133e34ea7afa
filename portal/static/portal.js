// Behaviour of the layout's pages, kept out of the HTML so that the Content-Security-Policy
// can refuse every inline script: a button with data-print prints the page.
document.addEventListener("click", function (event) {
  var button = event.target.closest('[data-print]');
  if (button) { window.print(); }
});
