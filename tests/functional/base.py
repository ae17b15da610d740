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

"""Functional test harness: real Convection processes on real services.

Each test class gets, once for all its tests:

* a database of its own on the class's backend (an SQLite file, or a new
  database on the machine's PostgreSQL or MariaDB), created from the
  alembic migrations by ``convection-manage db upgrade``;
* a RabbitMQ vhost of its own;
* a configuration file that uses the loopback Keystone
  (``tools/peers/start_keystone.sh``);
* ``gunicorn ... convection.wsgi:application``, ``convection-engine`` and
  ``convection-conductor`` as separate processes on 127.0.0.1.

Everything is removed again after the class, processes by their own PID.
When a service cannot be reached the tests fail under ``CI=true`` and skip
loudly elsewhere.
"""

import configparser
import contextlib
import datetime
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import kombu
import requests
import sqlalchemy as sa
import testtools
from testtools import content

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

KEYSTONE_URL = os.environ.get('CONVECTION_TEST_KEYSTONE_URL',
                              'http://127.0.0.1:5000/v3')
RABBIT_URL = os.environ.get('CONVECTION_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')
RABBITMQCTL = os.environ.get('CONVECTION_TEST_RABBITMQCTL', 'rabbitmqctl')
POSTGRESQL_URL = os.environ.get(
    'CONVECTION_TEST_POSTGRESQL_URL',
    'postgresql+psycopg2://postgres@127.0.0.1/postgres')
MYSQL_URL = os.environ.get(
    'CONVECTION_TEST_MYSQL_URL',
    'mysql+pymysql://root@127.0.0.1/?charset=utf8mb4')

# Users made by tools/peers/ks_fixtures.py: name -> (password, project).
USERS = {
    'admin': ('admin-secret', 'admin'),
    'alice': ('alice-secret', 'tenant-a'),
    'bob': ('bob-secret', 'tenant-b'),
    'rita': ('rita-secret', 'tenant-a'),
}

START_TIMEOUT = 90
IN_CI = os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


class ServiceUnavailable(Exception):
    """A service the functional tests need cannot be reached."""


def unavailable(test, service, reason):
    """Fail under CI, skip (loudly) on a developer's machine."""
    message = (f'{service} is not reachable: {reason}. See '
               f'README.rst for how to install and start it.')
    if IN_CI:
        raise ServiceUnavailable(message)
    sys.stderr.write(f'\nSKIPPING functional tests: {message}\n')
    raise test.skipException(message)


def unique_name(prefix='cvft'):
    return f'{prefix}_{uuid.uuid4().hex[:12]}'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def script(name):
    """A console script of the environment the tests run in."""
    path = os.path.join(sysconfig.get_path('scripts'), name)
    return path if os.path.exists(path) else shutil.which(name) or path


# ------------------------------------------------------------- databases


class SQLiteBackend:
    name = 'sqlite'

    def __init__(self, workdir):
        self.url = f'sqlite:///{os.path.join(workdir, "convection.sqlite")}'

    def create(self):
        pass

    def drop(self):
        pass


class _ServerBackend:
    """A throw-away database on a shared database server."""

    admin_url = None
    quote = '"'

    def __init__(self, workdir):
        self.dbname = unique_name()
        self.admin = sa.create_engine(self.admin_url,
                                      isolation_level='AUTOCOMMIT',
                                      pool_pre_ping=True)
        self.url = self.admin.url.set(database=self.dbname).render_as_string(
            hide_password=False)

    def ping(self):
        with self.admin.connect() as conn:
            conn.execute(sa.text('SELECT 1'))

    def _execute(self, sql):
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def create(self):
        q = self.quote
        self._execute(f'CREATE DATABASE {q}{self.dbname}{q}'
                      f'{self.create_suffix}')

    def drop(self):
        q = self.quote
        self._execute(f'DROP DATABASE IF EXISTS {q}{self.dbname}{q}'
                      f'{self.drop_suffix}')
        self.admin.dispose()


class PostgreSQLBackend(_ServerBackend):
    name = 'postgresql'
    admin_url = POSTGRESQL_URL
    create_suffix = ''
    # Closes any connection a killed process left behind.
    drop_suffix = ' WITH (FORCE)'


class MariaDBBackend(_ServerBackend):
    name = 'mariadb'
    admin_url = MYSQL_URL
    quote = '`'
    create_suffix = ' CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci'
    drop_suffix = ''


BACKENDS = {b.name: b for b in (SQLiteBackend, PostgreSQLBackend,
                                 MariaDBBackend)}


# ---------------------------------------------------------------- broker


def _kombu_connection(transport_url):
    # kombu calls the rabbit:// scheme of oslo.messaging amqp://.
    return kombu.Connection('amqp://' + transport_url.split('://', 1)[1],
                            connect_timeout=5)


class RabbitVhost:
    """A RabbitMQ vhost for one test class, made with rabbitmqctl."""

    def __init__(self):
        self.name = unique_name()
        self.url = RABBIT_URL.rstrip('/') + '/' + self.name

    @staticmethod
    def _ctl(*args):
        # cwd=/: rabbitmqctl (Erlang) wants a readable working directory.
        subprocess.run([RABBITMQCTL, '-q', *args], check=True, cwd='/',
                       capture_output=True, timeout=60)

    @staticmethod
    def ping():
        with _kombu_connection(RABBIT_URL) as conn:
            conn.ensure_connection(max_retries=1)

    def create(self):
        self._ctl('add_vhost', self.name)
        self._ctl('set_permissions', '-p', self.name, 'guest',
                  '.*', '.*', '.*')
        with _kombu_connection(self.url) as conn:
            conn.ensure_connection(max_retries=3)

    def delete(self):
        self._ctl('delete_vhost', self.name)


# ------------------------------------------------------------------ peers

# Where each loopback OpenStack peer answers once tools/peers started it.
_HEAT_PORT = os.environ.get('PEERS_HEAT_PORT', '8004')
_NOVA_PORT = os.environ.get('PEERS_NOVA_PORT', '8774')
PEER_URLS = {
    'keystone': KEYSTONE_URL,
    'heat': f'http://127.0.0.1:{_HEAT_PORT}/',
    'nova': f'http://127.0.0.1:{_NOVA_PORT}/',
}


def _peer_up(name):
    try:
        return requests.get(PEER_URLS[name], timeout=3).status_code < 500
    except requests.RequestException:
        return False


def ensure_peer(name):
    """Start a loopback peer (keystone, heat, nova) unless it answers.

    The start scripts are idempotent and install the peer the first time;
    the lock keeps parallel test workers from running one at once.

    :raises: ServiceUnavailable if it still does not answer.
    """
    if _peer_up(name):
        return
    lock_path = os.path.join(tempfile.gettempdir(),
                             f'convection-functional-{name}.lock')
    with open(lock_path, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _peer_up(name):
            return
        script = os.path.join(REPO, 'tools', 'peers', f'start_{name}.sh')
        result = subprocess.run(['bash', script], capture_output=True,
                                text=True, timeout=900)
        if result.returncode != 0 or not _peer_up(name):
            raise ServiceUnavailable(
                f'tools/peers/start_{name}.sh failed:\n'
                + result.stdout[-2000:] + result.stderr[-2000:])


def ensure_keystone():
    ensure_peer('keystone')


def require_cloud(test, *names):
    """Start the peers a test needs; fail (CI) or skip when one cannot."""
    for name in ('keystone',) + names:
        try:
            ensure_peer(name)
        except ServiceUnavailable as e:
            unavailable(test, name.capitalize(), e)


_tokens = {}


def get_token(user):
    """A project-scoped Keystone token of one test identity (cached)."""
    if user not in _tokens:
        password, project = USERS[user]
        auth = v3.Password(auth_url=KEYSTONE_URL, username=user,
                           password=password, project_name=project,
                           user_domain_id='default',
                           project_domain_id='default')
        sess = ks_session.Session(auth=auth)
        _tokens[user] = (sess.get_token(), auth.get_project_id(sess))
    return _tokens[user][0]


def project_id(user):
    get_token(user)
    return _tokens[user][1]


# ------------------------------------------------------------- processes


class Process:
    """A child process with its output in a log file, stopped by PID."""

    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.argv = argv
        self.workdir = workdir
        self.env = env
        self.log_path = os.path.join(workdir, f'{name}.log')
        with open(self.log_path, 'ab') as log:
            # A session of its own: its PID is also its process group,
            # so workers it forks are stopped with it.
            self.popen = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=workdir,
                env=dict(os.environ, **(env or {})),
                start_new_session=True)

    def running(self):
        return self.popen.poll() is None

    def stop(self, grace=15):
        pid = self.popen.pid
        if self.running():
            os.kill(pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self.popen.wait(10)
        self._kill_group()

    def kill(self):
        """SIGKILL, as a crash: no chance to finish or report anything."""
        if self.running():
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        self._kill_group()

    def _kill_group(self):
        # Forked workers that outlived their parent.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def log_tail(self, size=20000):
        with open(self.log_path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode('utf-8', 'replace')


CONFIG_TEMPLATE = """\
[DEFAULT]
host = {host}
state_path = {workdir}
auth_strategy = keystone
transport_url = {transport_url}
debug = true

[database]
connection = {db_url}

[api]
port = {port}

[engine]
timer_interval = 0.1
heartbeat_interval = 1

[keystone_authtoken]
auth_url = {keystone_url}
www_authenticate_uri = {keystone_url}
auth_type = password
username = convection
password = convection-secret
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true

[service_credentials]
auth_url = {keystone_url}
auth_type = password
username = convection
password = convection-secret
project_name = service
user_domain_name = Default
project_domain_name = Default

[keystone]
region_name = RegionOne
# Delete the trusts of finished executions at once, so tests can see it.
trust_release_interval = 0.5
trust_release_delay = 0

[oslo_messaging_notifications]
driver = noop

[oslo_concurrency]
lock_path = {workdir}/lock
"""


class Deployment:
    """Convection on one backend: database, vhost, config and processes.

    ``config`` overrides options of the configuration file:
    ``{section: {option: value}}``.
    """

    def __init__(self, backend_name, stack, config=None):
        self.stack = stack
        self.workdir = tempfile.mkdtemp(prefix='convection-functional-')
        stack.callback(shutil.rmtree, self.workdir, ignore_errors=True)
        self.host = unique_name('cvft-host')
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.backend = BACKENDS[backend_name](self.workdir)
        self.vhost = RabbitVhost()
        self.processes = []
        self.config_file = os.path.join(self.workdir, 'convection.conf')
        self.config_overrides = config or {}

    def check_services(self, test):
        """Ask each service the deployment needs whether it answers."""
        if hasattr(self.backend, 'ping'):
            try:
                self.backend.ping()
            except Exception as e:
                unavailable(test, self.backend.name, e)
        try:
            RabbitVhost.ping()
        except Exception as e:
            unavailable(test, 'RabbitMQ', e)
        if shutil.which(RABBITMQCTL) is None:
            unavailable(test, 'RabbitMQ',
                        f'{RABBITMQCTL} is needed to make a vhost')
        try:
            ensure_keystone()
        except ServiceUnavailable as e:
            unavailable(test, 'Keystone', e)

    def start(self):
        self.backend.create()
        self.stack.callback(self.backend.drop)
        self.vhost.create()
        self.stack.callback(self.vhost.delete)
        self._write_config()
        subprocess.run(
            [script('convection-manage'), '--config-file',
             self.config_file, 'db', 'upgrade'],
            check=True, capture_output=True, timeout=300, cwd=self.workdir)
        self._spawn('api', [
            script('gunicorn'), '-b', f'127.0.0.1:{self.port}', '-w', '1',
            '--threads', '4', '--graceful-timeout', '5',
            'convection.wsgi:application'],
            env={'CONVECTION_CONFIG_FILE': self.config_file})
        for name in ('engine', 'conductor'):
            self._spawn(name, [script(f'convection-{name}'),
                               '--config-file', self.config_file])
        self._wait_until_ready()
        # Runs before the processes stop (the stack unwinds in reverse).
        self.stack.callback(self._let_trusts_go)

    def _write_config(self):
        config = configparser.RawConfigParser()
        config.optionxform = str
        config.read_string(CONFIG_TEMPLATE.format(
            host=self.host, workdir=self.workdir,
            transport_url=self.vhost.url, db_url=self.backend.url,
            port=self.port, keystone_url=KEYSTONE_URL))
        for section, options in self.config_overrides.items():
            if section != 'DEFAULT' and not config.has_section(section):
                config.add_section(section)
            for option, value in options.items():
                config.set(section, option, str(value))
        with open(self.config_file, 'w') as f:
            config.write(f)

    def _spawn(self, name, argv, env=None):
        process = Process(name, argv, self.workdir, env)
        self.processes.append(process)
        self.stack.callback(process.stop)
        return process

    def process(self, name):
        return next(p for p in self.processes if p.name == name)

    def restart(self, name, kill=False):
        """Stop one process (SIGKILL if ``kill``), start it again, wait.

        The new process logs to the same file, after the old one's lines.
        An engine or conductor is ready again once it has written a fresh
        heartbeat to the ``services`` table, the API once it answers.
        """
        old = self.process(name)
        if kill:
            old.kill()
        else:
            old.stop()
        self.processes.remove(old)
        restarted_at = self._db_now()
        self._spawn(name, old.argv, old.env)
        if name == 'api':
            self._wait_until('GET /healthcheck', self._healthy)
            return
        binary = f'convection-{name}'

        def heartbeat():
            return self._last_heartbeat(binary) > restarted_at

        self._wait_until(f'a heartbeat of the restarted {name}', heartbeat)

    def db(self):
        """An SQLAlchemy engine on the deployment's database."""
        if not hasattr(self, '_db_engine'):
            self._db_engine = sa.create_engine(self.backend.url)
            self.stack.callback(self._db_engine.dispose)
        return self._db_engine

    def _db_now(self):
        # The services rows hold naive UTC times.
        return datetime.datetime.now(datetime.UTC).replace(
            tzinfo=None)

    def _last_heartbeat(self, binary):
        services = sa.table('services', sa.column('host'),
                            sa.column('binary'), sa.column('created_at'),
                            sa.column('updated_at'))
        with self.db().connect() as conn:
            row = conn.execute(
                sa.select(services.c.created_at, services.c.updated_at)
                .where(services.c.host == self.host,
                       services.c.binary == binary)).first()
        if row is None:
            return datetime.datetime.min
        return max(t for t in row if t is not None)

    def _healthy(self):
        try:
            return requests.get(self.url + '/healthcheck',
                                timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _wait_until(self, what, predicate):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.processes:
                if not process.running():
                    raise RuntimeError(
                        f'{process.name} exited with '
                        f'{process.popen.returncode} while waiting for '
                        f'{what}:\n{process.log_tail()}')
            if predicate():
                return
            time.sleep(0.2)
        raise RuntimeError(f'timed out waiting for {what}\n'
                           + self.logs())

    def _wait_until_ready(self):
        engine = self.db()
        services = sa.table('services', sa.column('host'),
                            sa.column('binary'))
        query = sa.select(services.c.binary).where(
            services.c.host == self.host)

        def registered():
            # Engine and conductor each keep a row in "services" fresh
            # once their RPC servers listen.
            with engine.connect() as conn:
                return len(set(conn.execute(query).scalars())) >= 2

        self._wait_until('GET /healthcheck', self._healthy)
        self._wait_until('engine and conductor in the services table',
                         registered)

    def _let_trusts_go(self, timeout=30):
        """Wait for the engine to delete the trusts of finished executions.

        Trusts never expire: one left behind by a stopped deployment would
        stay in the tenant's trust list for good. Executions that are still
        running (a test failed) keep theirs; that is reported, not fatal.
        """
        executions = sa.table('executions', sa.column('id'),
                              sa.column('state'), sa.column('trust_id'))
        finished = ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')
        query = sa.select(executions.c.id, executions.c.state).where(
            executions.c.trust_id.is_not(None))
        deadline = time.monotonic() + timeout
        while True:
            with self.db().connect() as conn:
                holding = conn.execute(query).all()
            if not any(state in finished for _, state in holding):
                break
            if (time.monotonic() > deadline
                    or not self.process('engine').running()):
                break
            time.sleep(0.5)
        if holding:
            sys.stderr.write(f'\nTrusts left behind by executions '
                             f'{holding} of {self.workdir}\n')

    def logs(self):
        return '\n'.join(f'===== {p.name} ({p.log_path}) =====\n'
                         f'{p.log_tail()}' for p in self.processes)


# ------------------------------------------------------------ test cases


class FunctionalTestCase(testtools.TestCase):
    """Talks HTTP to a Deployment shared by all tests of the class.

    Subclasses set ``backend`` to a key of ``BACKENDS``, and may set
    ``config`` to override options of the deployment's configuration
    (see :class:`Deployment`).
    """

    backend = None
    config = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._stack = contextlib.ExitStack()
        cls.deployment = None
        cls._setup_error = None
        deployment = Deployment(cls.backend, cls._stack, cls.config)
        try:
            deployment.check_services(cls)
            deployment.start()
        except cls.skipException:
            cls._stack.close()
            raise
        except Exception as e:
            # Fail every test with the reason (and keep the logs) rather
            # than one anonymous setUpClass error.
            cls._setup_error = f'{e}\n{deployment.logs()}'
            cls._stack.close()
            return
        cls.deployment = deployment

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self._setup_error:
            self.fail(f'{self.backend} deployment did not start: '
                      f'{self._setup_error}')
        self.addOnException(self._attach_logs)

    def _attach_logs(self, exc_info):
        self.addDetail('service-logs',
                       content.text_content(self.deployment.logs()))

    # --------------------------------------------------------- HTTP

    def request(self, method, path, user='alice', json=None, token=None,
                expect=None, headers=None):
        """One API request; ``expect`` checks the status code."""
        all_headers = {'Accept': 'application/json'}
        if token is None and user is not None:
            token = get_token(user)
        if token is not None:
            all_headers['X-Auth-Token'] = token
        all_headers.update(headers or {})
        response = requests.request(method, self.deployment.url + path,
                                    json=json, headers=all_headers,
                                    timeout=30)
        if expect is not None:
            self.assertEqual(expect, response.status_code,
                             f'{method} {path}: {response.text}')
        return response

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, json=None, **kw):
        return self.request('POST', path, json=json, **kw)

    def wait_until(self, what, predicate, timeout=60):
        """Poll ``predicate`` until it returns something true; return it.

        :param what: what is awaited, for the failure message; a callable
            is asked at the time of the failure (to tell the last state).
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                if callable(what):
                    what = what()
                self.fail(f'timed out after {timeout}s waiting for {what}')
            time.sleep(0.2)

    def wait_for_execution(self, execution_id, states, user='alice',
                           timeout=60):
        """Poll an execution until its state is one of ``states``."""
        last = {}

        def reached():
            last['body'] = self.get(f'/v1/executions/{execution_id}',
                                    user=user, expect=200).json()
            return last['body'] if last['body']['state'] in states else None

        return self.wait_until(
            lambda: (f'execution {execution_id} to be one of {states}, '
                     f'still {last["body"]["state"]}: {last["body"]}'),
            reached, timeout)
