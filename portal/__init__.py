"""The web shell and the services every package uses.

This module is the app factory: it includes the shell's own modules and rooms, then each domain
package. The shell's modules sit here (settings, db, request, resources, permissions, i18n, errors,
history, layout, forms, listing, views); the services are rooms of their own (docs/architecture.md):
``api/`` (/api/v1's plumbing, schemas and OpenAPI document), ``guards/`` (bad input, security headers,
database faults), ``accounts/`` (users, sessions and tokens, sign-in), ``jobs/`` (the outbox, periodic
tasks), ``mail/`` (templates and delivery), ``webhooks/`` (events to CRMs and dialers) and ``operations/``
(the Jobs page).
"""
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
    from portal.jobs.outbox import get_context
    from portal.jobs.periodic import start_in_process_scheduler

    app = make_app(settings)
    start_in_process_scheduler(app.registry, get_context())
    return app


def includeme(config):
    config.include("portal.guards.bad_input")
    config.include("portal.db")
    config.include("portal.i18n")
    config.include("portal.accounts.security")
    config.include("portal.guards.headers")
    config.include("portal.resources")
    config.include("portal.layout")
    config.include("portal.api.plumbing")
    config.include("portal.views")
    config.include("portal.accounts.profile")
    config.include("portal.accounts.signin_views")
    config.include("portal.guards.faults")
    config.include("portal.accounts.tokens")
    config.include("portal.mail.delivery")  # before the outbox: its job context reads the mail transport
    config.include("portal.jobs.outbox")
    config.include("portal.webhooks.delivery")
    config.include("portal.operations.pages")
