"""Pages: Jinja2 with Pyramid's i18n, Bootstrap 5 as shipped with deform, the clock."""
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent
from pyramid.csrf import get_csrf_token

from portal.db import utcnow

DATETIME_FORMAT = "EEE d MMM y, HH:mm"


def local_datetime(moment, tz="Europe/Rome", locale="it", format=DATETIME_FORMAT):
    """A UTC time shown in the client's time zone (spec §5: times are the client's)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(tz))
    if format == DATETIME_FORMAT:  # the pages' usual format, a folder home shows 40 of them: the names once
        days, months = abbreviated_names(locale)
        return f"{days[local.weekday()]} {local.day} {months[local.month]} {local.year}, {local:%H:%M}"
    return format_datetime(local, format, locale=locale)


@cache
def abbreviated_names(locale):
    """The locale's abbreviated day (Monday first) and month names, as babel's EEE and MMM write them."""
    names = Locale.parse(locale)
    return names.days["format"]["abbreviated"], names.months["format"]["abbreviated"]


def local_date(moment, tz="Europe/Rome", locale="it", format="medium"):
    return format_date(moment.astimezone(ZoneInfo(tz)).date(), format, locale=locale)


def local_time(moment, tz="Europe/Rome", locale="it"):
    return format_time(moment.astimezone(ZoneInfo(tz)), "HH:mm", locale=locale)


def local_number(value, locale="it", digits=1):
    """A decimal number as the reader writes it: 0,7 in Italian, 0.7 in English (Babel)."""
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=locale)


def local_percent(value, locale="it", digits=1):
    """A ratio (0.4) as a percentage in the reader's language: 40,0 % in Italian, 40.0% in English."""
    return format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%", locale=locale)


def request_now(request):
    """The request's clock; tests replace ``registry['clock']`` to fix time."""
    return request.registry["clock"]()


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("jinja2.i18n.domain", "portal")
    settings.setdefault("jinja2.i18n.gettext", "portal.i18n.TemplateGettext")
    settings.setdefault("jinja2.extensions", "jinja2.ext.i18n")
    settings.setdefault("jinja2.trim_blocks", "true")
    settings.setdefault("jinja2.lstrip_blocks", "true")
    settings["jinja2.filters"] = "\n".join(
        [
            "local_datetime = portal.layout:local_datetime",
            "local_date = portal.layout:local_date",
            "local_time = portal.layout:local_time",
            "local_number = portal.layout:local_number",
            "local_percent = portal.layout:local_percent",
        ]
    )
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.add_jinja2_search_path("portal:templates", name=".jinja2")
    config.add_static_view("static/deform", "deform:static", cache_max_age=3600)
    config.add_static_view("static/portal", "portal:static", cache_max_age=3600)
    config.registry.setdefault("clock", utcnow)
    config.add_request_method(request_now, "now", reify=True)
    config.add_request_method(get_csrf_token, "csrf_token", reify=True)
