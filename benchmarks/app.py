"""The portal as production serves it, plus one trivial JSON view: the framework's floor.

gunicorn loads ``benchmarks.app:application``; the settings are production.ini's
(PORTAL_DATABASE_URL, PORTAL_REDIS_URL, PORTAL_SECRET from the environment), and
the queue is the benchmark's own so that its jobs never mix with a real portal's.
"""
import os

from pyramid.config import Configurator
from pyramid.paster import get_appsettings
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy.orm import configure_mappers

from portal import DOMAIN_PACKAGES
from portal.settings import apply_environment

FLOOR_PATH = "/_bench/floor"


def floor(request):
    """No database, no authentication: what any request of this app costs at least."""
    return {"ok": True}


def make_bench_app(settings):
    settings = apply_environment(settings)
    with Configurator(settings=settings) as config:
        config.include("portal")
        for package in DOMAIN_PACKAGES:
            config.include(package)
        config.add_route("bench_floor", FLOOR_PATH)
        config.add_view(floor, route_name="bench_floor", renderer="json", permission=NO_PERMISSION_REQUIRED)
        configure_mappers()
        return config.make_wsgi_app()


def application_from_ini(ini):
    settings = dict(get_appsettings(ini, name="main"))
    settings["portal.queue"] = os.environ.get("PORTAL_BENCH_QUEUE", "portal-bench")
    return make_bench_app(settings)


application = application_from_ini(os.environ.get("PORTAL_BENCH_INI", "production.ini")) \
    if os.environ.get("PORTAL_BENCH_SERVE") else None
