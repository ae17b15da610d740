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

"""How transactions begin on SQLite."""

import sqlalchemy as sa

from convection.db.sqlalchemy import session
from tests import base


class SQLiteTransactionsTestCase(base.TestCase):

    def _statements_of(self, transaction):
        seen = []
        engine = session.get_engine()

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(engine, 'before_cursor_execute', record)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        record)
        with transaction() as s:
            s.execute(sa.text('SELECT 1'))
        return seen

    def test_writer_takes_the_write_lock_up_front(self):
        self.assertEqual(['BEGIN IMMEDIATE', 'SELECT 1'],
                         self._statements_of(session.writer))

    def test_reader_begins_deferred(self):
        self.assertEqual(['BEGIN', 'SELECT 1'],
                         self._statements_of(session.reader))

    def test_every_new_engine_is_prepared(self):
        # A new engine may reuse the memory (and id) of a disposed one.
        for _i in range(3):
            session.dispose()
            self.assertEqual(['BEGIN IMMEDIATE', 'SELECT 1'],
                             self._statements_of(session.writer))
            with session.reader() as s:
                self.assertEqual(1, s.execute(
                    sa.text('PRAGMA foreign_keys')).scalar_one())

    def test_writer_connection_takes_the_write_lock_up_front(self):
        self.assertEqual(['BEGIN IMMEDIATE', 'SELECT 1'],
                         self._statements_of(session.writer_connection))


class WriterConnectionTestCase(base.TestCase):
    """Core-only transactions and what runs after they commit."""

    def _count(self):
        with session.reader() as s:
            return s.execute(sa.text(
                "SELECT count(*) FROM webhooks WHERE url = 'u'")).scalar_one()

    def _insert(self, conn):
        conn.execute(sa.text(
            "INSERT INTO webhooks (id, project_id, user_id, url, events, "
            "secret, enabled, created_at) VALUES ('w', 'p', 'u', 'u', '[]', "
            "'s', 1, '2026-01-01 00:00:00')"))

    def test_commits_and_then_calls_back(self):
        seen = []
        with session.writer_connection() as conn:
            self._insert(conn)
            session.after_commit(conn, lambda: seen.append(self._count()))
            self.assertEqual([], seen)
        # The callback ran after the commit: it saw the row.
        self.assertEqual([1], seen)

    def test_rollback_calls_nothing_back_now_or_later(self):
        seen = []

        def fail():
            with session.writer_connection() as conn:
                self._insert(conn)
                session.after_commit(conn, lambda: seen.append('called'))
                raise RuntimeError('the transaction failed')

        self.assertRaises(RuntimeError, fail)
        self.assertEqual(0, self._count())
        # The pooled connection does not carry the callback to the next
        # transaction.
        with session.writer_connection() as conn:
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual([], seen)
