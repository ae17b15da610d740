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

"""RPC plumbing shared by the engine, the conductor and the API.

Besides the usual oslo.messaging helpers, this module has an in-process
fast path for the ``fake://`` transport (the embedded default, where every
service lives in one process): oslo.messaging's fake driver polls its
queues every 50 ms, which would put a 50 ms pause on every hop of a task
chain. With ``fake://`` the clients and servers built here hand messages to
the local servers' thread pools directly, through oslo.messaging's own
``RPCDispatcher`` (same versioning, access policy and serialization, each
message still round-trips through JSON as on a real wire).
"""

from concurrent import futures
import itertools
import json
import threading

from oslo_config import cfg
from oslo_log import log
import oslo_messaging as messaging
from oslo_messaging import opts as messaging_opts
from oslo_messaging.rpc import dispatcher as rpc_dispatcher
from oslo_serialization import jsonutils

from convection.common import context as convection_context
from convection.common import exception

CONF = cfg.CONF
LOG = log.getLogger(__name__)

ENGINE_TOPIC = 'convection-engine'
CONDUCTOR_TOPIC = 'convection-conductor'

ALLOWED_EXMODS = [exception.__name__]

TRANSPORT = None
# Whether TRANSPORT is fake:// and messages go through _LOCAL_BUS.
_local = False

_LOCAL_THREADS = 16


def set_defaults(control_exchange='convection', transport_url=None):
    """Set our defaults of oslo.messaging's options.

    :param transport_url: a default for ``[DEFAULT]transport_url``, which
        a config file still overrides (``convection-all`` uses fake://).
    """
    messaging.set_transport_defaults(control_exchange)
    # Register the transport options now, not when the transport is
    # built, so that their defaults can be set and files parsed.
    for group, opts in messaging_opts.list_opts():
        if group is None:
            CONF.register_opts(opts)
    if transport_url is not None:
        CONF.set_default('transport_url', transport_url)


def init(conf):
    """Create the RPC transport from ``conf`` (idempotent)."""
    global TRANSPORT, _local
    if TRANSPORT is None:
        TRANSPORT = messaging.get_rpc_transport(
            conf, allowed_remote_exmods=ALLOWED_EXMODS)
        _local = messaging.TransportURL.parse(conf).transport == 'fake'


def cleanup():
    """Close the transport and forget the in-process servers."""
    global TRANSPORT
    if TRANSPORT is not None:
        TRANSPORT.cleanup()
        TRANSPORT = None
    _LOCAL_BUS.clear()


class RequestContextSerializer(messaging.Serializer):
    """Carries :class:`convection.common.context.RequestContext` over RPC.

    Arguments that are JSON already go as they are. The default payload
    serializer rebuilds every argument with ``jsonutils.to_primitive``, in
    Python: for the task runs and results the engine and conductors
    exchange (JSON documents from the database and from task types) that
    cost more than the rest of the cast. What ``json.dumps`` takes reads
    back the same at the other end, since the message goes as JSON anyway;
    anything else (a datetime, a set, an object) takes the default path.
    """

    def __init__(self, base=None):
        self._base = base or messaging.JsonPayloadSerializer()

    def serialize_entity(self, context, entity):
        try:
            json.dumps(entity)
        except Exception:
            return self._base.serialize_entity(context, entity)
        return entity

    def deserialize_entity(self, context, entity):
        return self._base.deserialize_entity(context, entity)

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return convection_context.RequestContext.from_dict(context)


def get_client(target, version_cap=None, serializer=None):
    """An RPC client for ``target``; in-process when on ``fake://``."""
    assert TRANSPORT is not None, 'rpc.init() was not called'
    serializer = serializer or RequestContextSerializer()
    if _local:
        return _LocalClient(target, version_cap, serializer)
    return messaging.get_rpc_client(TRANSPORT, target,
                                    version_cap=version_cap,
                                    serializer=serializer)


def get_server(target, endpoints, serializer=None):
    """An RPC server (threading executor); in-process on ``fake://``.

    ``DefaultRPCAccessPolicy`` keeps ``_private`` methods unreachable.
    """
    assert TRANSPORT is not None, 'rpc.init() was not called'
    serializer = serializer or RequestContextSerializer()
    access_policy = rpc_dispatcher.DefaultRPCAccessPolicy
    if _local:
        return _LocalServer(target, endpoints, serializer, access_policy)
    # No executor argument: threading is oslo.messaging's only one now.
    return messaging.get_rpc_server(TRANSPORT, target, endpoints,
                                    serializer=serializer,
                                    access_policy=access_policy)


class _LocalBus:
    """Servers of this process by topic, and messages nobody took yet."""

    def __init__(self):
        self._lock = threading.Lock()
        self._servers = {}
        self._backlog = {}
        self._round_robin = {}

    def add(self, server):
        topic = server.target.topic
        with self._lock:
            self._servers.setdefault(topic, []).append(server)
            self._round_robin[topic] = itertools.cycle(self._servers[topic])
            backlog = self._backlog.pop(topic, [])
        for message in backlog:
            server.submit(message)

    def remove(self, server):
        topic = server.target.topic
        with self._lock:
            servers = self._servers.get(topic, [])
            if server in servers:
                servers.remove(server)
            self._round_robin[topic] = itertools.cycle(servers)

    def deliver(self, topic, server_name, message):
        with self._lock:
            servers = self._servers.get(topic, [])
            if server_name is not None:
                servers = [s for s in servers
                           if s.target.server == server_name]
                chosen = servers[0] if servers else None
            else:
                chosen = next(self._round_robin[topic]) if servers else None
            if chosen is None:
                # Like a broker queue: kept until a server listens.
                self._backlog.setdefault(topic, []).append(message)
                return None
        return chosen.submit(message)

    def clear(self):
        with self._lock:
            self._servers.clear()
            self._backlog.clear()
            self._round_robin.clear()


_LOCAL_BUS = _LocalBus()


class _LocalIncoming:
    """What ``RPCDispatcher.dispatch`` reads from a received message."""

    client_timeout = None

    def __init__(self, ctxt, message):
        self.ctxt = ctxt
        self.message = message

    def heartbeat(self):
        pass


class _LocalServer:
    def __init__(self, target, endpoints, serializer, access_policy):
        self.target = target
        self._serializer = serializer
        self._dispatcher = rpc_dispatcher.RPCDispatcher(
            endpoints, serializer, access_policy)
        self._executor = None

    def start(self):
        # The standard library's pool: its idle threads stop at once on
        # shutdown, futurist's only after a second.
        self._executor = futures.ThreadPoolExecutor(
            _LOCAL_THREADS, thread_name_prefix=self.target.topic)
        _LOCAL_BUS.add(self)

    def stop(self):
        _LOCAL_BUS.remove(self)

    def wait(self):
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def submit(self, message):
        return self._executor.submit(self._dispatch, message)

    def _dispatch(self, wire):
        ctxt, message = jsonutils.loads(wire)
        try:
            return self._dispatcher.dispatch(_LocalIncoming(ctxt, message))
        except Exception:
            LOG.exception('Error handling %(method)s on %(topic)s',
                          {'method': message.get('method'),
                           'topic': self.target.topic})
            raise


class _LocalClient:
    """The subset of ``RPCClient`` the RPC APIs use, in-process."""

    def __init__(self, target, version_cap, serializer, **prepared):
        self.target = target
        self.version_cap = version_cap
        self._serializer = serializer
        self._prepared = prepared

    def prepare(self, **kwargs):
        prepared = dict(self._prepared, **kwargs)
        return _LocalClient(self.target, self.version_cap, self._serializer,
                            **prepared)

    def can_send_version(self, version):
        if self.version_cap is None or version is None:
            return True
        cap = tuple(int(p) for p in self.version_cap.split('.'))
        wanted = tuple(int(p) for p in version.split('.'))
        return cap[0] == wanted[0] and cap[1] >= wanted[1]

    def _send(self, ctxt, method, kwargs):
        version = self._prepared.get('version', self.target.version)
        if not self.can_send_version(version):
            raise messaging.RPCVersionCapError(version=version,
                                               version_cap=self.version_cap)
        args = {k: self._serializer.serialize_entity(ctxt, v)
                for k, v in kwargs.items()}
        message = {'method': method, 'args': args,
                   'version': version or '1.0'}
        wire = jsonutils.dumps(
            [self._serializer.serialize_context(ctxt), message])
        return _LOCAL_BUS.deliver(
            self._prepared.get('topic', self.target.topic),
            self._prepared.get('server', self.target.server), wire)

    def cast(self, ctxt, method, **kwargs):
        self._send(ctxt, method, kwargs)

    def call(self, ctxt, method, **kwargs):
        future = self._send(ctxt, method, kwargs)
        if future is None:
            raise messaging.MessagingTimeout(
                f'No server listens on {self.target.topic}')
        return future.result(
            timeout=self._prepared.get('timeout') or CONF.rpc_response_timeout)
