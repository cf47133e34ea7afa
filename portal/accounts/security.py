"""Who is asking (session cookie or Bearer token) and which principals they carry.

Permissions themselves are only ever decided by the ``__acl__`` of the
resources (spec §4); this module just names the user.
"""
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import SignedCookieSessionFactory
from sqlalchemy import bindparam, delete, select, update
from zope.sqlalchemy import mark_changed

from portal.accounts import signin
from portal.accounts.models import ApiToken, LoginSession, User, digest_of
from portal.api.plumbing import BEARER_REFUSAL
from portal.permissions import TRUSTED_OPERATOR
from portal.settings import as_bool

password_hasher = PasswordHasher()
SESSION_USER = "user_id"
SESSION_KEY = "session_key"
PRINCIPALS = "portal.principals"  # the request's (user, principals)
# A user's forgotten sessions (browser closed without logging out) are deleted at his next login.
FORGOTTEN_AFTER = timedelta(days=30)
# How often a session's last activity is written (not on every request: it would be a write per page).
SEEN_EVERY = timedelta(minutes=1)


def session_limits(settings):
    """(idle timeout, absolute lifetime) of a browser session, from the ini."""
    return (timedelta(minutes=float(settings.get("portal.session_idle_minutes") or 60)),
            timedelta(hours=float(settings.get("portal.session_lifetime_hours") or 12)))


def hash_password(password):
    return password_hasher.hash(password)


def check_password(user, password):
    """True when the password is right; upgrades the hash when argon2's parameters moved."""
    if user is None or not user.active:
        # Spend the same time as a real check so that unknown e-mails do not show.
        password_hasher.hash(password)
        return False
    try:
        password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def bearer_secret(request):
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return secret.strip()
    return None


def principals_for(user):
    """The principals an ACL can name: the user, the role and the folders he/she belongs to."""
    principals = [f"user:{user.id}", f"role:{user.role}"]
    if user.may_book_out_of_schedule:
        principals.append(TRUSTED_OPERATOR)
    if user.role == "client" and user.client_id:
        principals.append(f"client:{user.client_id}")
    elif user.role == "zone_manager":
        principals += [f"zone:{zone.id}" for zone in user.zones if zone.client_id == user.client_id]
    elif user.role == "agent" and user.agent_id:
        principals.append(f"agent:{user.agent_id}")
    return principals


class PortalSecurityPolicy:
    def identity(self, request):
        return request.user

    def authenticated_userid(self, request):
        user = request.user
        return user.id if user is not None else None

    def effective_principals(self, request):
        """Computed once per request and user (a page asks the ACLs ten times or more); a sign-in or
        sign-out during the request changes the user, and so the principals."""
        user = request.user
        cached = request.__dict__.get(PRINCIPALS)
        if cached is not None and cached[0] is user:
            return cached[1]
        principals = [Everyone]
        if user is not None:
            principals.append(Authenticated)
            principals.extend(principals_for(user))
        request.__dict__[PRINCIPALS] = (user, principals)
        return principals

    def permits(self, request, context, permission):
        return ACLHelper().permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        key = secrets.token_urlsafe(32)
        dbsession, now = request.dbsession, request.now
        dbsession.execute(delete(LoginSession).where(
            LoginSession.user_id == userid,
            (LoginSession.ended_at.is_not(None)) | (LoginSession.created_at < now - FORGOTTEN_AFTER)))
        dbsession.add(LoginSession(user_id=userid, digest=digest_of(key), created_at=now, last_seen_at=now))
        # A new cookie and a new key at every sign-in: a session id planted before it is worth nothing.
        request.session.invalidate()
        request.session[SESSION_USER] = userid
        request.session[SESSION_KEY] = key
        return []

    def forget(self, request, **kw):
        key = request.session.get(SESSION_KEY)
        if key is not None:
            request.dbsession.execute(update(LoginSession).where(
                LoginSession.digest == digest_of(key), LoginSession.ended_at.is_(None)).values(ended_at=request.now))
        request.session.invalidate()
        return []


def end_sessions(dbsession, user_id, now):
    """End every open browser session of a user (password changed, user deactivated)."""
    dbsession.execute(update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
                      .values(ended_at=now), execution_options={"synchronize_session": False})


def refuse_wrong_token(request):
    """A wrong Bearer token counts against its address, like a wrong password; past the limit the
    answer is 429 instead of 401 (``portal.api.plumbing.api_forbidden``). Counted after the request's
    transaction ends, whichever way (the 401 rolls it back)."""
    ip, now = signin.client_ip(request), request.now
    agent = signin.user_agent(request)

    def count(_status=None):
        dbsession = request.registry["dbsession_factory"]()
        try:
            signin.count_failure(dbsession, now, ip=ip)
            signin.record(dbsession, signin.TOKEN_REFUSED, now=now, ip=ip, agent=agent, email="")
            dbsession.commit()
        finally:
            dbsession.close()

    current = request.tm.get()
    current.addAfterCommitHook(count)
    current.addAfterAbortHook(count)
    # Not raised here: the user is looked up by pyramid_tm before any exception view can answer.
    throttle = signin.Throttle.from_settings(request.registry.settings)
    wait = signin.retry_after(request.dbsession, throttle, now, ip=ip)
    if wait:
        request.environ[BEARER_REFUSAL] = signin.too_many_attempts(wait)


# The user lookups, built once (a statement costs less to run than to build), their values bound per request.
# Only a zone manager's principals need the zones (loaded then, lazily): one query less per request.
USER_OF_TOKEN = select(User).join(ApiToken).where(
    User.active.is_(True), ApiToken.digest == bindparam("digest"), ApiToken.revoked_at.is_(None))
USER_OF_SESSION = select(User, LoginSession.id, LoginSession.last_seen_at).join(LoginSession).where(
    User.active.is_(True), User.id == bindparam("user_id"), LoginSession.digest == bindparam("digest"),
    LoginSession.ended_at.is_(None), LoginSession.created_at > bindparam("born_after"),
    LoginSession.last_seen_at > bindparam("seen_after"))


def _load_user(request):
    """The user of this request, from a Bearer token or else the session."""
    secret = bearer_secret(request)
    if secret is not None:
        user = request.dbsession.execute(USER_OF_TOKEN, {"digest": ApiToken.digest_of(secret)}).scalar_one_or_none()
        if user is None:
            refuse_wrong_token(request)
        return user
    user_id, key = request.session.get(SESSION_USER), request.session.get(SESSION_KEY)
    if user_id is None or key is None:
        return None
    now = request.now
    idle, lifetime = session_limits(request.registry.settings)
    found = request.dbsession.execute(USER_OF_SESSION, {
        "user_id": user_id, "digest": digest_of(key), "born_after": now - lifetime, "seen_after": now - idle,
    }).one_or_none()
    if found is None:
        return None
    user, session_id, last_seen_at = found
    if last_seen_at < now - SEEN_EVERY:
        request.dbsession.execute(update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=now),
                                  execution_options={"synchronize_session": False})
        mark_changed(request.dbsession)
    return user


def csrf_applies(request):
    """CSRF protects cookie sessions; a Bearer token is not sent by browsers on their own."""
    return bearer_secret(request) is None


def includeme(config):
    settings = config.get_settings()
    secret = settings.get("portal.secret")
    if not secret:
        raise ValueError("portal.secret (or PORTAL_SECRET) must be set")
    config.set_session_factory(
        SignedCookieSessionFactory(
            secret,
            cookie_name="portal_session",
            secure=as_bool(settings.get("portal.secure_cookies", False)),
            httponly=True,
            samesite="Lax",
            # The server ends a session idle or too old (``session_limits``); the cookie lives as long.
            timeout=int(session_limits(settings)[1].total_seconds()),
            reissue_time=600,
        )
    )
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True, header="X-CSRF-Token", callback=csrf_applies)
    config.set_security_policy(PortalSecurityPolicy())
    config.add_request_method(_load_user, "user", reify=True)
