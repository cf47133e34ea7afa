"""Safe to open to the internet (README "Signing in safely"): the lockout after repeated failures, password reset by
e-mail, two-factor sign-in, the sign-in audit and the sessions' time limits."""
import os
import re
import time
from email import message_from_binary_file
from email.header import decode_header, make_header
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import webtest
from sqlalchemy import func, select

from portal import make_app
from portal.accounts.models import LoginSession, PasswordReset, RecoveryCode, SignInEvent, SignInFailure
from portal.accounts.signin import Throttle, client_ip, locked_for
from tests.factories import PASSWORD, make_token
from tests.functional.conftest import csrf_token, login
from tests.portal.accounts.test_auth import browser, is_logged_in, submit_login

WRONG = "not the password at all"
NEW_PASSWORD = "a brand new passphrase"


def events(dbsession, kind=None, address=None):
    dbsession.expire_all()
    query = select(SignInEvent.event).order_by(SignInEvent.id)
    if kind:
        query = query.where(SignInEvent.event == kind)
    if address:
        query = query.where(SignInEvent.email == address)
    return dbsession.execute(query).scalars().all()


def form_error(page):
    """The message at the top of the login form."""
    message = page.html.select_one("#deform .alert-danger .error-msg")
    return message.text.strip() if message is not None else None


def inbox(app):
    """{file name: (to, subject, body)} of the mails in the test maildir."""
    folder = os.path.join(app.registry.settings["mail.queue_path"], "new")
    found = {}
    for name in (os.listdir(folder) if os.path.isdir(folder) else []):
        with open(os.path.join(folder, name), "rb") as handle:
            message = message_from_binary_file(handle)
        found[name] = (message["To"], str(make_header(decode_header(message["Subject"]))),
                       message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8"))
    return found


def new_mails(app, before):
    return [mail for name, mail in inbox(app).items() if name not in before]


def fail(testapp, email, times, **kw):
    return [submit_login(testapp, email, WRONG, **kw).status_int for _ in range(times)]


# --- 1. The lockout -------------------------------------------------------------------------------


def test_the_delay_doubles_past_the_limit_and_never_exceeds_the_window():
    throttle = Throttle(account_limit=5, window=timedelta(minutes=15), base_delay=timedelta(minutes=1))
    assert [throttle.delay(failures, 5).total_seconds() for failures in (4, 5, 6, 7, 9, 20)] == [
        0, 60, 120, 240, 900, 900]


def test_the_wait_is_counted_from_the_last_failure(clock):
    throttle = Throttle()
    assert locked_for(5, clock.now, 5, throttle, clock.now + timedelta(seconds=20)) == 40
    assert locked_for(5, clock.now, 5, throttle, clock.now + timedelta(seconds=61)) == 0
    assert locked_for(4, clock.now, 5, throttle, clock.now) == 0


def test_five_failures_lock_the_account_even_for_the_right_password(testapp, tenant, dbsession):
    email = tenant.client_user.email
    assert fail(testapp, email, 5, status=400) == [400] * 5
    refused = submit_login(testapp, email, PASSWORD, status=429)
    assert refused.headers["Retry-After"] == "60"
    assert "Troppi tentativi" in form_error(refused)
    assert not is_logged_in(testapp)
    assert events(dbsession, address=email) == ["failed"] * 5 + ["locked_out"]


def test_the_lock_ends_after_its_delay_and_grows_with_the_next_failure(testapp, tenant, clock):
    email = tenant.client_user.email
    fail(testapp, email, 5, status=400)
    clock.now += timedelta(seconds=61)
    submit_login(testapp, email, WRONG, status=400)  # heard again, and wrong: 6 failures now
    assert submit_login(testapp, email, PASSWORD, status=429).headers["Retry-After"] == "120"
    clock.now += timedelta(seconds=121)
    submit_login(testapp, email, PASSWORD, status=302)
    assert is_logged_in(testapp)


def test_failures_older_than_the_window_do_not_count(testapp, tenant, clock):
    email = tenant.client_user.email
    fail(testapp, email, 4, status=400)
    clock.now += timedelta(minutes=16)
    fail(testapp, email, 4, status=400)
    submit_login(testapp, email, PASSWORD, status=302)


def test_an_unknown_email_is_counted_and_answered_like_a_known_one(testapp, tenant):
    known, unknown = tenant.client_user.email, "nobody@example.test"
    answers = {}
    for email in (known, unknown):
        pages = [submit_login(browser(testapp.app), email, WRONG, status=(400, 429)) for _ in range(6)]
        answers[email] = [(page.status_int, form_error(page), page.headers.get("Retry-After")) for page in pages]
    assert answers[known] == answers[unknown]
    assert answers[known][-1][0] == 429


def test_an_unknown_email_takes_as_long_as_a_known_one(testapp, tenant, monkeypatch, dbsession):
    """Both spend one argon2 computation: with the production cost the difference would show."""
    from argon2 import PasswordHasher

    from portal.accounts import security

    monkeypatch.setattr(security, "password_hasher", PasswordHasher(time_cost=3, memory_cost=32768, parallelism=1))
    tenant.client_user.password_hash = security.hash_password(PASSWORD)
    dbsession.flush()

    def timed(email):
        started = time.perf_counter()
        submit_login(testapp, email, WRONG, status=400)
        return time.perf_counter() - started

    known = min(timed(tenant.client_user.email) for _ in range(3))
    unknown = min(timed("nobody@example.test") for _ in range(3))
    assert 0.5 < known / unknown < 2


def test_one_address_is_locked_after_30_failures_on_any_accounts(testapp, tenant):
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for number in range(30):
        submit_from(testapp, f"guess{number}@example.test", WRONG, attacker, status=400)
    assert submit_from(testapp, tenant.client_user.email, PASSWORD, attacker, status=429).headers[
        "Retry-After"] == "60"
    # Another address is not affected.
    submit_login(browser(testapp.app), tenant.client_user.email, PASSWORD, status=302)


def submit_from(testapp, email, password, environ, status):
    form = testapp.get("/login", extra_environ=environ).forms["deform"]
    form["email"], form["password"] = email, password
    return form.submit(status=status, extra_environ=environ)


def test_the_forwarded_header_is_believed_only_behind_a_trusted_proxy():
    from pyramid.testing import DummyRequest

    untrusted = DummyRequest(remote_addr="10.0.0.1", headers={"X-Forwarded-For": "198.51.100.7"})
    untrusted.registry.settings = {}
    assert client_ip(untrusted) == "10.0.0.1"
    trusted = DummyRequest(remote_addr="10.0.0.1", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"})
    trusted.registry.settings = {"portal.trusted_proxies": "1"}
    assert client_ip(trusted) == "198.51.100.7"  # what the proxy saw, not what the client wrote


def test_the_lockout_holds_across_two_app_instances_sharing_the_database(settings, session_factory, clock, tenant,
                                                                       dbsession):
    """Two web processes: nothing is kept in a process, every count is in the database."""
    apps = []
    for _ in range(2):
        app = make_app(dict(settings), dbsession_factory=session_factory)
        app.registry["clock"] = clock
        apps.append(webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "it"}))
    first, second = apps
    email = tenant.client_user.email
    fail(first, email, 3, status=400)
    fail(second, email, 2, status=400)
    submit_login(first, email, PASSWORD, status=429)
    submit_login(second, email, PASSWORD, status=429)
    dbsession.expire_all()
    assert dbsession.execute(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.scope == "account", SignInFailure.key == email)).scalar_one() == 5


def test_wrong_bearer_tokens_lock_the_address_with_a_coded_429(testapp, tenant, dbsession, app):
    from portal.accounts.signin import count_failure

    for _ in range(29):  # as if 29 had failed already; the 30th is sent
        count_failure(dbsession, app.registry["clock"](), ip="198.51.100.1")
    dbsession.flush()
    environ = {"REMOTE_ADDR": "198.51.100.1"}
    wrong = {"Authorization": "Bearer qp_wrong"}
    assert testapp.get("/api/v1/clients", headers=wrong, extra_environ=environ, status=401).json["error"][
        "code"] == "unauthenticated"
    refused = testapp.get("/api/v1/clients", headers=wrong, extra_environ=environ, status=429)
    assert refused.json["error"]["code"] == "too_many_attempts"
    assert refused.headers["Retry-After"] == "60"
    assert events(dbsession, "token_refused") == ["token_refused"] * 2
    # The form from that address is refused as well; a right token still works.
    submit_from(testapp, tenant.client_user.email, PASSWORD, environ, status=429)
    secret = make_token(dbsession, tenant.client_user)
    testapp.get(f"/api/v1/clients/{tenant.client.slug}", headers={"Authorization": f"Bearer {secret}"},
                extra_environ=environ, status=200)


def test_an_admin_unlocks_an_account_and_it_is_recorded(testapp, tenant, dbsession):
    email = tenant.client_user.email
    fail(browser(testapp.app), email, 5, status=400)
    login(testapp, tenant.admin)
    page = testapp.get("/sign-ins")
    assert email in page.html.select_one("#locked-accounts").text
    form = page.forms["unlock-form"]
    form["email"] = email
    form.submit(status=302)
    assert email not in testapp.get("/sign-ins").html.select_one("#locked-accounts").text
    submit_login(browser(testapp.app), email, PASSWORD, status=302)
    assert "unlocked" in events(dbsession, address=email)


@pytest.mark.parametrize(("email", "ip"), [
    ("x" * 250 + "@example.test", ""),  # longer than any e-mail the portal stores
    ("", ""),
    ("someone@example.test", "300.1.2.3"),
])
def test_an_unlock_naming_no_valid_account_or_address_is_refused_and_writes_nothing(testapp, tenant, dbsession,
                                                                                     email, ip):
    login(testapp, tenant.admin)
    testapp.post("/sign-ins/unlock", {"csrf_token": csrf_token(testapp), "email": email, "ip": ip}, status=400)
    assert events(dbsession, kind="unlocked") == []


def test_portal_manage_unlocks_and_resets_two_factor(tenant, dbsession, app, capsys, clock):
    from argparse import Namespace
    from types import SimpleNamespace

    from callcenter.manage import reset_two_factor_command, unlock_command
    from portal.accounts.signin import count_failure, retry_after

    email = tenant.client_user.email
    for _ in range(5):
        count_failure(dbsession, clock.now, email=email)
    request = SimpleNamespace(dbsession=dbsession, registry=app.registry, now=clock.now)
    assert retry_after(dbsession, Throttle(), clock.now, email=email) == 60
    assert unlock_command(request, Namespace(email=email, ip="")) == 0
    assert retry_after(dbsession, Throttle(), clock.now, email=email) == 0
    tenant.client_user.totp_secret, tenant.client_user.totp_enabled_at = pyotp.random_base32(), clock.now
    assert reset_two_factor_command(request, Namespace(email=email)) == 0
    assert tenant.client_user.totp_enabled_at is None
    assert events(dbsession, address=email) == ["unlocked", "two_factor_reset"]
    assert reset_two_factor_command(request, Namespace(email="nobody@example.test")) == 2


def test_only_admins_see_the_sign_ins(testapp, tenant):
    login(testapp, tenant.account_manager)
    testapp.get("/sign-ins", status=403)
    testapp.post("/sign-ins/unlock", {"csrf_token": csrf_token(testapp), "email": "x@example.test"}, status=403)


# --- 2. Password reset ----------------------------------------------------------------------------


def ask_reset(testapp, email):
    form = testapp.get("/forgot-password").forms["deform"]
    form["email"] = email
    return form.submit(status=302)


def reset_link(mail_body):
    return re.search(r"http://localhost/reset-password\?token=\S+", mail_body).group(0)


def test_the_login_page_offers_the_forgotten_password(testapp):
    link = testapp.get("/login").html.find("a", href="http://localhost/forgot-password")
    assert link.text == "Password dimenticata?"


def test_a_reset_mail_is_sent_only_to_a_known_address_and_the_answer_is_the_same(testapp, tenant, app, dbsession):
    before = inbox(app)
    known = ask_reset(testapp, tenant.client_user.email)
    known_message = known.follow().html.select_one(".alert").text.strip()
    unknown = ask_reset(testapp, "nobody@example.test")
    assert unknown.location == known.location
    assert unknown.follow().html.select_one(".alert").text.strip() == known_message
    mails = new_mails(app, before)
    assert [mail[0] for mail in mails] == [tenant.client_user.email]
    to, subject, body = mails[0]
    assert subject == "Reimpostazione della password del portale appuntamenti"
    secret = parse_qs(urlsplit(reset_link(body)).query)["token"][0]
    dbsession.expire_all()
    stored = dbsession.execute(select(PasswordReset.digest)).scalars().all()
    assert secret not in stored and len(stored) == 1  # only its digest


def test_the_reset_mail_is_in_the_users_language(testapp, tenant, app, dbsession):
    tenant.client_user.language = "en"
    dbsession.flush()
    before = inbox(app)
    ask_reset(testapp, tenant.client_user.email)
    (_to, subject, body), = new_mails(app, before)
    assert subject == "Resetting your password of the appointment portal"
    assert "within 60 minutes" in body


def use_link(testapp, link, password=NEW_PASSWORD, status=302):
    form = testapp.get(link).forms["deform"]
    form["new_password"] = form["confirm_password"] = password
    return form.submit(status=status)


def test_the_link_sets_the_password_once_and_ends_every_session(testapp, tenant, app, dbsession):
    login(testapp, tenant.client_user)
    before = inbox(app)
    stranger = browser(app)
    ask_reset(stranger, tenant.client_user.email)
    link = reset_link(new_mails(app, before)[0][2])
    use_link(stranger, link)
    assert not is_logged_in(testapp)  # the session opened before the reset is over
    testapp.get(link, status=410)  # used once
    submit_login(browser(app), tenant.client_user.email, PASSWORD, status=400)
    submit_login(browser(app), tenant.client_user.email, NEW_PASSWORD, status=302)
    assert events(dbsession, address=tenant.client_user.email)[1:3] == ["reset_requested", "password_reset"]


def test_the_link_expires_after_an_hour(testapp, tenant, app, clock):
    before = inbox(app)
    ask_reset(testapp, tenant.client_user.email)
    link = reset_link(new_mails(app, before)[0][2])
    clock.now += timedelta(minutes=59)
    testapp.get(link, status=200)
    clock.now += timedelta(minutes=2)
    page = testapp.get(link, status=410)
    assert "non è più valido" in page.text
    testapp.get("/reset-password?token=forged", status=410)


def test_the_new_password_must_follow_the_policy(testapp, tenant, app):
    before = inbox(app)
    ask_reset(testapp, tenant.client_user.email)
    link = reset_link(new_mails(app, before)[0][2])
    short = use_link(testapp, link, "too short", status=400)
    assert "12" in short.html.select_one(".item-new_password .invalid-feedback").text
    common = use_link(testapp, link, "password1234", status=400)
    assert "più comuni" in common.html.select_one(".item-new_password .invalid-feedback").text
    use_link(testapp, link)  # still usable


def test_the_password_policy_applies_to_new_users_and_changes(api, tenant, testapp):
    body = {"email": "new@example.test", "role": "operator"}
    short = api(tenant.admin).post("/users", dict(body, password="eleven char"), status=400).json["error"]
    assert (short["code"], short["field"]) == ("validation_error", "password")
    common = api(tenant.admin).post("/users", dict(body, password="qwerty123456"), status=422).json["error"]
    assert (common["code"], common["field"]) == ("password_too_common", "password")
    own_email = api(tenant.admin).post("/users", dict(body, password="new@example.test"), status=422)
    assert own_email.json["error"]["code"] == "password_too_common"
    login(testapp, tenant.client_user)
    form = testapp.get("/password").forms["deform"]
    form["current_password"] = PASSWORD
    form["new_password"] = form["confirm_password"] = "qwertyuiop123"
    assert form.submit(status=400).html.select_one(".item-new_password .invalid-feedback")


def test_the_demo_password_is_allowed():
    from callcenter.demo import DEMO_PASSWORD
    from portal.accounts.passwords import password_policy

    password_policy(DEMO_PASSWORD)


# --- 3. Two-factor sign-in ------------------------------------------------------------------------


def enrol(testapp, clock):
    page = testapp.get("/two-factor")
    assert page.html.select_one(".two-factor-qr svg") is not None
    secret = page.html.select_one("#totp-secret").text
    form = page.forms["deform"]
    form["code"] = pyotp.TOTP(secret).at(clock.now)
    done = form.submit(status=200)
    codes = [item.text for item in done.html.select("#recovery-codes li")]
    return secret, codes, done


def code_step(testapp, email, code, status=302):
    submit_login(testapp, email, PASSWORD, status=302)
    form = testapp.get("/login-code").forms["deform"]
    form["code"] = code
    return form.submit(status=status)


def test_enrol_then_every_sign_in_asks_for_the_code(testapp, tenant, app, clock, dbsession):
    user = tenant.client_user
    login(testapp, user)
    page = testapp.get("/two-factor")
    form = page.forms["deform"]
    form["code"] = "000000"
    assert form.submit(status=400).html.select_one(".item-code .invalid-feedback")
    secret, codes, _done = enrol(testapp, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    dbsession.expire_all()
    assert all(code not in dbsession.execute(select(RecoveryCode.digest)).scalars().all() for code in codes)

    other = browser(app)
    step = submit_login(other, user.email, PASSWORD, status=302)
    assert step.location == "http://localhost/login-code"
    assert not is_logged_in(other)  # the password alone does not sign in
    clock.now += timedelta(seconds=60)
    code = pyotp.TOTP(secret).at(clock.now)
    form = other.get("/login-code").forms["deform"]
    form["code"] = code
    form.submit(status=302)
    assert is_logged_in(other)
    # The same code again (replay) is refused; a code from 5 minutes ago too.
    assert code_step(browser(app), user.email, code, status=400)
    assert code_step(browser(app), user.email, pyotp.TOTP(secret).at(clock.now - timedelta(minutes=5)), status=400)
    assert {"two_factor_enabled", "two_factor_failed", "signed_in"} <= set(events(dbsession, address=user.email))


def test_a_recovery_code_works_once(testapp, tenant, app, clock):
    login(testapp, tenant.client_user)
    _secret, codes, _done = enrol(testapp, clock)
    code_step(browser(app), tenant.client_user.email, codes[0].upper())
    code_step(browser(app), tenant.client_user.email, codes[0], status=400)
    page = testapp.get("/two-factor")
    assert page.html.select_one("#codes-left").text == "9"


def test_wrong_codes_count_towards_the_lockout(testapp, tenant, app, clock):
    login(testapp, tenant.client_user)
    secret, _codes, _done = enrol(testapp, clock)
    other = browser(app)
    submit_login(other, tenant.client_user.email, PASSWORD, status=302)
    for _ in range(5):
        form = other.get("/login-code").forms["deform"]
        form["code"] = "123456" if pyotp.TOTP(secret).at(clock.now) != "123456" else "654321"
        form.submit(status=400)
    form = other.get("/login-code").forms["deform"]
    form["code"] = pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30))
    assert form.submit(status=429).headers["Retry-After"]


def test_the_code_step_expires(testapp, tenant, app, clock):
    login(testapp, tenant.client_user)
    secret, _codes, _done = enrol(testapp, clock)
    other = browser(app)
    submit_login(other, tenant.client_user.email, PASSWORD, status=302)
    clock.now += timedelta(minutes=6)
    assert other.get("/login-code", status=302).location == "http://localhost/login"


def test_api_tokens_are_not_asked_for_a_code(testapp, tenant, clock, dbsession):
    login(testapp, tenant.client_user)
    enrol(testapp, clock)
    secret = make_token(dbsession, tenant.client_user)
    testapp.get(f"/api/v1/clients/{tenant.client.slug}", headers={"Authorization": f"Bearer {secret}"}, status=200)


def test_turning_it_off_takes_a_current_code(testapp, tenant, clock, dbsession):
    login(testapp, tenant.client_user)
    secret, _codes, _done = enrol(testapp, clock)
    token = csrf_token(testapp)
    testapp.post("/two-factor-off", {"csrf_token": token, "code": "111111"}, status=422)
    clock.now += timedelta(seconds=30)
    testapp.post("/two-factor-off", {"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now)}, status=302)
    dbsession.expire_all()
    assert tenant.client_user.totp_enabled_at is None
    assert "two_factor_disabled" in events(dbsession)


def test_admins_require_it_for_staff_who_enrol_at_their_next_sign_in(testapp, tenant, app, clock, dbsession):
    login(testapp, tenant.admin)
    form = testapp.get("/sign-ins").forms["two-factor-policy"]
    form["require_staff"] = True
    form.submit(status=302)
    operator = browser(app)
    assert submit_login(operator, tenant.operator.email, PASSWORD, status=302).location == \
        "http://localhost/two-factor"
    assert not is_logged_in(operator)
    _secret, codes, done = enrol(operator, clock)
    assert len(codes) == 10
    assert is_logged_in(operator)
    assert done.html.find("a", string=re.compile("Continua"))["href"].rstrip("/") == "http://localhost/callcenter"
    # A client user is not concerned; a staff member cannot turn it off.
    submit_login(browser(app), tenant.client_user.email, PASSWORD, status=302)
    assert "non può essere disattivata" in operator.get("/two-factor").text


def test_an_admin_resets_a_lost_device_and_it_is_recorded(testapp, tenant, app, clock, dbsession):
    user = browser(app)
    login(user, tenant.client_user)
    enrol(user, clock)
    login(testapp, tenant.admin)
    form = testapp.get("/sign-ins").forms["reset-two-factor"]
    form["email"] = tenant.client_user.email
    form.submit(status=302)
    submit_login(browser(app), tenant.client_user.email, PASSWORD, status=302)  # no code asked
    dbsession.expire_all()
    reset = dbsession.execute(select(SignInEvent).where(SignInEvent.event == "two_factor_reset")).scalar_one()
    assert (reset.email, reset.actor_id) == (tenant.client_user.email, tenant.admin.id)


# --- 4. The sign-in audit -------------------------------------------------------------------------


def test_users_see_their_recent_sign_ins_and_end_their_other_sessions(testapp, tenant, app, dbsession):
    user = tenant.client_user
    other = browser(app)
    login(other, user)
    submit_login(browser(app), user.email, WRONG, status=400)
    login(testapp, user)
    page = testapp.get("/password", headers={"User-Agent": "Firefox/140"})
    rows = page.html.select("#recent-sign-ins tbody tr")
    assert [row.select_one(".sign-in-event")["data-event"] for row in rows] == ["signed_in", "failed", "signed_in"]
    assert page.html.select_one("#open-sessions").text == "2"
    testapp.post("/end-other-sessions", {"csrf_token": csrf_token(testapp)}, status=302)
    assert not is_logged_in(other)
    assert is_logged_in(testapp)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)
    assert events(dbsession, address=user.email)[-2:] == ["sessions_ended", "signed_out"]


def test_the_audit_keeps_time_address_and_browser(testapp, tenant, dbsession, clock):
    submit_from(testapp, tenant.client_user.email, PASSWORD, {"REMOTE_ADDR": "192.0.2.4",
                                                              "HTTP_USER_AGENT": "TestBrowser/1"}, status=302)
    dbsession.expire_all()
    event = dbsession.execute(select(SignInEvent)).scalar_one()
    assert (event.event, event.at, event.ip, event.user_agent, event.user_id) == (
        "signed_in", clock.now, "192.0.2.4", "TestBrowser/1", tenant.client_user.id)


def test_admins_filter_the_audit_on_the_page_and_through_the_api(testapp, tenant, api, clock):
    submit_login(browser(testapp.app), tenant.client_user.email, WRONG, status=400)
    clock.now += timedelta(days=2)
    submit_login(browser(testapp.app), tenant.operator.email, PASSWORD, status=302)
    login(testapp, tenant.admin)
    page = testapp.get("/sign-ins", params={"event": "failed"})
    assert [row.select("td")[2].text for row in page.html.select("#sign-in-events tbody tr")] == [
        tenant.client_user.email]
    items = api(tenant.admin).get("/sign-ins", email=tenant.operator.email).json["items"]
    assert [(item["event"], item["email"]) for item in items] == [("signed_in", tenant.operator.email)]
    day = clock.now.date().isoformat()
    assert {item["email"] for item in api(tenant.admin).get("/sign-ins", **{"from": day}).json["items"]} == {
        tenant.operator.email, tenant.admin.email}
    bad = api(tenant.admin).get("/sign-ins", status=400, event="nope").json["error"]
    assert (bad["code"], bad["field"]) == ("validation_error", "event")
    api(tenant.account_manager).get("/sign-ins", status=403)


# --- 5. Sessions ----------------------------------------------------------------------------------


@pytest.fixture
def session_limits(app, monkeypatch):
    """The defaults of the ini files (the suite's settings relax them: other tests move the clock)."""
    monkeypatch.setitem(app.registry.settings, "portal.session_idle_minutes", "60")
    monkeypatch.setitem(app.registry.settings, "portal.session_lifetime_hours", "12")


def test_a_new_session_key_at_sign_in(testapp, tenant, dbsession):
    testapp.get("/login")
    before = testapp.cookies.get("portal_session")
    login(testapp, tenant.client_user)
    assert testapp.cookies["portal_session"] != before
    login(browser(testapp.app), tenant.client_user)
    dbsession.expire_all()
    keys = dbsession.execute(select(LoginSession.digest).where(LoginSession.user_id == tenant.client_user.id))
    assert len(keys.scalars().all()) == 2


def test_an_idle_session_ends(testapp, tenant, clock, session_limits):
    login(testapp, tenant.client_user)
    for _ in range(3):  # active every 50 minutes: still in
        clock.now += timedelta(minutes=50)
        assert is_logged_in(testapp)
    clock.now += timedelta(minutes=61)
    assert not is_logged_in(testapp)


def test_a_session_ends_after_its_lifetime_however_active(testapp, tenant, clock, session_limits):
    login(testapp, tenant.client_user)
    for _ in range(23):
        clock.now += timedelta(minutes=30)
        assert is_logged_in(testapp)
    clock.now += timedelta(minutes=31)  # 12 h and 1 minute after the sign-in
    assert not is_logged_in(testapp)
