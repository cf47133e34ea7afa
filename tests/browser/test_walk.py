"""Every page of every role, at a laptop's and a phone's size: nothing scrolls sideways, axe-core
finds no serious or critical violation, and the Italian page shows no English UI string (README "Browser tests").

The walk follows the links each role sees from its home, one page per kind of address (an
agent's folder stands for every agent's folder), so that a new page is walked without being
listed here.
"""
import re
from urllib.parse import urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import LAPTOP, PHONE, login
from tests.conftest import ROOT

# The narrowest role first: each kind of page is walked as the first role that reaches it, so the
# agent's and the client's pages are seen as they see them, and the whole walk stays short.
ROLES = ("agente.rossi@demo.example", "zona.milano@demo.example", "cliente@demo.example",
         "operatore@demo.example", "manager@demo.example", "admin@demo.example")
# Not pages: files, feeds, JSON, switches that change the session.
SKIPPED = re.compile(r"/(api/|static/|deform_static/|logout|language|feeds/)|\.(xlsx|ics|json|css|js)$|/download$")
# Path segments naming one item among its siblings: one of each kind is enough.
ITEMS = ("clients", "campaigns", "zones", "agents", "appointments", "steps", "users", "mail-templates",
         "exports", "requests", "holds", "fields", "tokens")
MAX_PAGES = 80
# Pages reached through a form rather than a link (their address has a query), walked too.
FORM_PAGES = {
    "operatore@demo.example": ["/clients/demo/campaigns/serramenti-2026/book?postal_code=20121",
                               "/callcenter/?q=serramenti"],
    "cliente@demo.example": ["/clients/demo/appointments?state=to_confirm&q=bar"],
}
IMPACTS = ("serious", "critical")

OVERFLOW = """() => {
  const root = document.documentElement;
  const overflow = root.scrollWidth - root.clientWidth;
  if (overflow <= 1) return null;
  const culprits = [];
  for (const element of document.querySelectorAll('body *')) {
    const box = element.getBoundingClientRect();
    if (box.right > root.clientWidth + 1 && element.closest('.table-responsive, .overflow-auto') === null) {
      culprits.push(element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
                    + (element.className && typeof element.className === 'string'
                       ? '.' + element.className.trim().split(/\\s+/).join('.') : ''));
    }
  }
  return overflow + 'px: ' + culprits.slice(0, 4).join(', ');
}"""
# On a laptop a table fits the page: its scrolling container is for phones only.
SCROLLING_TABLES = """() => Array.from(document.querySelectorAll('.table-responsive'))
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => (box.querySelector('table') || box).id || 'a table')"""


def kind_of(path):
    """The address with the names of single items replaced: /clients/demo/agents/rossi/ -> /clients/*/agents/*/."""
    parts = path.rstrip("/").split("/")
    for index in range(1, len(parts)):
        if parts[index - 1] in ITEMS and parts[index] and parts[index] not in ("add", "import"):
            parts[index] = "*"
        elif re.fullmatch(r"\d+", parts[index]):
            parts[index] = "*"
    return "/".join(parts)


# Every visible text node and label of the page, for the English UI strings among them.
ENGLISH_LEFT = """english => {
  const words = new Set(english), found = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, [lang]:not(html)')) continue;
    const text = node.textContent.trim();
    if (words.has(text)) found.add(text);
  }
  for (const element of document.querySelectorAll('[aria-label], [title], [placeholder], input[type=submit]')) {
    for (const name of ['aria-label', 'title', 'placeholder', 'value']) {
      const text = (element.getAttribute(name) || '').trim();
      if (words.has(text)) found.add(text);
    }
  }
  return Array.from(found);
}"""


def english_ui_strings():
    """The English text of every message the Italian catalogue translates differently: the text of
    a template's msgid, the default of a message code; texts with placeholders are filled in at
    run time, the shortest ones ("No.") could be data, and some are Italian words too ("Zone",
    "Province": the plurals of zona and provincia)."""
    from babel.messages.pofile import read_po

    with open(ROOT / "portal" / "locale" / "it" / "LC_MESSAGES" / "portal.po", "rb") as po:
        catalog = read_po(po)
    english, italian = set(), {message.string.strip() for message in catalog if message.id and message.string}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        defaults = [comment[len("Default: "):] for comment in message.auto_comments if comment.startswith("Default: ")]
        text = (defaults[0] if defaults else message.id).strip()
        if "${" not in text and len(text) >= 4 and text not in italian:
            english.add(text)
    return sorted(english)


HREFS = re.compile(r"""<a\b[^>]*\bhref=["']([^"'#]+)""")


def walk(page, base, checked):
    """Yields each kind of page the logged-in user reaches by following links from home and not
    ``checked`` yet, loaded in the page; the pages already checked are only read for their links."""
    seen, queue = set(), ["/"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if kind_of(path) in seen:
            continue
        seen.add(kind_of(path))
        if path != "/" and kind_of(path) in checked:
            response = page.context.request.get(path)
            if not response.ok or "text/html" not in response.headers.get("content-type", ""):
                continue
            landed, links = urlsplit(response.url).path, HREFS.findall(response.text())
        else:
            response = page.goto(path)
            if response is None or not response.ok or "text/html" not in response.headers.get("content-type", ""):
                continue
            landed = urlsplit(page.url).path
            if landed != path and kind_of(landed) in seen:  # a redirect to a page already walked
                continue
            if kind_of(landed) not in checked:
                yield landed
            links = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
        seen.add(kind_of(landed))
        for href in links:
            url = urlsplit(urljoin(base + landed, href.replace("&amp;", "&")))
            if url.netloc != urlsplit(base).netloc or SKIPPED.search(url.path) or url.query:
                continue
            if kind_of(url.path) not in seen:
                queue.append(url.path)


def check_page(page, path, axe, problems, english):
    for text in page.evaluate(ENGLISH_LEFT, english):
        problems.append(f"{path}: English on the Italian page: {text!r}")
    too_wide = page.evaluate(OVERFLOW)
    if too_wide:
        problems.append(f"{path} at 1366 px scrolls sideways by {too_wide}")
    for table in page.evaluate(SCROLLING_TABLES):
        problems.append(f"{path} at 1366 px: {table} scrolls inside its container")
    results = axe.run(page, options={"resultTypes": ["violations"]})
    for violation in results.response["violations"]:
        if violation["impact"] in IMPACTS:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{path}: axe {violation['id']} ({violation['impact']}) on {targets}")
    page.set_viewport_size(PHONE)
    too_wide = page.evaluate(OVERFLOW)
    if too_wide:
        problems.append(f"{path} at 390 px scrolls sideways by {too_wide}")
    page.set_viewport_size(LAPTOP)


def test_every_page_of_every_role_fits_and_is_accessible(new_page, server):
    axe, english = Axe(), english_ui_strings()
    assert len(english) > 300  # the catalogue was read
    checked, problems, walked = set(), [], {}
    for email in ROLES:
        page = new_page(viewport=LAPTOP)
        login(page, email)
        walked[email] = []
        for path in walk(page, server.url, checked):
            checked.add(kind_of(path))
            walked[email].append(path)
            check_page(page, path, axe, problems, english)
        for path in FORM_PAGES.get(email, []):
            assert page.goto(path).ok, path
            walked[email].append(path)
            check_page(page, path, axe, problems, english)
        page.context.close()
    assert all(walked.values()), walked
    assert len(checked) >= 40, walked
    assert problems == [], "\n".join(problems + [f"walked: {walked}"])
