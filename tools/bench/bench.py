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

"""Benchmark a running Convection service through its REST API.

Starts ``convection-all`` (the embedded default: SQLite, fake://, no
auth) as a subprocess on a fresh state directory, then measures:

* a chain of N sequential noop tasks (tasks/s);
* a flow of N independent noop tasks (tasks/s);
* a ``with_items`` fan-out of I noop items, without and with
  ``concurrency: 50`` (items/s);
* E concurrent executions of a 5-task chain (executions/s);
* ``GET /v1/executions/{id}`` and ``GET /v1/executions?limit=100``
  latency p50/p99 at concurrency 10;
* the peak RSS of the service processes (``VmHWM``);
* how fast this machine runs plain Python (a fixed loop, in ms), to
  compare figures taken on different machines.

With ``--multi`` it starts ``convection-engine``, ``convection-conductor``
and the API under gunicorn (``--api-workers``, 2 threads each) as separate
processes on RabbitMQ and PostgreSQL instead, on a vhost and a database of
their own, dropped at the end (``--rabbit-url``, ``--postgresql-url`` and
``--rabbitmqctl`` say where).

Each flow scenario runs ``--repeat`` times (3): the figure is the median,
the table also shows the slowest and fastest run, the JSON every run
(``runs``). Prints a table, then the same figures as JSON::

    tox -e bench -- [--tasks 1000] [--items 10000] [--executions 1000]
                    [--repeat 3] [--json out.json]
                    [--profile out.pstat]

``--profile`` runs the service under yappi (CPU time, every thread) and
writes pstats-format statistics when it stops; read them with
``python -m pstats out.pstat`` (``sort tottime``, ``stats 30``).
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import psutil
import requests
import sqlalchemy as sa

TERMINAL = {'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'}
SCENARIOS = {'chain', 'wide', 'fan_out', 'fan_out_50', 'executions', 'api'}

# Runs convection-all under yappi; argv: config file, statistics file.
# The service runs in a child the launcher forks: profile there, and save
# when the service stops (the child leaves with os._exit).
_PROFILED = """
import os, sys, yappi
from convection.cmd import all as convection_all
out = sys.argv.pop()
yappi.set_clock_type('cpu')
os.register_at_fork(after_in_child=yappi.start)
stop = convection_all.AllInOneService.stop
def stop_and_save(self, graceful=True):
    stop(self, graceful)
    yappi.get_func_stats().save(out, type='pstat')
convection_all.AllInOneService.stop = stop_and_save
sys.argv[0] = 'convection-all'
convection_all.main()
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Service:
    """convection-all in a subprocess, on a state directory of its own."""

    def __init__(self, max_tasks, profile=None, api_threads=None):
        self.tmp = tempfile.mkdtemp(prefix='convection-bench-')
        self.port = _free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        config = os.path.join(self.tmp, 'convection.conf')
        with open(config, 'w') as out:
            out.write(f'[DEFAULT]\nstate_path = {self.tmp}\n'
                      f'log_file = {self.tmp}/convection.log\n'
                      f'[api]\nhost_ip = 127.0.0.1\nport = {self.port}\n'
                      f'[dsl]\nmax_tasks = {max_tasks}\n')
            if api_threads:
                out.write(f'[api]\nthreads = {api_threads}\n')
        command = [os.path.join(os.path.dirname(sys.executable),
                                'convection-all'), '--config-file', config]
        if profile:
            command = [sys.executable, '-c', _PROFILED, '--config-file',
                       config, os.path.abspath(profile)]
        self.process = subprocess.Popen(command,
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self._wait_for_api()

    def _wait_for_api(self):
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.url + '/', timeout=1)
                return
            except (requests.ConnectionError, requests.Timeout):
                # gunicorn accepts before its workers have the app.
                if self.process.poll() is not None or \
                        time.monotonic() > deadline:
                    raise RuntimeError(
                        f'the service did not start; see {self.tmp}')
                time.sleep(0.2)

    def peak_rss_mb(self):
        """Peak RSS of the launcher and the service process it forked."""
        return self._tree_rss_mb(self.process.pid)

    @staticmethod
    def _tree_rss_mb(pid):
        root = psutil.Process(pid)
        total = 0
        for process in [root] + root.children(recursive=True):
            with open(f'/proc/{process.pid}/status') as status:
                for line in status:
                    if line.startswith('VmHWM:'):
                        total += int(line.split()[1])
        return total / 1024

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class MultiService(Service):
    """API, engine and conductor processes on RabbitMQ and PostgreSQL."""

    BINARIES = ('convection-engine', 'convection-conductor')

    def __init__(self, max_tasks, rabbit_url, postgresql_url, rabbitmqctl,
                 api_workers=2):
        self.api_workers = api_workers
        self.tmp = tempfile.mkdtemp(prefix='convection-bench-')
        self.name = 'convection_bench_' + os.urandom(4).hex()
        self.port = _free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.rabbitmqctl = rabbitmqctl
        self.admin_db = sa.create_engine(postgresql_url,
                                         isolation_level='AUTOCOMMIT')
        self.processes = []
        self.vhost = False
        self.database = False
        try:
            self._start(max_tasks, rabbit_url, postgresql_url)
        except Exception:
            self.stop()
            raise

    def _ctl(self, *args):
        subprocess.run([self.rabbitmqctl, '-q', *args], check=True,
                       cwd='/', capture_output=True, timeout=60)

    def _start(self, max_tasks, rabbit_url, postgresql_url):
        self._ctl('add_vhost', self.name)
        self.vhost = True
        self._ctl('set_permissions', '-p', self.name, 'guest',
                  '.*', '.*', '.*')
        with self.admin_db.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE {self.name}'))
        self.database = True
        database_url = sa.engine.make_url(postgresql_url).set(
            database=self.name).render_as_string(hide_password=False)
        config = os.path.join(self.tmp, 'convection.conf')
        with open(config, 'w') as out:
            out.write(f'[DEFAULT]\nstate_path = {self.tmp}\n'
                      f'auth_strategy = noauth\n'
                      f'transport_url = {rabbit_url.rstrip("/")}/'
                      f'{self.name}\n'
                      f'[database]\nconnection = {database_url}\n'
                      f'[api]\nhost_ip = 127.0.0.1\nport = {self.port}\n'
                      f'[dsl]\nmax_tasks = {max_tasks}\n')
        bindir = os.path.dirname(sys.executable)
        subprocess.run([os.path.join(bindir, 'convection-manage'),
                        '--config-file', config, 'db', 'upgrade'],
                       check=True, capture_output=True, timeout=300)
        for binary in self.BINARIES:
            self.processes.append(subprocess.Popen(
                [os.path.join(bindir, binary), '--config-file', config,
                 '--log-file', os.path.join(self.tmp, f'{binary}.log')],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # The API as production runs it: a WSGI server with workers.
        self.process = subprocess.Popen(
            [os.path.join(bindir, 'gunicorn'),
             '-b', f'127.0.0.1:{self.port}', '-w', str(self.api_workers),
             '-k', 'gthread', '--threads', '2',
             'convection.wsgi:application'],
            env=dict(os.environ, CONVECTION_CONFIG_FILE=config),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(self.process)
        self._wait_for_api()

    def peak_rss_mb(self):
        return sum(self._tree_rss_mb(process.pid)
                   for process in self.processes)

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.database:
            with self.admin_db.connect() as conn:
                conn.execute(sa.text(
                    'SELECT pg_terminate_backend(pid) FROM '
                    'pg_stat_activity WHERE datname = :name'),
                    {'name': self.name})
                conn.execute(sa.text(f'DROP DATABASE {self.name}'))
        if self.vhost:
            self._ctl('delete_vhost', self.name)
        self.admin_db.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()

    def post(self, path, body):
        response = self.http.post(self.url + path, json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def get(self, path):
        return json.loads(self.get_raw(path))

    def get_raw(self, path):
        response = self.http.get(self.url + path, timeout=60)
        response.raise_for_status()
        return response.content

    def flow(self, name, tasks):
        self.post('/v1/flows', {'definition': {
            'version': 1, 'name': name, 'tasks': tasks}})

    def start(self, name):
        return self.post('/v1/executions', {'flow': name})['id']

    def wait(self, execution_id, poll=0.05):
        while True:
            execution = self.get(f'/v1/executions/{execution_id}')
            if execution['state'] in TERMINAL:
                return execution
            time.sleep(poll)


def _tasks(count, chain):
    tasks = {}
    for i in range(count):
        tasks[f't{i}'] = {'type': 'noop'}
        if chain and i:
            tasks[f't{i}']['requires'] = [f't{i - 1}']
    return tasks


def run_flow(client, name, tasks):
    """Tasks per second of one execution of a new flow of ``tasks``.

    Timed by the service's own clock, from the execution's creation to its
    end, so that the waiting can poll seldom: in the embedded service
    every poll takes CPU from the engine it measures.
    """
    client.flow(name, tasks)
    execution = client.wait(client.start(name), poll=0.5)
    if execution['state'] != 'SUCCEEDED':
        raise RuntimeError(f'{name} ended {execution["state"]}')
    elapsed = (datetime.datetime.fromisoformat(execution['finished_at']) -
               datetime.datetime.fromisoformat(execution['created_at']))
    return len(tasks) / elapsed.total_seconds()


def concurrent_executions(url, count):
    client = Client(url)
    client.flow('bench-five', _tasks(5, chain=True))
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        ids = list(pool.map(lambda _: Client(url).start('bench-five'),
                            range(count)))
    # Poll lightly (a busy poller slows the service it measures): wait
    # for the last one started, then check the others in one list.
    pending = list(ids)
    while True:
        client.wait(pending[-1], poll=0.1)
        finished = time.monotonic()
        page = client.get(f'/v1/executions?flow=bench-five&limit={count}')
        done = {e['id'] for e in page['executions']
                if e['state'] in TERMINAL}
        pending = [execution_id for execution_id in pending
                   if execution_id not in done]
        if not pending:
            return count / (finished - started), ids
        if time.monotonic() - started > 600:
            raise RuntimeError(f'{len(pending)} executions did not end')


def latency(url, path, requests_count=500, concurrency=10):
    def one(_):
        client = sessions[_ % concurrency]
        started = time.monotonic()
        # Until the whole body is in; decoding it is the client's time,
        # not the service's (and its threads would compete for the GIL).
        client.get_raw(path)
        return (time.monotonic() - started) * 1000
    sessions = [Client(url) for _ in range(concurrency)]
    for client in sessions:
        client.get(path)
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        times = sorted(pool.map(one, range(requests_count)))
    return {'p50_ms': round(statistics.median(times), 1),
            'p99_ms': round(times[int(len(times) * 0.99) - 1], 1)}


def python_speed_ms():
    """Milliseconds this machine takes for a fixed pure-Python loop.

    The figures above are mostly interpreter time, so they scale with
    this: it tells a slow machine from a slow change. Best of three.
    """
    best = None
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        elapsed = (time.perf_counter() - started) * 1000
        best = elapsed if best is None else min(best, elapsed)
    return round(best, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tasks', type=int, default=1000)
    parser.add_argument('--items', type=int, default=10000)
    parser.add_argument('--executions', type=int, default=1000)
    parser.add_argument('--json', help='also write the JSON here')
    parser.add_argument('--only', help='comma-separated scenarios among '
                        + ', '.join(sorted(SCENARIOS)) + ' (default: all)')
    parser.add_argument('--multi', action='store_true',
                        help='separate processes on RabbitMQ + PostgreSQL')
    parser.add_argument('--rabbit-url',
                        default='rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--rabbitmqctl', default='rabbitmqctl')
    parser.add_argument('--postgresql-url',
                        default='postgresql+psycopg2://postgres@127.0.0.1/'
                                'postgres')
    parser.add_argument('--api-threads', type=int,
                        help="convection-all's [api]threads (embedded only)")
    parser.add_argument('--api-workers', type=int, default=2,
                        help='gunicorn workers of the API (--multi only)')
    parser.add_argument('--repeat', type=int, default=3,
                        help='runs of each flow scenario; the median is '
                        'the figure (these machines vary from run to run)')
    parser.add_argument('--profile', help='profile the service with yappi '
                        'and write pstats here')
    args = parser.parse_args()
    max_tasks = max(args.tasks, 1000)
    if args.multi:
        service = MultiService(max_tasks, args.rabbit_url,
                               args.postgresql_url, args.rabbitmqctl,
                               api_workers=args.api_workers)
    else:
        service = Service(max_tasks, profile=args.profile,
                          api_threads=args.api_threads)
    results, rows = {'runs': {}}, []
    wanted = set(args.only.split(',')) if args.only else SCENARIOS

    def flow_scenario(key, label, unit, name, tasks, per_flow=1):
        rates = sorted(round(per_flow * run_flow(client, name, tasks))
                       for _ in range(args.repeat))
        results[key] = round(statistics.median(rates))
        results['runs'][key] = rates
        spread = (f' ({rates[0]}-{rates[-1]})' if len(rates) > 1 else '')
        rows.append((label, unit, f'{results[key]}{spread}'))

    try:
        client = Client(service.url)
        if 'chain' in wanted:
            flow_scenario('chain_tasks_per_s',
                          f'chain of {args.tasks} noop tasks', 'tasks/s',
                          'bench-chain', _tasks(args.tasks, chain=True))
        if 'wide' in wanted:
            flow_scenario('wide_tasks_per_s',
                          f'{args.tasks} independent noop tasks', 'tasks/s',
                          'bench-wide', _tasks(args.tasks, chain=False))
        fan_out = {'type': 'noop',
                   'with_items': f'{{{{ range({args.items}) }}}}'}
        if 'fan_out' in wanted:
            flow_scenario('fan_out_items_per_s',
                          f'fan-out of {args.items} noop items', 'items/s',
                          'bench-fan-out', {'each': fan_out},
                          per_flow=args.items)
        if 'fan_out_50' in wanted:
            flow_scenario('fan_out_50_items_per_s',
                          f'fan-out of {args.items} items, concurrency 50',
                          'items/s', 'bench-fan-out-50',
                          {'each': dict(fan_out, concurrency=50)},
                          per_flow=args.items)
        if wanted & {'executions', 'api'}:
            rate, ids = concurrent_executions(service.url, args.executions)
            results['executions_per_s'] = round(rate, 1)
            rows.append((f'{args.executions} executions of a 5-task chain',
                         'executions/s', results['executions_per_s']))
        if 'api' in wanted:
            results['get_execution'] = latency(service.url,
                                               f'/v1/executions/{ids[0]}')
            results['list_100_executions'] = latency(
                service.url, '/v1/executions?limit=100')
            rows.append(('GET /v1/executions/{id} p50 / p99', 'ms',
                         '{p50_ms} / {p99_ms}'.format(
                             **results['get_execution'])))
            rows.append(('GET /v1/executions?limit=100 p50 / p99', 'ms',
                         '{p50_ms} / {p99_ms}'.format(
                             **results['list_100_executions'])))
        results['peak_rss_mb'] = round(service.peak_rss_mb(), 1)
        rows.append(('peak RSS of the service processes', 'MB',
                     results['peak_rss_mb']))
    finally:
        service.stop()
    results['python_loop_ms'] = python_speed_ms()
    rows.append(('this machine: 2 000 000 additions in Python', 'ms',
                 results['python_loop_ms']))
    width = max(len(row[0]) for row in rows)
    for name, unit, value in rows:
        print(f'{name:{width}}  {value!s:>21}  {unit}')
    text = json.dumps(results, indent=2, sort_keys=True)
    print(text)
    if args.json:
        with open(args.json, 'w') as out:
            out.write(text + '\n')


if __name__ == '__main__':
    main()
