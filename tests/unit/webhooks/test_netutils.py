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

from oslo_config import cfg

from convection.common import exception
from convection.common import netutils
from tests import base
from tests.unit.webhooks import receiver

CONF = cfg.CONF


class CheckURLTest(base.TestCase):

    use_database = False

    def test_refused_addresses(self):
        for url, reason in (
                ('http://127.0.0.1/', 'loopback'),
                ('http://localhost:8080/', 'loopback'),
                ('http://[::1]/', 'loopback'),
                ('http://169.254.169.254/latest/meta-data/', 'metadata'),
                ('http://[fe80::1]/', 'link-local'),
                ('http://10.0.0.5/', 'not a public address'),
                ('http://192.168.1.1/', 'not a public address'),
                ('http://172.16.0.1/', 'not a public address'),
                ('http://100.64.0.1/', 'not a public address'),
                ('http://0.0.0.0/', 'not a public address'),
                ('http://[::ffff:127.0.0.1]/', 'loopback'),
                ('http://224.0.0.1/', 'not a public address')):
            e = self.assertRaises(exception.UnsafeURL, netutils.check_url,
                                  url, CONF.webhooks)
            self.assertIn(reason, str(e), url)
            self.assertEqual(400, e.code)

    def test_refused_urls(self):
        for url in ('ftp://example.com/', 'example.com', '', None,
                    'http:///path', 'http://u:p@93.184.215.14/',
                    'http://[::1/'):
            self.assertRaises(exception.UnsafeURL, netutils.check_url, url,
                              CONF.webhooks)

    def test_public_address_is_allowed(self):
        target = netutils.check_url('https://93.184.215.14:8443/a?b=1',
                                    CONF.http)
        self.assertEqual(('https', '93.184.215.14', 8443, '/a?b=1',
                          '93.184.215.14'),
                         (target.scheme, target.host, target.port,
                          target.path, target.address))

    def test_allow_lists(self):
        self.config(allowed_hosts=['LocalHost'], group='webhooks')
        self.assertEqual(
            'localhost',
            netutils.check_url('http://localhost/', CONF.webhooks).host)
        # One group's allow-list does not open the other.
        self.assertRaises(exception.UnsafeURL, netutils.check_url,
                          'http://localhost/', CONF.http)
        self.config(allowed_networks=['10.0.0.0/8'], group='http')
        netutils.check_url('http://10.1.2.3/', CONF.http)
        self.assertRaises(exception.UnsafeURL, netutils.check_url,
                          'http://192.168.0.1/', CONF.http)

    def test_bad_allowed_network_is_a_config_error(self):
        self.config(allowed_networks=['not-a-cidr'], group='http')
        self.assertRaises(exception.ConfigInvalid, netutils.check_url,
                          'http://10.1.2.3/', CONF.http)


class RequestTest(base.TestCase):

    use_database = False

    def setUp(self):
        super().setUp()
        self.receiver = self.useFixture(receiver.Receiver())
        self.config(allowed_hosts=['127.0.0.1'], group='http')

    def test_request_reaches_the_checked_address(self):
        response = netutils.request('GET', self.receiver.url + '/x?y=1',
                                    CONF.http, headers={'X-A': 'b'})
        self.assertEqual(200, response.status)
        self.assertEqual(b'{"hello": "world"}', response.body)
        self.assertEqual('42', response.headers['x-answer'])
        path, headers, _body = self.receiver.requests.get(timeout=5)
        self.assertEqual('/x?y=1', path)
        self.assertEqual('b', headers['X-A'])
        self.assertEqual(self.receiver.url[len('http://'):],
                         headers['Host'])

    def test_response_size_is_capped(self):
        self.assertRaises(exception.RequestEntityTooLarge, netutils.request,
                          'GET', self.receiver.url, CONF.http, max_bytes=5)

    def test_refused_before_connecting(self):
        self.config(allowed_hosts=[], group='http')
        self.assertRaises(exception.UnsafeURL, netutils.request, 'GET',
                          self.receiver.url, CONF.http)
        self.assertTrue(self.receiver.requests.empty())
