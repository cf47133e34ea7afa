"""Database plumbing: the declarative base, UTC times, one session per request."""
from datetime import datetime, timezone

import orjson
import zope.sqlalchemy
from transaction._transaction import Status as ZopeStatus
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy import engine_from_config as sa_engine_from_config
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator
from zope.sqlalchemy.datamanager import STATUS_CHANGED, ZopeTransactionEvents, join_transaction, mark_changed

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC; naive values are refused.

    PostgreSQL keeps it as timestamptz; SQLite has no time zones, so the
    value is stored as naive UTC and made aware again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def result_processor(self, dialect, coltype):
        """On PostgreSQL one plain function per value (a list reads some 300): psycopg already gives an aware
        datetime, in ``timezone.utc`` itself since the sessions' TimeZone is UTC (``engine_from_settings``)."""
        if dialect.name != "postgresql":
            return super().result_processor(dialect, coltype)
        utc = timezone.utc

        def process(value):
            if value is None or value.tzinfo is utc:
                return value
            return self.process_result_value(value, dialect)

        return process


def utcnow():
    return datetime.now(timezone.utc)


def engine_from_settings(settings, prefix="sqlalchemy."):
    """The engine. Its pool does not ping a connection before handing it out (``pool_pre_ping``, off
    unless the ini says true): that is a round trip on every request, and a connection killed while
    idle fails its first statement, which invalidates the pool's old connections and is retried
    (``portal.guards.faults``), so the request is answered all the same."""
    from portal.settings import as_bool

    settings = dict(settings)
    settings[prefix + "pool_pre_ping"] = as_bool(settings.get(prefix + "pool_pre_ping", "false"))
    options = {"json_deserializer": orjson.loads}  # JSON columns (a list's 50 rows of fields) read 4x faster
    if str(settings.get(prefix + "url", "")).startswith("postgresql"):
        # Times come back in UTC, whatever the server's default: the same instants, no conversion per value.
        options["connect_args"] = {"options": "-c TimeZone=UTC"}
    engine = sa_engine_from_config(settings, prefix, **options)
    if engine.dialect.name == "sqlite":
        _serialise_sqlite_writers(engine)
    return engine


def _serialise_sqlite_writers(engine):
    """SQLite has no row locks: every transaction takes the write lock at BEGIN.

    This makes SQLite behave like the row locks we take on PostgreSQL (no lost
    update, no oversold quota) and lets SAVEPOINT work, which pysqlite's own
    transaction handling breaks.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_session_factory(bind, **options):
    return sessionmaker(bind=bind, **options)


class _TransactionEvents(ZopeTransactionEvents):
    """zope.sqlalchemy's events, listened to once on a session factory instead of on every session
    (seven listeners added per request otherwise). Each session joins its own transaction manager,
    the one ``get_tm_session`` put in its ``info``; a session made without one is left alone.

    A transaction that wrote nothing ends with COMMIT, not ROLLBACK (``initial_state``): the same for
    PostgreSQL, but psycopg forgets its prepared statements at every ROLLBACK (it cannot know what the
    transaction dropped), so a read request undid what the one before had prepared, and PostgreSQL
    parsed and planned every statement of every request again. Writes made past the ORM no longer
    need ``mark_changed`` to be kept."""

    def __init__(self):
        super().__init__(initial_state=STATUS_CHANGED)

    @staticmethod
    def _manager(session):
        return session.info.get("transaction_manager")

    def after_begin(self, session, transaction, connection):
        if (manager := self._manager(session)) is not None:
            join_transaction(session, self.initial_state, manager)

    def after_attach(self, session, instance):
        if (manager := self._manager(session)) is not None:
            join_transaction(session, self.initial_state, manager)

    def after_flush(self, session, flush_context):
        if (manager := self._manager(session)) is not None:
            mark_changed(session, manager)

    def after_bulk_update(self, update_context):
        self.after_flush(update_context.session, None)

    def after_bulk_delete(self, delete_context):
        self.after_flush(delete_context.session, None)

    def before_commit(self, session):
        manager = self._manager(session)
        assert manager is None or session.in_nested_transaction() or \
            manager.get().status == ZopeStatus.COMMITTING, "Transaction must be committed using the transaction manager"

    def do_orm_execute(self, execute_state):
        if execute_state.is_orm_statement and (execute_state.is_update or execute_state.is_insert
                                               or execute_state.is_delete):
            self.after_flush(execute_state.session, None)


def join_transactions(session_factory):
    """Make the sessions of this factory join their transaction manager; once per factory."""
    if not getattr(session_factory, "joins_transactions", False):
        events = _TransactionEvents()
        for name in ("after_begin", "after_attach", "after_flush", "after_bulk_update", "after_bulk_delete",
                     "before_commit", "do_orm_execute"):
            event.listen(session_factory, name, getattr(events, name))
        session_factory.joins_transactions = True
    return session_factory


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to the transaction manager (pyramid_tm or a job's)."""
    dbsession = session_factory(info={"request": request, "transaction_manager": transaction_manager})
    if not getattr(session_factory, "joins_transactions", False):  # a factory made elsewhere (tests)
        zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager, initial_state=STATUS_CHANGED)
    return dbsession


def includeme(config):
    """Wire a request-scoped session; tests may register their own factory first."""
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # The user is looked up inside the request's handling, where a database failure gets its 503
    # (portal.guards.faults), not by pyramid_tm before it (it would only annotate the transaction).
    settings.setdefault("tm.annotate_user", "false")
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    session_factory = config.registry.get("dbsession_factory")
    if session_factory is None:
        engine = engine_from_settings(settings)
        session_factory = get_session_factory(engine)
        config.registry["dbsession_factory"] = session_factory
    join_transactions(session_factory)

    def dbsession(request):
        return get_tm_session(request.registry["dbsession_factory"], request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
