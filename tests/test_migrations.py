"""The Alembic history builds, from an empty database, exactly the schema of the models."""
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import agents.models  # noqa: F401
import callcenter.lifecycle.jobs  # noqa: F401
import callcenter.appointments.models  # noqa: F401
import campaigns.alerts  # noqa: F401
import campaigns.mail_templates  # noqa: F401
import portal.history  # noqa: F401
import portal.outbox  # noqa: F401
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
