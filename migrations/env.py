"""Alembic environment: the URL comes from the ini, or from PORTAL_DATABASE_URL."""
from alembic import context
from sqlalchemy import engine_from_config, pool

import agents.models  # noqa: F401  (every package's tables join the metadata)
import callcenter.appointments.models  # noqa: F401
import callcenter.booking.models  # noqa: F401
import callcenter.feeds.models  # noqa: F401
import callcenter.lifecycle.models  # noqa: F401
import callcenter.reports.models  # noqa: F401
import campaigns.alerts  # noqa: F401
import campaigns.mail_templates  # noqa: F401
import campaigns.models  # noqa: F401
import portal.history  # noqa: F401
import portal.accounts.models  # noqa: F401
import portal.jobs.outbox  # noqa: F401
import portal.webhooks.models  # noqa: F401
from portal.db import Base
from portal.settings import apply_environment

config = context.config
target_metadata = Base.metadata


def database_url():
    connection_url = config.attributes.get("connection_url")
    if connection_url:
        return connection_url
    settings = apply_environment({"sqlalchemy.url": config.get_main_option("sqlalchemy.url")})
    return settings["sqlalchemy.url"]


def run_migrations_offline():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config({"sqlalchemy.url": database_url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
