"""The database failing mid-request (spec §10: never a 500, never a partial write).

A connection that dies (``pg_terminate_backend``, PostgreSQL restarting), a serialization failure or
a deadlock, a pool with no connection left: the request's transaction is rolled back whole, and

- if the error came *before* the commit, nothing was written, so the request is run again from the
  start (pyramid_retry, ``retry.attempts``); during the commit only an error that proves the
  transaction rolled back (SQLSTATE class 40) is retried, since a connection lost while committing
  may have committed;
- when the attempts are spent, or the database cannot be reached at all, the answer is
  **503** ``service_unavailable`` with ``Retry-After``: the API's error shape, or an error page.

The next request gets a live connection: the first statement on a dead one fails before anything is
written, SQLAlchemy then drops every connection the pool held from before the failure, and the request
runs again on a new one. (Pinging each connection handed out, ``sqlalchemy.pool_pre_ping = true``,
would cost a round trip on every request for the same result.)
"""
import logging
import sys

from pyramid.view import exception_view_config
from pyramid_retry import mark_error_retryable
from pyramid_tm import is_tm_active
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.api.plumbing import API_ROUTE, error_response
from portal.errors import RuleViolation

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def sqlstate(error):
    return getattr(getattr(error, "orig", None), "sqlstate", None) or ""


def database_unavailable(error):
    """An error of the database's state, not of the request: lost or refused connection, serialization
    failure, deadlock, lock or statement timeout, pool exhausted."""
    return isinstance(error, UNAVAILABLE) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def safe_to_retry(request, error):
    """Before the commit (pyramid_tm still active) nothing is written; during it, only a transaction
    the server rolled back for certain (class 40) may run again."""
    return is_tm_active(request) or sqlstate(error).startswith("40")


def unavailable(error, request):
    """Mark the error retryable when it is safe (pyramid_retry discards this answer and runs the request
    again while attempts are left), and answer 503 otherwise."""
    if safe_to_retry(request, error):
        mark_error_retryable(error)
    log.warning("database unavailable (%s %s): %s", sqlstate(error) or "-", request.path_info,
                str(error).splitlines()[0] if str(error) else error.__class__.__name__)
    request.response.status_int = 503
    request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return RuleViolation("service_unavailable")


@exception_view_config(OperationalError, route_name=API_ROUTE, renderer="json")
@exception_view_config(InterfaceError, route_name=API_ROUTE, renderer="json")
@exception_view_config(PoolTimeout, route_name=API_ROUTE, renderer="json")
def api_database_unavailable(error, request):
    violation = unavailable(error, request)
    return error_response(request, violation)


@exception_view_config(OperationalError, renderer="portal:templates/error.jinja2")
@exception_view_config(InterfaceError, renderer="portal:templates/error.jinja2")
@exception_view_config(PoolTimeout, renderer="portal:templates/error.jinja2")
def page_database_unavailable(error, request):
    from portal.views import error_page

    violation = unavailable(error, request)
    # The page's top bar must not ask the database who is logged in: it just failed.
    request.__dict__.setdefault("user", None)
    return error_page(request, violation)


def database_fault_tween_factory(handler, registry):
    """Over pyramid_tm: a database error raised outside the views' reach (the transaction's own
    begin or end) still gets the 503 answer, never the server's bare 500."""

    def database_fault_tween(request):
        try:
            return handler(request)
        except Exception as error:
            if not database_unavailable(error):
                raise
            return request.invoke_exception_view(sys.exc_info())

    return database_fault_tween


def includeme(config):
    config.add_tween("portal.guards.faults.database_fault_tween_factory", over="pyramid_tm.tm_tween_factory")
    config.scan("portal.guards.faults")
