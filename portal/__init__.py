"""The web shell: the app factory includes each domain package, nothing more."""
from pyramid.config import Configurator
from sqlalchemy.orm import configure_mappers

from portal.request import make_wsgi_app
from portal.settings import apply_environment

DOMAIN_PACKAGES = ("campaigns", "agents", "callcenter")


def make_app(settings, dbsession_factory=None):
    """Build the WSGI app; tests hand in a session factory bound to their own connection."""
    settings = apply_environment(settings)
    with Configurator(settings=settings) as config:
        if dbsession_factory is not None:
            config.registry["dbsession_factory"] = dbsession_factory
        config.include("portal")
        for package in DOMAIN_PACKAGES:
            config.include(package)
        configure_mappers()  # relationships named across packages, e.g. User.zones
        return make_wsgi_app(config)


def main(global_config, **settings):
    """The paste entry point (pserve, gunicorn): the app and, when no Redis URL is set, its periodic
    tasks on a thread of this process (spec §7). Tests and `portal-manage` call ``make_app`` alone."""
    from portal.outbox import get_context
    from portal.periodic import start_in_process_scheduler

    app = make_app(settings)
    start_in_process_scheduler(app.registry, get_context())
    return app


def includeme(config):
    config.include("portal.hardening")
    config.include("portal.db")
    config.include("portal.i18n")
    config.include("portal.security")
    config.include("portal.headers")
    config.include("portal.resources")
    config.include("portal.layout")
    config.include("portal.api")
    config.include("portal.views")
    config.include("portal.faults")
    config.include("portal.tokens")
    config.include("portal.mailing")  # before the outbox: its job context reads the mail transport
    config.include("portal.outbox")
    config.include("portal.jobs_page")
