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

"""The ``http`` task type: one HTTP request, its response as the output.

Inputs::

    method: GET            # GET, HEAD, POST, PUT, PATCH or DELETE
    url: https://...       # checked like webhook URLs ([http] allow-lists)
    headers: {...}
    body: "text"           # or
    json: {...}            # sent as application/json
    expected_status: [200, 201]   # default: any 2xx
    timeout: 30            # seconds, at most [http]max_timeout

Output: ``{"status": 200, "headers": {...}, "body": <JSON or text>}``
(header names in lower case; the body is parsed when the response says it
is JSON). A 5xx answer, a timeout or a connection failure is a retryable
failure; an unsafe URL, any other unexpected status or a body over
``[http]max_response_bytes`` is not.
"""

from oslo_config import cfg
from oslo_serialization import jsonutils
import urllib3

from convection.common import exception
from convection.common import netutils
from convection.i18n import _
from convection.tasks import base

CONF = cfg.CONF

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')


def _decode(response):
    content_type = response.headers.get('content-type', '')
    text = response.body.decode('utf-8', errors='replace')
    if 'json' in content_type.split(';')[0] and text:
        try:
            return jsonutils.loads(text)
        except ValueError:
            return text
    return text


class HttpTask(base.TaskType):
    """Sends one HTTP request to an address the operator allows."""

    input_schema = {
        'type': 'object',
        'properties': {
            'method': {'enum': list(METHODS)},
            'url': {'type': 'string', 'minLength': 1},
            'headers': {'type': 'object',
                        'additionalProperties': {'type': 'string'}},
            'body': {'type': 'string'},
            'json': {},
            'expected_status': {
                'type': 'array', 'minItems': 1,
                'items': {'type': 'integer', 'minimum': 100,
                          'maximum': 599}},
            'timeout': {'type': 'number', 'exclusiveMinimum': 0},
        },
        'required': ['url'],
        'not': {'required': ['body', 'json']},
        'additionalProperties': False,
    }

    output_schema = {
        'type': 'object',
        'properties': {'status': {'type': 'integer'},
                       'headers': {'type': 'object'},
                       'body': {}},
        'required': ['status', 'headers', 'body'],
    }

    def run(self, context, inputs):
        method = inputs.get('method', 'GET')
        headers = dict(inputs.get('headers') or {})
        body = inputs.get('body')
        if 'json' in inputs:
            body = jsonutils.dump_as_bytes(inputs['json'])
            headers.setdefault('Content-Type', 'application/json')
        elif body is not None:
            body = body.encode('utf-8')
        timeout = min(inputs.get('timeout', 30), CONF.http.max_timeout)
        try:
            response = netutils.request(
                method, inputs['url'], CONF.http, headers=headers,
                body=body, timeout=timeout,
                max_bytes=CONF.http.max_response_bytes)
        except exception.UnsafeURL as e:
            return base.Failed(message=str(e), error_type='UnsafeURL',
                               retryable=False)
        except exception.RequestEntityTooLarge as e:
            return base.Failed(message=str(e),
                               error_type='ResponseTooLarge',
                               retryable=False)
        except urllib3.exceptions.HTTPError as e:
            return base.Failed(
                message=_('%(method)s %(url)s failed: %(err)s') %
                {'method': method, 'url': inputs['url'], 'err': e},
                error_type='ConnectionError', retryable=True)
        output = {'status': response.status,
                  'headers': response.headers,
                  'body': _decode(response)}
        expected = inputs.get('expected_status')
        if (response.status in expected if expected
                else 200 <= response.status < 300):
            return base.Succeeded(output=output)
        server_error = response.status >= 500
        return base.Failed(
            message=_('%(method)s %(url)s answered HTTP %(status)d') %
            {'method': method, 'url': inputs['url'],
             'status': response.status},
            error_type='HTTPServerError' if server_error
            else 'UnexpectedStatus',
            retryable=server_error, details=output)
