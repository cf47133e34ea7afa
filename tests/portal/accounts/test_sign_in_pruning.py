"""The periodic task that prunes the sign-in records (portal.accounts.signin.prune_sign_in_records): failures past
the lockout's window count for nothing and go; the audit keeps a year of events (or what the ini says)."""
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import SignInEvent, SignInFailure
from portal.accounts.signin import ACCOUNT, prune_sign_in_records
from tests.conftest import NOW


class Context:
    def __init__(self, **settings):
        self.settings = {"portal.signin.window_minutes": "15", **settings}

    @staticmethod
    def clock():
        return NOW


def add(dbsession, *rows):
    dbsession.add_all(rows)
    dbsession.flush()


def test_failures_past_the_window_go_and_those_inside_stay(dbsession):
    add(dbsession, *(SignInFailure(scope=ACCOUNT, key=f"pruned-{minutes}@example.test",
                                   at=NOW - timedelta(minutes=minutes)) for minutes in (1, 14, 16, 60 * 24)))
    assert prune_sign_in_records(dbsession, Context())["failures"] == 2
    left = dbsession.execute(select(SignInFailure.key).where(SignInFailure.key.like("pruned-%"))).scalars().all()
    assert sorted(left) == ["pruned-14@example.test", "pruned-1@example.test"]


def test_the_audit_keeps_its_days(dbsession):
    add(dbsession, *(SignInEvent(event="failed", email=f"audit-{days}@example.test", at=NOW - timedelta(days=days))
                     for days in (1, 364, 366, 800)))
    assert prune_sign_in_records(dbsession, Context())["events"] == 2
    left = dbsession.execute(select(SignInEvent.email).where(SignInEvent.email.like("audit-%"))).scalars().all()
    assert sorted(left) == ["audit-1@example.test", "audit-364@example.test"]
    assert prune_sign_in_records(dbsession, Context(**{"portal.signin.events_keep_days": "30"}))["events"] == 1
    left = dbsession.execute(select(SignInEvent.email).where(SignInEvent.email.like("audit-%"))).scalars().all()
    assert left == ["audit-1@example.test"]
