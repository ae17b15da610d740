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

from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3
import requests

from convectionclient import exceptions
from convectionclient.tests.unit import base
from convectionclient.v1 import client


def error_body(code, title, message, details=None):
    error = {'code': code, 'title': title, 'message': message}
    if details is not None:
        error['details'] = details
    return {'error': error}


class TestHeaders(base.ClientTestCase):

    def test_microversion_and_json_headers(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        self.client.flows.list()
        headers = self.requests.last_request.headers
        self.assertEqual('taskflow 1.0', headers['OpenStack-API-Version'])
        self.assertEqual('application/json', headers['Accept'])
        self.assertNotIn('X-Project-Id', headers)

    def test_requested_api_version_is_sent(self):
        c = client.Client(endpoint_override=base.ENDPOINT,
                          api_version='1.3')
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        c.flows.list()
        self.assertEqual(
            'taskflow 1.3',
            self.requests.last_request.headers['OpenStack-API-Version'])

    def test_noauth_project_header(self):
        c = client.Client(endpoint_override=base.ENDPOINT, project_id='p1')
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        c.flows.list()
        self.assertEqual('p1',
                         self.requests.last_request.headers['X-Project-Id'])

    def test_versioned_endpoint_is_reduced_to_root(self):
        c = client.Client(endpoint_override=base.ENDPOINT + '/v1/')
        self.requests.get(self.url('/v1/flows/f'), json={'id': 'x'})
        self.assertEqual('x', c.flows.get('f').id)
        self.assertEqual(base.ENDPOINT, c.endpoint)

    def test_no_session_needs_endpoint(self):
        self.assertRaises(exceptions.EndpointNotFound, client.Client)


class TestCatalog(base.TestCase):
    """The endpoint comes from the Keystone catalog by service type."""

    def setUp(self):
        super().setUp()
        self.requests.post(
            'http://keystone.test/v3/auth/tokens',
            headers={'X-Subject-Token': 'tok'},
            json={'token': {
                'methods': ['password'],
                'expires_at': '2099-01-01T00:00:00Z',
                'project': {'id': 'p', 'name': 'demo',
                            'domain': {'id': 'default', 'name': 'D'}},
                'user': {'id': 'u', 'name': 'u',
                         'domain': {'id': 'default', 'name': 'D'}},
                'catalog': [{
                    'type': 'taskflow', 'name': 'convection',
                    'endpoints': [
                        {'interface': 'public', 'region': 'R1',
                         'url': 'http://public.test:8989/v1'},
                        {'interface': 'internal', 'region': 'R1',
                         'url': 'http://internal.test:8989'}]}]}})

    def session(self):
        auth = v3.Password(auth_url='http://keystone.test/v3',
                           username='u', password='p', project_id='p',
                           user_domain_id='default')
        return ksa_session.Session(auth=auth)

    def test_public_endpoint_from_catalog(self):
        self.requests.get('http://public.test:8989/v1/flows',
                          json={'flows': [{'id': 'a'}]})
        c = client.Client(session=self.session(), region_name='R1')
        self.assertEqual(['a'], [f.id for f in c.flows.list()])
        self.assertEqual('tok',
                         self.requests.last_request.headers['X-Auth-Token'])

    def test_interface_selects_endpoint(self):
        self.requests.get('http://internal.test:8989/v1/flows',
                          json={'flows': []})
        c = client.Client(session=self.session(), interface='internal')
        self.assertEqual([], c.flows.list())

    def test_missing_service_type(self):
        c = client.Client(session=self.session(), service_type='nothing')
        self.assertRaises(exceptions.EndpointNotFound, c.flows.list)


class TestErrors(base.ClientTestCase):

    def _fail(self, status, body=None, **kwargs):
        if body is not None:
            kwargs['json'] = body
        self.requests.get(self.url('/v1/flows/f'), status_code=status,
                          **kwargs)
        return self.assertRaises(exceptions.HttpError,
                                 self.client.flows.get, 'f')

    def test_status_maps_to_class(self):
        expected = {400: exceptions.BadRequest,
                    401: exceptions.Unauthorized,
                    403: exceptions.Forbidden,
                    404: exceptions.NotFound,
                    406: exceptions.NotAcceptable,
                    409: exceptions.Conflict,
                    413: exceptions.RequestEntityTooLarge,
                    422: exceptions.UnprocessableEntity,
                    500: exceptions.ServerError,
                    503: exceptions.ServiceUnavailable}
        for status, cls in expected.items():
            e = self._fail(status, error_body(status, 'T', f'm{status}'))
            self.assertIs(cls, type(e))
            self.assertEqual(status, e.http_status)
            self.assertEqual(f'm{status}', e.message)

    def test_unknown_statuses_fall_back(self):
        e = self._fail(418, error_body(418, 'Teapot', 'short and stout'))
        self.assertIs(exceptions.HttpError, type(e))
        self.assertEqual(418, e.code)
        e = self._fail(599, error_body(599, 'Odd', 'odd'))
        self.assertIsInstance(e, exceptions.ServerError)

    def test_all_errors_are_client_errors(self):
        e = self._fail(404, error_body(404, 'Not Found', 'gone'))
        self.assertIsInstance(e, exceptions.ClientError)

    def test_details_and_request_id(self):
        details = [{'path': 'tasks.boot.requires[0]',
                    'message': "'net' is not a task"}]
        e = self._fail(400, error_body(400, 'Bad Request', 'Invalid flow',
                                       details),
                       headers={'X-OpenStack-Request-ID': 'req-42'})
        self.assertEqual(details, e.details)
        self.assertEqual('req-42', e.request_id)
        self.assertEqual('Bad Request', e.title)
        self.assertEqual(
            "Invalid flow (HTTP 400) (Request-ID: req-42)\n"
            "  tasks.boot.requires[0]: 'net' is not a task", str(e))

    def test_details_already_in_message_are_not_repeated(self):
        details = [{'path': 'tasks.a', 'message': 'bad'}]
        e = self._fail(400, error_body(400, 'Bad Request',
                                       'Invalid flow: tasks.a: bad',
                                       details))
        self.assertEqual('Invalid flow: tasks.a: bad (HTTP 400)', str(e))
        self.assertEqual(details, e.details)

    def test_non_json_error_body(self):
        e = self._fail(502, text='<html>proxy says no</html>')
        self.assertIsInstance(e, exceptions.BadGateway)
        self.assertEqual('<html>proxy says no</html>', e.message)

    def test_empty_error_body_uses_title(self):
        e = self._fail(413, text='')
        self.assertEqual('Request Entity Too Large', e.message)

    def test_wsme_fault_shape(self):
        e = self._fail(400, {'faultstring': 'Unknown attribute x'})
        self.assertEqual('Unknown attribute x', e.message)

    def test_connection_failure(self):
        self.requests.get(self.url('/v1/flows'),
                          exc=requests.exceptions.ConnectionError('refused'))
        e = self.assertRaises(exceptions.ConnectionFailure,
                              self.client.flows.list)
        self.assertIn(base.ENDPOINT, str(e))

    def test_non_json_success_body(self):
        self.requests.get(self.url('/v1/flows/f'), text='oops')
        self.assertRaises(exceptions.ServerError, self.client.flows.get, 'f')


class TestPagination(base.ClientTestCase):

    def test_follows_next_links_with_own_host(self):
        self.requests.get(
            self.url('/v1/flows'),
            [{'json': {'flows': [{'id': 'a'}, {'id': 'b'}],
                       'next': 'http://elsewhere/v1/flows?marker=b'}},
             {'json': {'flows': [{'id': 'c'}]}}])
        flows = self.client.flows.list()
        self.assertEqual(['a', 'b', 'c'], [f.id for f in flows])
        second = self.requests.request_history[1]
        self.assertEqual('convection.test:8989', second.netloc)
        self.assertEqual({'marker': ['b']}, second.qs)

    def test_limit_caps_results_and_is_sent(self):
        self.requests.get(
            self.url('/v1/flows'),
            json={'flows': [{'id': 'a'}, {'id': 'b'}, {'id': 'c'}],
                  'next': self.url('/v1/flows?marker=c&limit=3')})
        flows = self.client.flows.list(limit=2)
        self.assertEqual(['a', 'b'], [f.id for f in flows])
        self.assertEqual(1, self.requests.call_count)
        self.assertEqual({'limit': ['2']}, self.requests.last_request.qs)

    def test_query_parameters(self):
        self.requests.get(self.url('/v1/flows'), json={'flows': []})
        self.client.flows.list(marker='m', sort_key='name', sort_dir='desc',
                               all_projects=True)
        self.assertEqual({'marker': ['m'], 'sort_key': ['name'],
                          'sort_dir': ['desc'], 'all_projects': ['true']},
                         self.requests.last_request.qs)

    def test_bad_arguments_rejected_before_sending(self):
        self.assertRaises(exceptions.InvalidInput, self.client.flows.list,
                          limit=0)
        self.assertRaises(exceptions.InvalidInput, self.client.flows.list,
                          sort_dir='up')
        self.assertEqual(0, self.requests.call_count)

    def test_next_link_repeating_the_same_page_stops(self):
        self.requests.get(self.url('/v1/flows'), json={
            'flows': [{'id': 'a'}], 'next': self.url('/v1/flows')})
        self.assertEqual(['a'], [f.id for f in self.client.flows.list()])
