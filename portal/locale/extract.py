"""A Babel extractor for Python that shows translators the English text of message codes.

Python messages are often codes: ``_("quota_exhausted", default="The campaign has ...")``.
Babel's own extractor keeps only the code, so the translator would not see what
to translate. This one runs Babel's extractor and adds each literal ``default``
as an extracted comment, ``#. Default: The campaign has ...`` in portal.pot and
portal.po. A code used with two different defaults shows both comments, which
tests/portal/test_i18n.py refuses: one code, one English text.
"""
import ast
import io

from babel.messages.extract import extract_python as babel_extract_python

DEFAULT_COMMENT = "Default: "


def literal_defaults(source, keywords):
    """{msgid: [default, ...]} for each call of a keyword with a literal msgid and a literal default."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        msgid = node.args[0]
        if name not in keywords or not (isinstance(msgid, ast.Constant) and isinstance(msgid.value, str)):
            continue
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg == "default" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                defaults = found.setdefault(msgid.value, [])
                if value.value not in defaults:
                    defaults.append(value.value)
    return found


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel's Python extraction, plus a ``Default: ...`` comment for each default= of a message."""
    source = fileobj.read()
    defaults = literal_defaults(source, keywords)
    for lineno, funcname, messages, comments in babel_extract_python(
        io.BytesIO(source), keywords, comment_tags, options
    ):
        msgid = messages if isinstance(messages, str) else messages[0]
        extra = [DEFAULT_COMMENT + default for default in defaults.get(msgid, ())]
        yield lineno, funcname, messages, list(comments) + extra
