"""Italian first, English second (spec §2)."""
from pyramid.i18n import TranslationString, TranslationStringFactory
from pyramid_jinja2.i18n import GetTextWrapper

_ = TranslationStringFactory("portal")

LOCALES = ("it", "en")
DEFAULT_LOCALE = "it"
LOCALE_COOKIE = "_LOCALE_"


def negotiate_locale(request):
    """?_LOCALE_= then the cookie, then the browser's Accept-Language, else Italian.

    Only the query string: the body may be one that cannot be parsed, and the refusal of it
    is itself translated (README "Bad input": a multipart body without boundary made every error a 500)."""
    try:
        asked = request.GET.get(LOCALE_COOKIE)
    except UnicodeDecodeError:
        asked = None
    for candidate in (asked, request.cookies.get(LOCALE_COOKIE)):
        if candidate in LOCALES:
            return candidate
    best = request.accept_language.lookup(LOCALES, default=DEFAULT_LOCALE)
    return best if best in LOCALES else DEFAULT_LOCALE


def translate(request, message):
    return translate_nested(request.localizer.translate, message)


def translate_nested(translate, message):
    """Translate a message whose mapping holds other messages ("Row 3: <that row's refusal>")."""
    mapping = getattr(message, "mapping", None) or {}
    nested = {key: translate_nested(translate, value) for key, value in mapping.items()
              if isinstance(value, TranslationString)}
    if nested:
        message = TranslationString(message, mapping=nested)
    return translate(message)


def includeme(config):
    config.add_translation_dirs("portal:locale")
    config.set_locale_negotiator(negotiate_locale)


class TemplateGettext(GetTextWrapper):
    """The templates' ``_()``: a plain message, without mapping, translated once per language and process
    (a folder home says some seventy words; each went through the localizer's whole path at every page).
    The catalogs are loaded at start-up and do not change while the process runs."""

    def __init__(self, domain):
        super().__init__(domain)
        self.translated = {}

    def gettext(self, message, mapping=None):
        localizer = self.localizer
        if mapping or type(message) is not str:  # a TranslationString carries its own default and mapping
            return localizer.translate(message, domain=self.domain, mapping=mapping)
        key = (localizer.locale_name, message)
        found = self.translated.get(key)
        if found is None:
            found = self.translated[key] = localizer.translate(message, domain=self.domain)
        return found
