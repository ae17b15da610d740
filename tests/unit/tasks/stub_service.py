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

"""A tiny HTTP server answering with canned responses.

Used only for faults the real Heat and Nova cannot be made to produce on
demand (a 503, a quota error, a 429...). The clients under test talk real
HTTP to it through a keystoneauth session whose plugin points every
service at the server.
"""

import http.server
import json
import threading

import fixtures
from keystoneauth1 import plugin
from keystoneauth1 import session as ks_session


class StubAuth(plugin.BaseAuthPlugin):
    """Authenticates nothing; every service lives at ``endpoint``."""

    def __init__(self, endpoint):
        super().__init__()
        self.endpoint = endpoint

    def get_token(self, session, **kwargs):
        return 'stub-token'

    def get_endpoint(self, session, **kwargs):
        return self.endpoint


class StubService(fixtures.Fixture):
    """Serves ``responses``: a list of (method, path prefix, status, body).

    The first matching entry answers; a request nothing matches gets a
    500 so that a test notices. ``requests`` records (method, path, body,
    headers).
    """

    def __init__(self, responses=()):
        super().__init__()
        self.responses = list(responses)
        self.requests = []

    def _setUp(self):
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                stub.requests.append((self.command, self.path,
                                      json.loads(body) if body else None,
                                      dict(self.headers)))
                for method, prefix, status, payload in stub.responses:
                    if method == self.command and self.path.startswith(
                            prefix):
                        break
                else:
                    status, payload = 500, {'error': 'unexpected request'}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        thread = threading.Thread(target=self.server.serve_forever,
                                  kwargs={'poll_interval': 0.05},
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = f'http://127.0.0.1:{self.server.server_port}'

    def session(self, path=''):
        return session_for(self.url + path)


def session_for(endpoint):
    """A session that sends every service's requests to ``endpoint``."""
    return ks_session.Session(auth=StubAuth(endpoint))
