"""Shared by the tests that commit for real from parallel threads."""
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker

from portal.jobs.outbox import JobContext, OutboxJob, set_context
from tests.conftest import NOW


@pytest.fixture
def fixed_clock(engine, wsgi_app):
    """The app's clock at the suite's NOW (slots stay ahead, on working days); jobs run
    in-process on the committed database; their outbox rows are removed afterwards."""
    saved = wsgi_app.registry["clock"]
    wsgi_app.registry["clock"] = lambda: NOW
    set_context(JobContext(wsgi_app.registry))
    yield
    wsgi_app.registry["clock"] = saved
    with sessionmaker(bind=engine)() as session:
        session.execute(delete(OutboxJob))
        session.commit()
