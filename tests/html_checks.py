"""Every page the tests render is checked for script the Content-Security-Policy would block.

The policy (portal/guards/headers.py) allows scripts only from the portal's static files, so an inline
<script>, an ``on*=`` handler attribute or a ``javascript:`` URL would silently stop working in
the browser. ``CheckedTestApp`` makes any such page fail the test that rendered it.
"""
from html.parser import HTMLParser

import webtest


class _InlineScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if not attributes.get("src"):
                self.problems.append(f"inline <script> at line {self.getpos()[0]}")
            else:
                self._in_script = True  # code between the tags of a <script src> would be ignored
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"handler attribute {name}= on <{tag}> at line {self.getpos()[0]}")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"javascript: URL in {name}= of <{tag}> at line {self.getpos()[0]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"code inside a <script src> at line {self.getpos()[0]}")


def inline_script_problems(html):
    """What in ``html`` runs as inline script (an empty list when nothing does)."""
    finder = _InlineScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def assert_no_inline_script(response, where=""):
    if "html" not in (response.content_type or ""):
        return
    problems = inline_script_problems(response.text)
    assert not problems, f"{where or response.request.path}: the CSP would block {problems}"


class CheckedTestApp(webtest.TestApp):
    """A TestApp that checks every HTML answer for inline script (see the module's docstring)."""

    def do_request(self, req, status=None, expect_errors=None):
        response = super().do_request(req, status=status, expect_errors=expect_errors)
        assert_no_inline_script(response, f"{req.method} {req.environ.get('PATH_INFO', '')}")  # raw: may not be UTF-8
        return response
