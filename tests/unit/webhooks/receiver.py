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

"""A real HTTP receiver on 127.0.0.1 that records what it is sent."""

import http.server
import queue
import threading

import fixtures


class Receiver(fixtures.Fixture):
    """Answers every POST with ``status`` and keeps the requests.

    ``requests`` is a queue of ``(path, headers dict, body bytes)``.
    """

    def __init__(self, statuses=(200,)):
        super().__init__()
        self.statuses = list(statuses)

    def _setUp(self):
        self.requests = queue.Queue()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length', 0))
                body = self.rfile.read(length)
                receiver.requests.put((self.path, dict(self.headers), body))
                status = (receiver.statuses.pop(0)
                          if len(receiver.statuses) > 1
                          else receiver.statuses[0])
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'{}')

            do_PUT = do_POST

            def do_GET(self):
                receiver.requests.put((self.path, dict(self.headers), b''))
                body = b'{"hello": "world"}'
                self.send_response(receiver.statuses[0])
                self.send_header('Content-Type', 'application/json')
                self.send_header('X-Answer', '42')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = f'http://127.0.0.1:{self.server.server_port}'
