"""The Alembic history builds, from an empty database, exactly the schema of the models."""
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import agents.models  # noqa: F401
import callcenter.appointments.models  # noqa: F401
import callcenter.booking.models  # noqa: F401
import callcenter.feeds.models  # noqa: F401
import callcenter.lifecycle.models  # noqa: F401
import callcenter.reports.models  # noqa: F401
import campaigns.alerts  # noqa: F401
import campaigns.mail_templates  # noqa: F401
import portal.history  # noqa: F401
import portal.jobs.outbox  # noqa: F401
import portal.webhooks.models  # noqa: F401
import campaigns.models  # noqa: F401
from portal.db import Base
from tests.conftest import TEST_DATABASE, alembic_config, database_url


def run_alembic(engine, action, revision):
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config, revision)


def test_migrations_from_empty_to_head_match_the_models(backend, tmp_path_factory):
    engine = sa.create_engine(database_url(backend, tmp_path_factory, name=TEST_DATABASE + "_migrations"))
    try:
        run_alembic(engine, command.upgrade, "head")
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []

        run_alembic(engine, command.downgrade, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

        run_alembic(engine, command.upgrade, "head")
        assert "appointments" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_jobs_waiting_in_the_outbox_follow_their_functions_into_portals_rooms(backend, tmp_path_factory):
    """Migration 0017: a mail or a reset link asked for before the upgrade names the old module; after it,
    the new one (and back on downgrade). Other rows are left alone."""
    engine = sa.create_engine(database_url(backend, tmp_path_factory, name=TEST_DATABASE + "_rooms"))
    functions = ["portal.mailing:deliver", "portal.passwords:send_reset_mail", "portal.signin:prune_sign_in_records",
                 "callcenter.lifecycle.jobs:send_agendas", "portal.mailingx:deliver"]
    try:
        run_alembic(engine, command.upgrade, "0016")
        with engine.begin() as connection:
            for function in functions:
                connection.execute(sa.text("INSERT INTO outbox_jobs (function, kwargs, created_at, attempts) "
                                           "VALUES (:function, '{}', '2026-12-01 10:00:00', 0)"), {"function": function})

        def stored():
            with engine.connect() as connection:
                return connection.execute(sa.text("SELECT function FROM outbox_jobs ORDER BY id")).scalars().all()

        run_alembic(engine, command.upgrade, "0017")
        assert stored() == ["portal.mail.delivery:deliver", "portal.accounts.passwords:send_reset_mail",
                            "portal.accounts.signin:prune_sign_in_records", "callcenter.lifecycle.jobs:send_agendas",
                            "portal.mailingx:deliver"]
        run_alembic(engine, command.downgrade, "0016")
        assert stored() == functions
    finally:
        engine.dispose()
