"""Parallel wrong passwords for one account (README "Signing in safely"): the limit is the limit. Each attempt
is its own request, transaction and connection, in its own thread, all let go at once; the account's
failures are read and counted one attempt after the other, so no attempt past the limit is heard."""
import threading
import uuid

import pytest
import webtest
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import sessionmaker

from portal.accounts.models import SignInEvent, SignInFailure, User
from portal.accounts.signin import Throttle
from tests.factories import make_user

WRONG = "not the password at all"


@pytest.fixture
def account(engine, fixed_clock):
    factory = sessionmaker(bind=engine)
    email = f"parallel-{uuid.uuid4().hex[:8]}@example.test"
    with factory() as session:
        user_id = make_user(session, "operator", email=email).id
        session.commit()
    yield email
    with factory() as session:
        session.execute(delete(SignInFailure).where(or_(SignInFailure.key == email,
                                                        SignInFailure.key.like("198.51.100.%"))))
        session.execute(delete(SignInEvent).where(SignInEvent.email == email))
        session.execute(delete(User).where(User.id == user_id))
        session.commit()


def attempt_at_once(wsgi_app, email, attempts):
    """The login form's statuses, each attempt from its own address (the addresses' limit stays out of it)."""
    barrier = threading.Barrier(attempts)
    statuses = [None] * attempts
    # The login form rendered once first: Chameleon compiles deform's templates at their first use, and
    # CPython 3.11's compile() run by several threads at once can fail ("AST constructor recursion depth
    # mismatch"), which this test, when first in its process, used to meet.
    webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"}).get("/login")

    def attempt(index):
        try:
            client = webtest.TestApp(wsgi_app, extra_environ={
                "HTTP_HOST": "localhost", "REMOTE_ADDR": f"198.51.100.{index + 1}", "HTTP_ACCEPT_LANGUAGE": "it"})
            form = client.get("/login").forms["deform"]
            form["email"], form["password"] = email, WRONG
        except BaseException as error:  # the others must not wait for this one at the barrier
            statuses[index] = error
            barrier.abort()
            raise
        barrier.wait()
        statuses[index] = form.submit(status="*").status_int

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_parallel_attempts_past_the_limit_are_refused(engine, wsgi_app, account):
    limit = Throttle.from_settings(wsgi_app.registry.settings).account_limit
    statuses = attempt_at_once(wsgi_app, account, 2 * limit)
    assert sorted(statuses) == [400] * limit + [429] * limit  # wrong password heard, then refused
    with sessionmaker(bind=engine)() as session:
        counted = session.execute(select(SignInFailure).where(SignInFailure.key == account)).scalars().all()
    assert len(counted) == limit
