"""The lockout holds across web processes (README "Signing in safely"): two processes, each with its own app built from
the ini like a gunicorn worker, share nothing but the database; the failures of both count."""
import json
import subprocess
import sys
import uuid

from sqlalchemy import delete, or_
from sqlalchemy.orm import sessionmaker

from portal.accounts.models import SignInEvent, SignInFailure, User
from tests.conftest import ROOT
from tests.factories import PASSWORD, make_user

WRONG = "not the password at all"


def web_process(ini, email, address, *passwords):
    done = subprocess.run([sys.executable, "-m", "tests.concurrency.lockout_process", str(ini), email, address,
                           *passwords], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_failures_in_two_processes_lock_the_account_in_both(engine, tmp_path):
    factory = sessionmaker(bind=engine)
    email, address = f"lockout-{uuid.uuid4().hex[:8]}@example.test", "192.0.2.77"
    with factory() as session:
        user_id = make_user(session, "operator", email=email).id
        session.commit()
    ini = tmp_path / "web.ini"
    ini.write_text(f"""[app:main]
use = egg:appointment-quota-portal
sqlalchemy.url = {engine.url.render_as_string(hide_password=False)}
portal.secret = test-secret
portal.redis_url =
mail.queue_path = {tmp_path / "maildir"}
""")
    try:
        assert web_process(ini, email, address, WRONG, WRONG, WRONG) == [[400, None]] * 3
        second = web_process(ini, email, address, WRONG, WRONG, PASSWORD)
        assert second[:2] == [[400, None]] * 2
        assert second[2][0] == 429 and 55 <= int(second[2][1]) <= 60  # the right password, refused
    finally:
        with factory() as session:
            session.execute(delete(SignInFailure).where(or_(SignInFailure.key == email, SignInFailure.key == address)))
            session.execute(delete(SignInEvent).where(SignInEvent.email == email))
            session.execute(delete(User).where(User.id == user_id))
            session.commit()
