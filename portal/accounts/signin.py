"""Signing in safely (README "Signing in safely"): who the client is (its address), the lockout after repeated
failures, the sign-in audit, two-factor codes (TOTP and recovery codes) and the admins' settings.

The lockout is counted in the database, so every web process (and machine) sees the same counts.
"""
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import delete, func, select, text, update
from zope.sqlalchemy import mark_changed

from portal.errors import RuleViolation
from portal.i18n import _
from portal.accounts.models import STAFF_ROLES, LoginSession, PortalSetting, RecoveryCode, SignInEvent, SignInFailure, User
from portal.settings import as_bool

# The events of the audit, as stored and filtered.
SIGNED_IN = "signed_in"
FAILED = "failed"
LOCKED_OUT = "locked_out"
SIGNED_OUT = "signed_out"
PASSWORD_CHANGED = "password_changed"
RESET_REQUESTED = "reset_requested"
PASSWORD_RESET = "password_reset"
TWO_FACTOR_ENABLED = "two_factor_enabled"
TWO_FACTOR_DISABLED = "two_factor_disabled"
TWO_FACTOR_RESET = "two_factor_reset"
TWO_FACTOR_FAILED = "two_factor_failed"
RECOVERY_CODE_USED = "recovery_code_used"
SESSIONS_ENDED = "sessions_ended"
UNLOCKED = "unlocked"
TOKEN_REFUSED = "token_refused"
EVENTS = (SIGNED_IN, FAILED, LOCKED_OUT, SIGNED_OUT, PASSWORD_CHANGED, RESET_REQUESTED, PASSWORD_RESET,
          TWO_FACTOR_ENABLED, TWO_FACTOR_DISABLED, TWO_FACTOR_RESET, TWO_FACTOR_FAILED, RECOVERY_CODE_USED,
          SESSIONS_ENDED, UNLOCKED, TOKEN_REFUSED)

ACCOUNT, ADDRESS = "account", "ip"
REQUIRE_TWO_FACTOR_FOR_STAFF = "require_two_factor_for_staff"
RECOVERY_CODES = 10
TOTP_ISSUER = "Portale appuntamenti"


# --- Who is asking --------------------------------------------------------------------------------


def client_ip(request):
    """The client's address: the peer's, or, behind ``portal.trusted_proxies`` proxies that each append
    to X-Forwarded-For, the entry the outermost trusted proxy wrote. Without that setting the header is
    ignored: anybody can send it."""
    trusted = int(request.registry.settings.get("portal.trusted_proxies") or 0)
    if trusted > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= trusted:
            return forwarded[-trusted][:45]
    return (request.remote_addr or "")[:45]


def user_agent(request):
    return (request.user_agent or "")[:300]


# --- The lockout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """Failures allowed per account and per address in a sliding window; past the limit, attempts
    are refused for a delay that doubles with each further failure (``base_delay`` at the limit),
    never longer than the window."""

    account_limit: int = 5
    address_limit: int = 30
    window: timedelta = timedelta(minutes=15)
    base_delay: timedelta = timedelta(minutes=1)

    @classmethod
    def from_settings(cls, settings):
        return cls(account_limit=int(settings.get("portal.signin.account_limit") or 5),
                   address_limit=int(settings.get("portal.signin.address_limit") or 30),
                   window=timedelta(minutes=float(settings.get("portal.signin.window_minutes") or 15)),
                   base_delay=timedelta(seconds=float(settings.get("portal.signin.base_delay_seconds") or 60)))

    def delay(self, failures, limit):
        """How long attempts stay refused after the last of ``failures`` failures in the window."""
        if failures < limit:
            return timedelta(0)
        return min(self.base_delay * (2 ** (failures - limit)), self.window)


def locked_for(failures, last_failure, limit, throttle, now):
    """Rule: the seconds an account or address stays refused (0: it may try)."""
    if last_failure is None:
        return 0
    remaining = last_failure + throttle.delay(failures, limit) - now
    return max(0, math.ceil(remaining.total_seconds()))


def _counts(dbsession, scope, key, since):
    return dbsession.execute(
        select(func.count(), func.max(SignInFailure.at)).where(
            SignInFailure.scope == scope, SignInFailure.key == key, SignInFailure.at > since)
    ).one()


def retry_after(dbsession, throttle, now, email=None, ip=None):
    """Seconds before another attempt of this account (e-mail as typed) or address is heard; 0: now.
    An account's attempts queue here until the one before has ended (``attempt_in_turn``)."""
    since = now - throttle.window
    waits = [0]
    if email:
        attempt_in_turn(dbsession, email)
        failures, last = _counts(dbsession, ACCOUNT, email, since)
        waits.append(locked_for(failures, last, throttle.account_limit, throttle, now))
    if ip:
        failures, last = _counts(dbsession, ADDRESS, ip, since)
        waits.append(locked_for(failures, last, throttle.address_limit, throttle, now))
    return max(waits)


ATTEMPT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def attempt_in_turn(dbsession, email):
    """Hold the account's attempts to one at a time until this transaction ends: parallel attempts
    would each read the failures before any was counted, and all be heard past the limit. A
    PostgreSQL advisory lock on the e-mail's hash; SQLite runs one transaction at a time already.
    Only the account's: the people behind one address (an office) need not wait for each other."""
    if dbsession.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"signin:{email}".encode()).digest()[:8], "big", signed=True)
        dbsession.execute(ATTEMPT_LOCK, {"key": key})


def count_failure(dbsession, now, email=None, ip=None):
    if email:
        dbsession.add(SignInFailure(scope=ACCOUNT, key=email, at=now))
    if ip:
        dbsession.add(SignInFailure(scope=ADDRESS, key=ip, at=now))
    dbsession.flush()


def forget_failures(dbsession, throttle, now, email=None, ip=None):
    """Clear the counts of an account or address (an admin's unlock); old rows of everyone go too."""
    if email:
        dbsession.execute(delete(SignInFailure).where(SignInFailure.scope == ACCOUNT, SignInFailure.key == email))
    if ip:
        dbsession.execute(delete(SignInFailure).where(SignInFailure.scope == ADDRESS, SignInFailure.key == ip))
    forget_old_failures(dbsession, throttle, now)
    mark_changed(dbsession)


def forget_old_failures(dbsession, throttle, now):
    """The failures older than the window: they count for nothing any more. Returns how many went."""
    return dbsession.execute(delete(SignInFailure).where(SignInFailure.at < now - throttle.window)).rowcount


DEFAULT_EVENTS_KEEP_DAYS = 365


def prune_sign_in_records(dbsession, context):
    """The periodic task: failures older than the lockout's window, which count for nothing any more (a
    burst of wrong tokens would otherwise stay for good), and the audit's events older than
    ``portal.signin.events_keep_days`` (a year by default)."""
    now, settings = context.clock(), context.settings
    keep = timedelta(days=float(settings.get("portal.signin.events_keep_days") or DEFAULT_EVENTS_KEEP_DAYS))
    failures = forget_old_failures(dbsession, Throttle.from_settings(settings), now)
    events = dbsession.execute(delete(SignInEvent).where(SignInEvent.at < now - keep)).rowcount
    mark_changed(dbsession)
    return {"failures": failures, "events": events}


def too_many_attempts(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    violation = RuleViolation("too_many_attempts", _(
        "too_many_attempts_wait", default="Too many attempts: try again in ${minutes} minutes.",
        mapping={"minutes": minutes}))
    violation.retry_after = seconds
    return violation


def locked_accounts(dbsession, throttle, now):
    """[(e-mail, failures, seconds left)] of the accounts refused now, for the admins' page."""
    since = now - throttle.window
    rows = dbsession.execute(
        select(SignInFailure.key, func.count(), func.max(SignInFailure.at))
        .where(SignInFailure.scope == ACCOUNT, SignInFailure.at > since)
        .group_by(SignInFailure.key).having(func.count() >= throttle.account_limit)
    ).all()
    locked = [(key, failures, locked_for(failures, last, throttle.account_limit, throttle, now))
              for key, failures, last in rows]
    return sorted((row for row in locked if row[2] > 0), key=lambda row: row[0])


# --- The audit ------------------------------------------------------------------------------------


def record(dbsession, event, *, now, ip="", agent="", user=None, email=None, actor=None):
    """One line of the sign-in audit."""
    dbsession.add(SignInEvent(at=now, event=event, user_id=user.id if user is not None else None,
                              email=(email if email is not None else (user.email if user is not None else ""))[:254],
                              ip=ip or "", user_agent=agent or "", actor_id=actor.id if actor is not None else None))


def record_for(request, event, user=None, email=None, actor=None):
    record(request.dbsession, event, now=request.now, ip=client_ip(request), agent=user_agent(request),
           user=user, email=email, actor=actor)


def recent_events(dbsession, user, limit=10):
    return dbsession.execute(
        select(SignInEvent).where(SignInEvent.user_id == user.id).order_by(SignInEvent.at.desc(), SignInEvent.id.desc())
        .limit(limit)).scalars().all()


def search_events(dbsession, *, email=None, event=None, ip=None, since=None, until=None, limit=200):
    """The audit, newest first, filtered by (part of) the e-mail, the event, the address and a time range."""
    query = select(SignInEvent)
    if email:
        query = query.where(func.lower(SignInEvent.email).contains(email.strip().lower(), autoescape=True))
    if event:
        query = query.where(SignInEvent.event == event)
    if ip:
        query = query.where(SignInEvent.ip == ip.strip())
    if since is not None:
        query = query.where(SignInEvent.at >= since)
    if until is not None:
        query = query.where(SignInEvent.at < until)
    return dbsession.execute(query.order_by(SignInEvent.at.desc(), SignInEvent.id.desc()).limit(limit)).scalars().all()


# --- Sessions -------------------------------------------------------------------------------------


def end_other_sessions(dbsession, user, keep_digest, now):
    """End every open session of the user but the one asking; returns how many ended."""
    ended = dbsession.execute(
        update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
                                   LoginSession.digest != keep_digest)
        .values(ended_at=now), execution_options={"synchronize_session": False}).rowcount
    mark_changed(dbsession)  # an UPDATE below the ORM: the request's transaction must commit it
    return ended


def open_sessions(dbsession, user):
    return dbsession.execute(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))).scalar_one()


# --- Two-factor sign-in ---------------------------------------------------------------------------


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def start_enrolment(user):
    """A new secret, used only once the user confirms a code made with it."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user):
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _matching_step(secret, code, now):
    """The 30-second step whose code is ``code`` (this one, the one before or after: clocks drift)."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(dbsession, user, code, now):
    """Turn two-factor sign-in on with the first right code; returns the recovery codes (shown once)."""
    step = _matching_step(user.totp_secret or "", code, now) if user.totp_secret else None
    if step is None:
        raise RuleViolation("two_factor_invalid", field="code")
    user.totp_enabled_at, user.totp_last_step = now, step
    return new_recovery_codes(dbsession, user)


def new_recovery_codes(dbsession, user):
    dbsession.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    dbsession.add_all(RecoveryCode(user_id=user.id, digest=digest(code)) for code in codes)
    dbsession.flush()
    return codes


def check_second_factor(dbsession, user, code, now):
    """True for a TOTP code not used before, or an unused recovery code (then spent).
    Returns "totp", "recovery" or None."""
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None  # replayed
        user.totp_last_step = step
        return "totp"
    spent = dbsession.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.digest == digest("".join(code.split()).lower()))
        .values(used_at=now), execution_options={"synchronize_session": False}).rowcount
    mark_changed(dbsession)
    return "recovery" if spent else None


def recovery_codes_left(dbsession, user):
    return dbsession.execute(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()


def turn_off_two_factor(dbsession, user):
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    dbsession.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def two_factor_required(dbsession, user):
    """Staff (operators, account managers, admins) must use it when an admin says so."""
    return user.role in STAFF_ROLES and setting_on(dbsession, REQUIRE_TWO_FACTOR_FOR_STAFF)


def setting_on(dbsession, name):
    row = dbsession.get(PortalSetting, name)
    return row is not None and as_bool(row.value)


def set_setting(dbsession, name, value):
    row = dbsession.get(PortalSetting, name)
    if row is None:
        row = PortalSetting(name=name, value="")
        dbsession.add(row)
    row.value = "true" if value else "false"


def user_by_email(dbsession, email):
    return dbsession.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
