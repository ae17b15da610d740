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

"""Exceptions raised by the Convection client.

Every error the service answers has the body::

    {"error": {"code": 404, "title": "Not Found", "message": "...",
               "details": [{"path": "tasks.boot", "message": "..."}]}}

and becomes an instance of the :class:`HttpError` subclass for its status
code, so callers can ``except exceptions.NotFound``.
"""


class ClientError(Exception):
    """Base class of every exception this library raises."""


class ConnectionFailure(ClientError):
    """The service could not be reached."""


class EndpointNotFound(ClientError):
    """No endpoint for the service was given or found in the catalog."""


class InvalidDefinition(ClientError):
    """A flow definition could not be read or parsed on the client side."""


class InvalidInput(ClientError):
    """An argument given to the client is unusable."""


class WaitTimeout(ClientError):
    """An execution did not reach a terminal state in the time allowed."""

    def __init__(self, execution, timeout):
        self.execution = execution
        self.timeout = timeout
        super().__init__(
            f'Execution {execution.id} is still {execution.state} after '
            f'{timeout:g} seconds.')


class HttpError(ClientError):
    """The service answered with an error status."""

    http_status = None
    title = 'HTTP Error'

    def __init__(self, message=None, http_status=None, title=None,
                 details=None, request_id=None, url=None, method=None):
        if http_status is not None:
            self.http_status = http_status
        if title:
            self.title = title
        self.message = message or self.title
        self.details = list(details or [])
        self.request_id = request_id
        self.url = url
        self.method = method
        super().__init__(self.message)

    @property
    def code(self):
        return self.http_status

    def __str__(self):
        text = f'{self.message} (HTTP {self.http_status})'
        if self.request_id:
            text += f' (Request-ID: {self.request_id})'
        lines = []
        for detail in self.details:
            if isinstance(detail, dict):
                path = detail.get('path')
                problem = detail.get('message', '')
                lines.append(f'{path}: {problem}' if path else problem)
            else:
                lines.append(str(detail))
        # A message that already lists every problem is not repeated.
        if not all(line in self.message for line in lines):
            text += ''.join(f'\n  {line}' for line in lines)
        return text


class BadRequest(HttpError):
    http_status = 400
    title = 'Bad Request'


class Unauthorized(HttpError):
    http_status = 401
    title = 'Unauthorized'


class Forbidden(HttpError):
    http_status = 403
    title = 'Forbidden'


class NotFound(HttpError):
    http_status = 404
    title = 'Not Found'


class MethodNotAllowed(HttpError):
    http_status = 405
    title = 'Method Not Allowed'


class NotAcceptable(HttpError):
    """Typically: the requested API microversion is not supported."""

    http_status = 406
    title = 'Not Acceptable'


class Conflict(HttpError):
    http_status = 409
    title = 'Conflict'


class RequestEntityTooLarge(HttpError):
    http_status = 413
    title = 'Request Entity Too Large'


class UnsupportedMediaType(HttpError):
    http_status = 415
    title = 'Unsupported Media Type'


class UnprocessableEntity(HttpError):
    http_status = 422
    title = 'Unprocessable Entity'


class TooManyRequests(HttpError):
    http_status = 429
    title = 'Too Many Requests'


class ServerError(HttpError):
    """Any 5xx answer."""

    http_status = 500
    title = 'Internal Server Error'


class NotImplementedByServer(ServerError):
    http_status = 501
    title = 'Not Implemented'


class BadGateway(ServerError):
    http_status = 502
    title = 'Bad Gateway'


class ServiceUnavailable(ServerError):
    http_status = 503
    title = 'Service Unavailable'


class GatewayTimeout(ServerError):
    http_status = 504
    title = 'Gateway Timeout'


_BY_STATUS = {cls.http_status: cls for cls in (
    BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed,
    NotAcceptable, Conflict, RequestEntityTooLarge, UnsupportedMediaType,
    UnprocessableEntity, TooManyRequests, ServerError,
    NotImplementedByServer, BadGateway, ServiceUnavailable,
    GatewayTimeout)}


def _error_fields(response):
    """Return (message, title, details) read from an error response."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get('error')
        if isinstance(error, dict):
            return (error.get('message'), error.get('title'),
                    error.get('details'))
        # Shapes of middleware that answer before the API does.
        for key in ('faultstring', 'message', 'title'):
            if isinstance(body.get(key), str):
                return body[key], None, None
    text = (response.text or '').strip()
    # Keep an HTML error page from flooding the terminal.
    return (text[:200] or None), None, None


def from_response(response, method=None, url=None):
    """Build the exception matching an error response.

    :param response: a ``requests.Response`` with a status of 400 or more.
    :returns: an :class:`HttpError` subclass instance.
    """
    status = response.status_code
    message, title, details = _error_fields(response)
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else HttpError
    request_id = (response.headers.get('X-OpenStack-Request-ID') or
                  response.headers.get('X-Compute-Request-ID'))
    return cls(message=message, http_status=status, title=title,
               details=details, request_id=request_id,
               url=url or response.url, method=method)
