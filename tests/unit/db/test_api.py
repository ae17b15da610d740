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

"""The database API on SQLite, PostgreSQL and MariaDB.

The server variants run on databases built by the migrations, so that the
row locks and unique constraints the race-safe paths rely on are real.
"""

import datetime
import threading

from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from convection.common import exception
from convection.common import states
from convection.db import api as db_api
from convection.db.sqlalchemy import models
from convection.db.sqlalchemy import session
from tests import base
from tests.unit.db import backends

P1 = 'project-1'
P2 = 'project-2'


def _register(project_id=P1, name='deploy', checksum='c1', **kw):
    args = {'user_id': 'user', 'definition': {'tasks': {'a': {}}},
            'source': 'tasks: {a: {}}', 'description': f'doc {checksum}'}
    args.update(kw)
    return db_api.create_flow_version(project_id=project_id, name=name,
                                      checksum=checksum, **args)


class DBAPITestCase(base.TestCase):
    """On SQLite; the subclasses at the end repeat it on the servers."""

    backend = 'sqlite'

    def setUp(self):
        if self.backend != 'sqlite':
            self.use_database = False
        super().setUp()
        if self.backend != 'sqlite':
            backends.require(self, self.backend)
            self.useFixture(backends.MigratedDatabase(self.backend))

    # Helpers

    def _execution(self, flow=None, version=None, project_id=P1, **values):
        if flow is None:
            flow, version, _created = _register(project_id=project_id)
        values.setdefault('input', {'x': 1})
        execution, created = db_api.create_execution(dict(
            project_id=project_id, user_id='user', flow_id=flow['id'],
            flow_version_id=version['id'], flow_name=flow['name'],
            flow_version=version['version'], **values))
        self.assertTrue(created)
        return execution

    def _set_execution(self, execution_id, **values):
        with session.writer() as s:
            s.execute(sa.update(models.Execution)
                      .where(models.Execution.id == execution_id)
                      .values(**values))

    def _add_task(self, execution_id, name, state=states.PENDING,
                  created_at=None, **values):
        task = models.TaskExecution(
            id=uuidutils.generate_uuid(), execution_id=execution_id,
            name=name, type='noop', state=state, item_index=-1, attempt=0,
            created_at=created_at or timeutils.utcnow(), **values)
        with session.writer() as s:
            s.add(task)
        return task.id

    def _add_event(self, execution_id, to_state):
        with session.writer() as s:
            s.add(models.Event(execution_id=execution_id, kind='execution',
                               to_state=to_state,
                               created_at=timeutils.utcnow()))

    def _run_concurrently(self, count, target):
        """Run ``target(i)`` in ``count`` threads released together."""
        barrier = threading.Barrier(count)
        results = [None] * count
        errors = []

        def run(i):
            try:
                barrier.wait()
                results[i] = target(i)
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=run, args=(i,))
                   for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual([], errors)
        return results

    # Flows and versions

    def test_first_registration_creates_private_flow_version_1(self):
        flow, version, created = _register()
        self.assertTrue(created)
        self.assertTrue(uuidutils.is_uuid_like(flow['id']))
        self.assertEqual(
            ('deploy', P1, 'user', states.PRIVATE, 1, 'doc c1'),
            (flow['name'], flow['project_id'], flow['user_id'],
             flow['visibility'], flow['latest_version'],
             flow['description']))
        self.assertEqual(
            (flow['id'], 'deploy', 1, 'c1', {'tasks': {'a': {}}},
             'tasks: {a: {}}'),
            (version['flow_id'], version['flow_name'], version['version'],
             version['checksum'], version['definition'],
             version['source']))
        self.assertIsInstance(flow['created_at'], datetime.datetime)

    def test_new_document_appends_a_version(self):
        flow, _v, _c = _register()
        flow2, version2, created = _register(checksum='c2')
        self.assertTrue(created)
        self.assertEqual(flow['id'], flow2['id'])
        self.assertEqual(2, version2['version'])
        self.assertEqual(2, flow2['latest_version'])
        self.assertEqual('doc c2', flow2['description'])
        self.assertIsNotNone(flow2['updated_at'])
        self.assertEqual(
            {'tasks': {'a': {}}},
            db_api.get_flow_version(flow['id'], 1)['definition'])

    def test_same_document_as_latest_returns_it(self):
        _register()
        flow, version, created = _register()
        self.assertFalse(created)
        self.assertEqual(1, version['version'])
        self.assertEqual(1, flow['latest_version'])
        self.assertEqual(1, len(db_api.list_flow_versions(flow['id'])))

    def test_same_document_as_an_older_version_is_a_new_version(self):
        _register(checksum='c1')
        _register(checksum='c2')
        _flow, version, created = _register(checksum='c1')
        self.assertTrue(created)
        self.assertEqual(3, version['version'])

    def test_visibility_on_registration(self):
        flow, _v, _c = _register(visibility=states.PUBLIC)
        self.assertEqual(states.PUBLIC, flow['visibility'])
        flow, _v, _c = _register(checksum='c2')
        self.assertEqual(states.PUBLIC, flow['visibility'],
                         'None keeps the current visibility')
        flow, _v, created = _register(checksum='c2',
                                      visibility=states.PRIVATE)
        self.assertFalse(created)
        self.assertEqual(states.PRIVATE, flow['visibility'])
        self.assertEqual(states.PRIVATE,
                         db_api.get_flow(P1, flow['id'])['visibility'])

    def test_same_name_in_two_projects_is_two_flows(self):
        flow1, _v, _c = _register(project_id=P1)
        flow2, version2, created = _register(project_id=P2)
        self.assertTrue(created)
        self.assertNotEqual(flow1['id'], flow2['id'])
        self.assertEqual(1, version2['version'])

    def test_concurrent_registrations_get_consecutive_versions(self):
        count = 6
        results = self._run_concurrently(
            count, lambda i: _register(checksum=f'c{i}'))
        versions = sorted(version['version'] for _f, version, _c in results)
        self.assertEqual(list(range(1, count + 1)), versions)
        self.assertEqual(1, len({flow['id'] for flow, _v, _c in results}))
        flow = db_api.get_flow(P1, 'deploy')
        self.assertEqual(count, flow['latest_version'])

    def test_concurrent_identical_registrations_store_one_version(self):
        results = self._run_concurrently(4, lambda i: _register())
        self.assertEqual([1, 1, 1, 1],
                         [version['version'] for _f, version, _c in results])
        self.assertEqual(1, [c for _f, _v, c in results].count(True))

    def test_get_flow_by_id_and_name_with_latest_definition(self):
        flow, _v, _c = _register()
        _register(checksum='c2', definition={'tasks': {'b': {}}})
        for key in (flow['id'], 'deploy'):
            found = db_api.get_flow(P1, key)
            self.assertEqual(flow['id'], found['id'])
            self.assertEqual({'tasks': {'b': {}}}, found['definition'])
            self.assertEqual('doc c2', found['description'])

    def test_private_flow_of_another_project_is_not_found(self):
        flow, _v, _c = _register(project_id=P2)
        for key in (flow['id'], 'deploy'):
            self.assertRaises(exception.FlowNotFound,
                              db_api.get_flow, P1, key)

    def test_public_flow_of_another_project_is_found(self):
        flow, _v, _c = _register(project_id=P2, visibility=states.PUBLIC)
        for key in (flow['id'], 'deploy'):
            self.assertEqual(flow['id'], db_api.get_flow(P1, key)['id'])
        self.assertRaises(exception.FlowNotFound, db_api.get_flow, P1,
                          flow['id'], include_public=False)
        self.assertRaises(exception.FlowNotFound, db_api.get_flow, P1,
                          'deploy', include_public=False)

    def test_own_flow_wins_over_public_flow_of_same_name(self):
        _register(project_id=P2, visibility=states.PUBLIC)
        own, _v, _c = _register(project_id=P1)
        self.assertEqual(own['id'], db_api.get_flow(P1, 'deploy')['id'])

    def test_two_public_flows_of_one_name_are_ambiguous(self):
        _register(project_id=P2, visibility=states.PUBLIC)
        _register(project_id='project-3', visibility=states.PUBLIC)
        self.assertRaises(exception.FlowNameAmbiguous,
                          db_api.get_flow, P1, 'deploy')

    def test_admin_sees_every_project_but_names_must_be_unique(self):
        flow, _v, _c = _register(project_id=P2)
        self.assertEqual(flow['id'], db_api.get_flow(None, flow['id'])['id'])
        self.assertEqual(flow['id'], db_api.get_flow(None, 'deploy')['id'])
        _register(project_id=P1)
        self.assertRaises(exception.FlowNameAmbiguous,
                          db_api.get_flow, None, 'deploy')

    def test_unknown_flow_is_not_found(self):
        self.assertRaises(exception.FlowNotFound,
                          db_api.get_flow, P1, 'nope')
        self.assertRaises(exception.FlowNotFound,
                          db_api.get_flow, None, uuidutils.generate_uuid())

    def test_list_flows_of_project_and_public(self):
        own, _v, _c = _register(project_id=P1, name='a')
        public, _v, _c = _register(project_id=P2, name='b',
                                   visibility=states.PUBLIC)
        _register(project_id=P2, name='c')
        self.assertEqual({own['id'], public['id']},
                         {f['id'] for f in db_api.list_flows(P1)})
        self.assertEqual([own['id']], [f['id'] for f in db_api.list_flows(
            P1, include_public=False)])
        self.assertEqual(3, len(db_api.list_flows(None)))
        self.assertEqual(['doc c1'], [f['description'] for f in
                                      db_api.list_flows(P1, filters={
                                          'name': 'a'})])
        self.assertEqual([public['id']], [f['id'] for f in db_api.list_flows(
            P1, filters={'visibility': states.PUBLIC})])

    def test_list_flows_pages_by_name_both_ways(self):
        names = [f'flow-{i:02d}' for i in range(7)]
        for name in reversed(names):
            _register(name=name)
        for sort_dir, expected in (('asc', names), ('desc', names[::-1])):
            seen, marker = [], None
            while True:
                page = db_api.list_flows(P1, limit=3, marker=marker,
                                         sort_key='name', sort_dir=sort_dir)
                if not page:
                    break
                self.assertLessEqual(len(page), 3)
                seen.extend(f['name'] for f in page)
                marker = page[-1]['id']
            self.assertEqual(expected, seen)

    def test_list_flows_pages_by_created_at_with_ties(self):
        created = timeutils.utcnow()
        ids = [_register(name=f'flow-{i}')[0]['id'] for i in range(5)]
        with session.writer() as s:
            s.execute(sa.update(models.Flow).values(created_at=created))
        expected = sorted(ids, reverse=True)
        first = db_api.list_flows(P1, limit=2)
        rest = db_api.list_flows(P1, marker=first[-1]['id'])
        self.assertEqual(expected, [f['id'] for f in first + rest])

    def test_list_flows_pages_by_nullable_updated_at(self):
        ids = [_register(name=f'flow-{i}')[0]['id'] for i in range(5)]
        # Two flows updated (distinct times), three never (NULL).
        _register(name='flow-3', checksum='c2')
        _register(name='flow-1', checksum='c2')
        for sort_dir in ('asc', 'desc'):
            everything = [f['id'] for f in db_api.list_flows(
                P1, sort_key='updated_at', sort_dir=sort_dir)]
            paged, marker = [], None
            while True:
                page = db_api.list_flows(P1, limit=1, marker=marker,
                                         sort_key='updated_at',
                                         sort_dir=sort_dir)
                if not page:
                    break
                paged.extend(f['id'] for f in page)
                marker = page[-1]['id']
            self.assertEqual(everything, paged)
            self.assertEqual(sorted(ids), sorted(paged))
        ascending = [f['id'] for f in db_api.list_flows(
            P1, sort_key='updated_at', sort_dir='asc')]
        self.assertEqual([ids[3], ids[1]], ascending[-2:])

    def test_list_flows_rejects_bad_sort_filter_marker(self):
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.list_flows, P1, sort_key='checksum')
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.list_flows, P1, sort_dir='up')
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.list_flows, P1, filters={'user_id': 'u'})
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.list_flows, P1, limit=-1)
        self.assertRaises(exception.FlowNotFound, db_api.list_flows, P1,
                          marker=uuidutils.generate_uuid())
        private, _v, _c = _register(project_id=P2)
        self.assertRaises(exception.FlowNotFound, db_api.list_flows, P1,
                          marker=private['id'])

    def test_update_flow_visibility(self):
        flow, _v, _c = _register()
        updated = db_api.update_flow(flow['id'], states.PUBLIC)
        self.assertEqual(states.PUBLIC, updated['visibility'])
        self.assertEqual('doc c1', updated['description'])
        self.assertIsNotNone(updated['updated_at'])
        self.assertEqual(flow['id'], db_api.get_flow(P2, 'deploy')['id'])
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.update_flow, flow['id'], 'shared')
        self.assertRaises(exception.FlowNotFound, db_api.update_flow,
                          uuidutils.generate_uuid(), states.PUBLIC)

    def test_flow_versions_newest_first_with_marker(self):
        flow, _v, _c = _register()
        for i in range(2, 6):
            _register(checksum=f'c{i}')
        self.assertEqual([5, 4, 3, 2, 1], [
            v['version'] for v in db_api.list_flow_versions(flow['id'])])
        self.assertEqual([3, 2], [v['version'] for v in
                                  db_api.list_flow_versions(
                                      flow['id'], limit=2, marker=4)])
        version = db_api.get_flow_version(flow['id'], 3)
        self.assertEqual(('deploy', 'c3', 'doc c3'), (
            version['flow_name'], version['checksum'],
            version['description']))
        self.assertRaises(exception.FlowVersionNotFound,
                          db_api.get_flow_version, flow['id'], 6)
        self.assertRaises(exception.FlowNotFound, db_api.list_flow_versions,
                          uuidutils.generate_uuid())

    def test_delete_flow_refused_while_executions_are_active(self):
        flow, version, _c = _register()
        running = self._execution(flow, version)
        self._execution(flow, version)
        self._set_execution(running['id'], state=states.RUNNING)
        self.assertEqual(2, db_api.count_active_executions(flow['id']))
        exc = self.assertRaises(exception.FlowInUse, db_api.delete_flow,
                                flow['id'])
        self.assertIn('2 execution(s)', str(exc))
        self.assertEqual(409, exc.code)
        self.assertEqual(flow['id'], db_api.get_flow(P1, flow['id'])['id'])

    def test_delete_flow_keeps_finished_executions_readable(self):
        flow, version, _c = _register()
        execution = self._execution(flow, version)
        self._set_execution(execution['id'], state=states.SUCCEEDED)
        self.assertEqual(0, db_api.count_active_executions(flow['id']))
        db_api.delete_flow(flow['id'])
        self.assertRaises(exception.FlowNotFound, db_api.get_flow, P1,
                          flow['id'])
        self.assertRaises(exception.FlowVersionNotFound,
                          db_api.get_flow_version, flow['id'], 1)
        kept = db_api.get_execution(execution['id'], P1)
        self.assertEqual((None, None, 'deploy', 1), (
            kept['flow_id'], kept['flow_version_id'], kept['flow_name'],
            kept['flow_version']))
        self.assertRaises(exception.FlowNotFound, db_api.delete_flow,
                          flow['id'])

    def test_deleted_version_ids_are_never_reused(self):
        # The engine caches definitions by version id: a new flow must not
        # inherit the id (and so the cached definition) of a deleted one.
        flow, old, _c = _register(name='old', checksum='c-old')
        db_api.delete_flow(flow['id'])
        _f, new, _c = _register(project_id=P2, name='new', checksum='c-new')
        self.assertGreater(new['id'], old['id'])

    def test_purge_deletes_only_old_finished_history(self):
        now = timeutils.utcnow()
        long_ago = now - datetime.timedelta(days=10)
        flow, version, _c = _register()
        old = self._execution(flow, version)
        self._set_execution(old['id'], state=states.SUCCEEDED,
                            finished_at=long_ago)
        self._add_task(old['id'], 'a', state=states.SUCCEEDED)
        recent = self._execution(flow, version)
        self._set_execution(recent['id'], state=states.FAILED,
                            finished_at=now)
        # Started long ago and still running: never purged.
        running = self._execution(flow, version)
        self._set_execution(running['id'], state=states.RUNNING,
                            started_at=long_ago)

        deleted = db_api.purge(now - datetime.timedelta(days=5),
                               batch_size=1)

        self.assertEqual({'executions': 1, 'webhook_deliveries': 0,
                          'queue_workers': 0}, deleted)
        self.assertRaises(exception.ExecutionNotFound,
                          db_api.get_execution, old['id'])
        with session.reader() as s:
            self.assertEqual([], s.execute(
                sa.select(models.TaskExecution.id).where(
                    models.TaskExecution.execution_id == old['id'])).all())
            self.assertEqual([], s.execute(
                sa.select(models.Event.id).where(
                    models.Event.execution_id == old['id'])).all())
        self.assertEqual(
            {recent['id'], running['id']},
            {e['id'] for e in db_api.list_executions(P1)})

    def test_purge_forgets_workers_not_seen_since(self):
        now = timeutils.utcnow()
        with session.writer() as s:
            for name, seen in (('gone', now - datetime.timedelta(days=10)),
                               ('alive', now)):
                s.add(models.QueueWorker(project_id=P1, queue='builds',
                                         name=name, last_seen_at=seen))

        deleted = db_api.purge(now - datetime.timedelta(days=5))

        self.assertEqual(1, deleted['queue_workers'])
        with session.reader() as s:
            self.assertEqual(['alive'], s.execute(
                sa.select(models.QueueWorker.name)).scalars().all())

    def test_execution_of_a_deleted_flow_is_refused(self):
        flow, version, _c = _register()
        db_api.delete_flow(flow['id'])
        self.assertRaises(exception.FlowNotFound, db_api.create_execution, {
            'project_id': P1, 'flow_id': flow['id'],
            'flow_version_id': version['id'], 'flow_name': 'deploy',
            'flow_version': 1})

    def test_delete_racing_new_executions_never_orphans_one(self):
        flow, version, _c = _register()
        values = {'project_id': P1, 'flow_id': flow['id'],
                  'flow_version_id': version['id'], 'flow_name': 'deploy',
                  'flow_version': 1}

        def create_or_delete(i):
            try:
                if i == 0:
                    db_api.delete_flow(flow['id'])
                    return 'deleted'
                db_api.create_execution(values)
                return 'created'
            except (exception.FlowInUse, exception.FlowNotFound) as e:
                return type(e).__name__

        results = self._run_concurrently(5, create_or_delete)
        executions = db_api.list_executions(P1)
        if results[0] == 'deleted':
            # Every execution that got in was created before the delete
            # looked, so the delete must have refused: none may exist.
            self.assertEqual([], executions)
            self.assertEqual({'FlowNotFound'}, set(results[1:]))
        else:
            self.assertEqual('FlowInUse', results[0])
            self.assertEqual(results[1:].count('created'), len(executions))
            self.assertEqual(flow['id'],
                             db_api.get_flow(P1, flow['id'])['id'])

    # Executions

    def test_create_execution_is_pending_with_its_first_event(self):
        execution = self._execution(input={'vm': 'a'})
        self.assertTrue(uuidutils.is_uuid_like(execution['id']))
        self.assertEqual(states.PENDING, execution['state'])
        self.assertEqual({}, execution['task_counts'])
        self.assertIsNone(execution['duration'])
        events = db_api.list_events(execution['id'])
        self.assertEqual([('execution', None, states.PENDING)],
                         [(e['kind'], e['from_state'], e['to_state'])
                          for e in events])
        self.assertEqual({'vm': 'a'},
                         db_api.get_execution(execution['id'])['input'])

    def test_create_execution_refuses_engine_fields(self):
        flow, version, _c = _register()
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.create_execution, {
                              'project_id': P1, 'flow_name': 'deploy',
                              'flow_version': 1, 'state': states.RUNNING})

    def test_idempotency_key_returns_the_same_execution(self):
        flow, version, _c = _register()
        first = self._execution(flow, version, idempotency_key='k1')
        again, created = db_api.create_execution({
            'project_id': P1, 'flow_id': flow['id'],
            'flow_version_id': version['id'], 'flow_name': 'deploy',
            'flow_version': 1, 'input': {'x': 1}, 'idempotency_key': 'k1'})
        self.assertFalse(created)
        self.assertEqual(first['id'], again['id'])
        self.assertEqual(1, len(db_api.list_executions(P1)))

    def test_idempotency_key_reused_for_other_input_or_version(self):
        flow, version, _c = _register()
        _f, version2, _c = _register(checksum='c2')
        first = self._execution(flow, version, idempotency_key='k1')
        values = {'project_id': P1, 'flow_id': flow['id'],
                  'flow_version_id': version['id'], 'flow_name': 'deploy',
                  'flow_version': 1, 'idempotency_key': 'k1'}
        exc = self.assertRaises(exception.IdempotencyKeyReused,
                                db_api.create_execution,
                                dict(values, input={'x': 2}))
        self.assertIn(first['id'], str(exc))
        self.assertRaises(exception.IdempotencyKeyReused,
                          db_api.create_execution,
                          dict(values, input={'x': 1},
                               flow_version_id=version2['id'],
                               flow_version=2))

    def test_idempotency_keys_are_per_project(self):
        self._execution(project_id=P1, idempotency_key='k1')
        self._execution(project_id=P2, idempotency_key='k1')

    def test_concurrent_creations_with_one_key_make_one_execution(self):
        flow, version, _c = _register()
        values = {'project_id': P1, 'flow_id': flow['id'],
                  'flow_version_id': version['id'], 'flow_name': 'deploy',
                  'flow_version': 1, 'input': {'x': 1},
                  'idempotency_key': 'k1'}
        results = self._run_concurrently(
            5, lambda i: db_api.create_execution(values))
        self.assertEqual(1, len({e['id'] for e, _c in results}))
        self.assertEqual([True], [c for _e, c in results if c])
        self.assertEqual(1, len(db_api.list_executions(P1)))

    def test_get_execution_counts_tasks_and_times_it(self):
        execution = self._execution()
        started = timeutils.utcnow() - datetime.timedelta(seconds=90)
        self._set_execution(execution['id'], state=states.RUNNING,
                            started_at=started)
        self._add_task(execution['id'], 'a', states.SUCCEEDED)
        self._add_task(execution['id'], 'b', states.SUCCEEDED)
        self._add_task(execution['id'], 'c', states.RUNNING)
        found = db_api.get_execution(execution['id'], P1)
        self.assertEqual({states.SUCCEEDED: 2, states.RUNNING: 1},
                         found['task_counts'])
        self.assertGreaterEqual(found['duration'], 90.0)
        self.assertLess(found['duration'], 120.0)
        self._set_execution(execution['id'], state=states.SUCCEEDED,
                            finished_at=started + datetime.timedelta(
                                seconds=12.5))
        self.assertEqual(12.5,
                         db_api.get_execution(execution['id'])['duration'])

    def test_execution_of_another_project_is_not_found(self):
        execution = self._execution(project_id=P2)
        self.assertRaises(exception.ExecutionNotFound,
                          db_api.get_execution, execution['id'], P1)
        self.assertEqual(execution['id'],
                         db_api.get_execution(execution['id'])['id'])
        self.assertRaises(exception.ExecutionNotFound,
                          db_api.list_executions, P1,
                          marker=execution['id'])

    def test_list_executions_reads_documents_only_for_detail(self):
        execution = self._execution(input={'vm': 'a'})
        self._set_execution(execution['id'], output={'ip': '10.0.0.5'},
                            context={'seen': 1}, error={'message': 'no'})

        summary, = db_api.list_executions(P1)
        detail, = db_api.list_executions(P1, detail=True)

        # The input stays in the summary: the API masks secrets with it.
        self.assertEqual({'vm': 'a'}, summary['input'])
        self.assertEqual({'message': 'no'}, summary['error'])
        self.assertNotIn('output', summary)
        self.assertNotIn('context', summary)
        self.assertEqual({'ip': '10.0.0.5'}, detail['output'])
        self.assertEqual({'seen': 1}, detail['context'])
        del detail['output'], detail['context']
        self.assertEqual(summary, detail)

    def test_list_executions_filters(self):
        flow, version, _c = _register()
        other, other_version, _c = _register(name='other')
        parent = self._execution(flow, version)
        child = self._execution(other, other_version, parent_id=parent['id'])
        self._set_execution(child['id'], state=states.FAILED)
        self._execution(project_id=P2)

        def ids(**filters):
            return {e['id'] for e in db_api.list_executions(
                P1, filters=filters)}

        self.assertEqual({parent['id'], child['id']}, ids())
        self.assertEqual({child['id']}, ids(flow_name='other'))
        self.assertEqual({parent['id']}, ids(flow_name='deploy',
                                             flow_version=1))
        self.assertEqual(set(), ids(flow_name='deploy', flow_version=2))
        self.assertEqual({child['id']}, ids(state=states.FAILED))
        self.assertEqual({child['id']}, ids(parent_id=parent['id']))
        self.assertEqual(3, len(db_api.list_executions(None)))
        self.assertNotIn('task_counts', db_api.list_executions(P1)[0])
        self.assertRaises(exception.InvalidParameterValue,
                          db_api.list_executions, P1,
                          filters={'input': 'x'})

    def test_list_executions_pages_by_every_sort_key(self):
        flow, version, _c = _register()
        ids = [self._execution(flow, version)['id'] for _i in range(5)]
        now = timeutils.utcnow()
        # Some started (two at the same time), some never (NULL).
        self._set_execution(ids[0], state=states.RUNNING, started_at=now)
        self._set_execution(ids[3], state=states.RUNNING, started_at=now)
        self._set_execution(ids[4], state=states.FAILED,
                            started_at=now - datetime.timedelta(seconds=5))
        for sort_key in ('created_at', 'updated_at', 'started_at',
                         'finished_at', 'state', 'flow_name'):
            for sort_dir in ('asc', 'desc'):
                everything = [e['id'] for e in db_api.list_executions(
                    P1, sort_key=sort_key, sort_dir=sort_dir)]
                paged, marker = [], None
                while True:
                    page = db_api.list_executions(
                        P1, limit=2, marker=marker, sort_key=sort_key,
                        sort_dir=sort_dir)
                    if not page:
                        break
                    paged.extend(e['id'] for e in page)
                    marker = page[-1]['id']
                self.assertEqual(everything, paged, (sort_key, sort_dir))
                self.assertEqual(sorted(ids), sorted(paged))
        by_start = [e['id'] for e in db_api.list_executions(
            P1, sort_key='started_at', sort_dir='desc')]
        self.assertEqual(sorted([ids[0], ids[3]], reverse=True),
                         by_start[:2])
        self.assertEqual(ids[4], by_start[2])

    # Tasks and events

    def test_tasks_in_creation_order_with_filters_and_marker(self):
        execution = self._execution()
        other = self._execution()
        start = timeutils.utcnow()
        ids = [self._add_task(execution['id'], f't{i}',
                              states.SUCCEEDED if i % 2 else states.PENDING,
                              created_at=start + datetime.timedelta(
                                  seconds=i))
               for i in range(5)]
        self._add_task(other['id'], 't0')
        tasks = db_api.list_task_executions(execution['id'])
        self.assertEqual(ids, [t['id'] for t in tasks])
        self.assertIn('duration', tasks[0])
        self.assertEqual(ids[2:4], [t['id'] for t in
                                    db_api.list_task_executions(
                                        execution['id'], limit=2,
                                        marker=ids[1])])
        self.assertEqual([ids[1], ids[3]], [
            t['id'] for t in db_api.list_task_executions(
                execution['id'], filters={'state': states.SUCCEEDED})])
        self.assertEqual([ids[2]], [
            t['id'] for t in db_api.list_task_executions(
                execution['id'], filters={'name': 't2'})])
        self.assertRaises(exception.TaskExecutionNotFound,
                          db_api.list_task_executions, other['id'],
                          marker=ids[0])

    def test_get_task_execution_belongs_to_its_execution(self):
        execution = self._execution()
        other = self._execution()
        started = timeutils.utcnow()
        task_id = self._add_task(
            execution['id'], 'a', states.SUCCEEDED, started_at=started,
            finished_at=started + datetime.timedelta(seconds=3))
        task = db_api.get_task_execution(execution['id'], task_id)
        self.assertEqual(('a', 3.0), (task['name'], task['duration']))
        self.assertRaises(exception.TaskExecutionNotFound,
                          db_api.get_task_execution, other['id'], task_id)

    def test_events_oldest_first_after_marker(self):
        execution = self._execution()
        for state in (states.RUNNING, states.SUCCEEDED):
            self._add_event(execution['id'], state)
        events = db_api.list_events(execution['id'])
        self.assertEqual([states.PENDING, states.RUNNING, states.SUCCEEDED],
                         [e['to_state'] for e in events])
        self.assertEqual([states.RUNNING], [
            e['to_state'] for e in db_api.list_events(
                execution['id'], limit=1, marker=events[0]['id'])])
        self.assertEqual([], db_api.list_events(execution['id'],
                                                marker=events[-1]['id']))

    # Services

    def test_services_register_heartbeat_and_liveness(self):
        registered = db_api.register_service('host-1', 'convection-engine')
        again = db_api.register_service('host-1', 'convection-engine')
        self.assertEqual(registered['id'], again['id'])
        db_api.register_service('host-2', 'convection-conductor')
        self.assertEqual(['convection-conductor', 'convection-engine'], [
            s['binary'] for s in db_api.list_services(alive_within=60)])
        with session.writer() as s:
            s.execute(sa.update(models.Service)
                      .where(models.Service.host == 'host-1')
                      .values(updated_at=timeutils.utcnow() -
                              datetime.timedelta(minutes=5)))
        self.assertEqual(['host-2'], [
            s['host'] for s in db_api.list_services(alive_within=60)])
        db_api.heartbeat('host-1', 'convection-engine')
        self.assertEqual(['host-1'], [
            s['host'] for s in db_api.list_services(
                binary='convection-engine', alive_within=60)])

    def test_heartbeat_of_a_removed_service_registers_it(self):
        db_api.heartbeat('host-1', 'convection-engine')
        self.assertEqual(['host-1'], [
            s['host'] for s in db_api.list_services(alive_within=60)])


class PostgreSQLDBAPITestCase(DBAPITestCase):
    backend = 'postgresql'


class MySQLDBAPITestCase(DBAPITestCase):
    backend = 'mysql'
