# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""One place that owns database connections and transactions.

Every module that talks to the database opens its transactions here::

    with session.writer() as s:      # or session.reader()
        s.execute(...)

    with session.writer_connection() as conn:   # Core statements only
        conn.execute(...)

On SQLite, a writer transaction starts with ``BEGIN IMMEDIATE`` so that two
processes (or threads) that read then write never deadlock on the upgrade
from a read to a write lock; readers use a plain ``BEGIN`` and, thanks to
WAL mode, never wait for writers.
"""

import contextlib
import contextvars
import threading
import weakref

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa

CONF = cfg.CONF

_context_manager = enginefacade.transaction_context()
_configured = False
_configure_lock = threading.Lock()

# Key of the callbacks of after_commit in Connection.info.
_AFTER_COMMIT = 'convection_after_commit'

# Set while a writer transaction is being opened, read by the SQLite
# "begin" listener below.
_write_intent = contextvars.ContextVar('convection_db_write', default=False)


class _TransactionHolder:
    """The object enginefacade hangs its session on (no request context)."""


def _configure():
    global _configured
    with _configure_lock:
        if _configured:
            return
        known = {opt.dest for opt in db_options.database_opts}
        _context_manager.configure(
            # thread_checkin makes every connection check-in call
            # time.sleep(0) so that eventlet switches greenthreads; under
            # native threads it only costs (about 1.5 ms here).
            thread_checkin=False,
            **{k: v for k, v in CONF.database.items() if k in known})
        _configured = True


def get_engine():
    """The writer engine, created on first use from [database]."""
    _configure()
    engine = _context_manager.writer.get_engine()
    _prepare_sqlite(engine)
    return engine


def dispose():
    """Forget engines (tests, and a process that forks)."""
    global _configured, _context_manager
    with _configure_lock:
        if _configured:
            _context_manager.dispose_pool()
        _context_manager = enginefacade.transaction_context()
        _configured = False


# Weak, not ids: a disposed engine's id can come back on a new engine.
_prepared_engines = weakref.WeakSet()


def _prepare_sqlite(engine):
    if engine.dialect.name != 'sqlite' or engine in _prepared_engines:
        return
    _prepared_engines.add(engine)
    busy_ms = CONF.database.sqlite_busy_timeout * 1000

    @sa.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_conn, record):
        # oslo.db already took transaction control away from pysqlite
        # (isolation_level = None); the "begin" listener starts them.
        cursor = dbapi_conn.cursor()
        cursor.execute(f'PRAGMA busy_timeout = {int(busy_ms)}')
        cursor.execute('PRAGMA foreign_keys = ON')
        if engine.url.database not in (None, '', ':memory:'):
            cursor.execute('PRAGMA journal_mode = WAL')
            cursor.execute('PRAGMA synchronous = NORMAL')
        cursor.close()

    # oslo.db already opened a connection to test the engine, before these
    # listeners existed: start the pool afresh so every connection has them.
    engine.dispose()
    if isinstance(engine.pool, sa.pool.NullPool) and \
            engine.url.database not in (None, '', ':memory:'):
        # oslo.db gives SQLite files a NullPool: every transaction would
        # open the file again and, closing the last connection, checkpoint
        # and delete the WAL (about 10 ms per transaction). Keep the
        # connections, with the same creator and listeners.
        old_pool = engine.pool
        engine.pool = sa.pool.QueuePool(
            old_pool._creator,
            pool_size=CONF.database.max_pool_size or 5,
            max_overflow=CONF.database.max_overflow or 10,
            _dispatch=old_pool.dispatch, dialect=old_pool._dialect)

    def _on_begin(conn):
        if 'in_transaction' in conn.info:
            return
        conn.exec_driver_sql(
            'BEGIN IMMEDIATE' if _write_intent.get() else 'BEGIN')
        conn.info['in_transaction'] = True

    # Run before oslo.db's own "begin" listener, which then sees the
    # transaction marker and does not emit a plain BEGIN. listen(...,
    # insert=True) does not reorder engine listeners on SQLAlchemy 2.1, so
    # re-register the existing ones after ours.
    existing = list(engine.dispatch.begin)
    for listener in existing:
        sa.event.remove(engine, 'begin', listener)
    sa.event.listen(engine, 'begin', _on_begin)
    for listener in existing:
        sa.event.listen(engine, 'begin', listener)


@contextlib.contextmanager
def writer():
    """A read-write transaction, committed when the block exits cleanly."""
    get_engine()
    token = _write_intent.set(True)
    try:
        with _context_manager.writer.using(_TransactionHolder()) as s:
            yield s
    finally:
        _write_intent.reset(token)


@contextlib.contextmanager
def writer_connection():
    """A read-write transaction on a Core connection, without ORM session.

    For code that only runs Core statements, like the engine, which opens
    one per task transition: an ORM session doubles the cost of opening
    and committing the transaction.
    """
    get_engine()
    token = _write_intent.set(True)
    try:
        with _context_manager.writer.connection.using(
                _TransactionHolder()) as conn:
            try:
                yield conn
            finally:
                # conn.info lives as long as the DBAPI connection: take
                # this transaction's callbacks off it whatever happens.
                callbacks = conn.info.pop(_AFTER_COMMIT, ())
    finally:
        _write_intent.reset(token)
    # Only reached once the transaction committed.
    for callback in callbacks:
        callback()


def after_commit(conn, callback):
    """Call ``callback()`` once the transaction of ``conn`` has committed.

    ``conn`` comes from :func:`writer_connection`; nothing is called if
    the transaction rolls back.
    """
    conn.info.setdefault(_AFTER_COMMIT, []).append(callback)


@contextlib.contextmanager
def reader():
    """A read-only transaction."""
    get_engine()
    with _context_manager.reader.using(_TransactionHolder()) as s:
        yield s
