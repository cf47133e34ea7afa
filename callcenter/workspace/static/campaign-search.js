// The operators' campaign list answers a search as one types: it fetches the same page the search
// form submits (the server searches and cuts the pages) and puts its rows and page links in place.
(function () {
  var form = document.getElementById("campaign-search");
  var input = document.getElementById("campaign-q");
  if (!form || !input) { return; }
  var timer = null;
  var asked = 0;

  function search() {
    var mine = ++asked;
    var address = new URL(form.action, window.location.href);
    address.searchParams.set("q", input.value);
    fetch(address, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || mine !== asked) { return; }  // an older answer arriving late is dropped
        var page = new DOMParser().parseFromString(html, "text/html");
        ["campaign-rows", "campaign-pages"].forEach(function (id) {
          var fresh = page.getElementById(id);
          var current = document.getElementById(id);
          if (fresh && current) { current.innerHTML = fresh.innerHTML; }
        });
        window.history.replaceState(null, "", address);
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
