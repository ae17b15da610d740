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

"""HTTPS to a pinned address still verifies the URL's host name."""

import datetime
import http.server
import ipaddress
import os
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import fixtures
from oslo_config import cfg
import urllib3

from convection.common import netutils
from tests import base

CONF = cfg.CONF


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, is_ca=False,
                 names=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=is_ca,
                                                    path_length=None),
                              critical=True))
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(path, *objects):
    with open(path, 'wb') as f:
        for obj in objects:
            if isinstance(obj, x509.Certificate):
                f.write(obj.public_bytes(serialization.Encoding.PEM))
            else:
                f.write(obj.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption()))


class HTTPSTest(base.TestCase):

    use_database = False

    def _serve(self, names):
        """An HTTPS server on 127.0.0.1 with a certificate for ``names``."""
        workdir = self.useFixture(fixtures.TempDir()).path
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate('Test CA', 'Test CA', ca_key.public_key(), ca_key,
                          is_ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate('server', 'Test CA', key.public_key(), ca_key,
                            names=names)
        ca_file = os.path.join(workdir, 'ca.pem')
        server_file = os.path.join(workdir, 'server.pem')
        _pem(ca_file, ca)
        _pem(server_file, cert, key)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = self.headers['Host'].encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.config(allowed_hosts=['localhost'], ca_file=ca_file,
                    group='http')
        return server.server_port

    def test_certificate_of_the_url_host_is_accepted(self):
        port = self._serve([x509.DNSName('localhost')])
        response = netutils.request('GET', f'https://localhost:{port}/',
                                    CONF.http, timeout=5)
        self.assertEqual(200, response.status)
        self.assertEqual(f'localhost:{port}'.encode(), response.body)

    def test_certificate_of_another_host_is_refused(self):
        port = self._serve([x509.DNSName('other.example'),
                            x509.IPAddress(ipaddress.ip_address(
                                '127.0.0.1'))])
        # Valid for the address connected to, not for the URL's host.
        self.assertRaises(urllib3.exceptions.SSLError, netutils.request,
                          'GET', f'https://localhost:{port}/', CONF.http,
                          timeout=5)

    def test_untrusted_ca_is_refused(self):
        port = self._serve([x509.DNSName('localhost')])
        self.config(ca_file=None, group='http')
        self.assertRaises(urllib3.exceptions.SSLError, netutils.request,
                          'GET', f'https://localhost:{port}/', CONF.http,
                          timeout=5)
