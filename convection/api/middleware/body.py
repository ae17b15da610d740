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

"""Limits on request bodies: their size, and JSON only."""

import io

from oslo_log import log

from convection.api.middleware import errors
from convection.common import exception
from convection.i18n import _

LOG = log.getLogger(__name__)

JSON_TYPES = frozenset(('application/json',))


def _has_body(environ):
    if environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
        return True
    try:
        return int(environ.get('CONTENT_LENGTH') or 0) > 0
    except ValueError:
        return True


class BodySizeLimit:
    """Refuse bodies larger than ``limit`` bytes with 413.

    A declared Content-Length is checked before reading anything; a
    chunked body is read up to the limit and replaced by what was read.
    """

    def __init__(self, application, limit):
        self.application = application
        self.limit = limit

    def __call__(self, environ, start_response):
        length = environ.get('CONTENT_LENGTH')
        if length:
            try:
                size = int(length)
            except ValueError:
                return self._refuse(start_response,
                                    exception.Invalid(
                                        reason=_('Content-Length is not a '
                                                 'number.')))
            if size > self.limit:
                return self._too_large(environ, start_response, size)
        elif _has_body(environ):
            body = environ['wsgi.input'].read(self.limit + 1)
            if len(body) > self.limit:
                return self._too_large(environ, start_response, len(body))
            environ['wsgi.input'] = io.BytesIO(body)
            environ['CONTENT_LENGTH'] = str(len(body))
            environ.pop('HTTP_TRANSFER_ENCODING', None)
        return self.application(environ, start_response)

    def _too_large(self, environ, start_response, size):
        LOG.debug('Refused a body of %(size)d bytes for %(path)s',
                  {'size': size, 'path': environ.get('PATH_INFO')})
        return self._refuse(start_response,
                            exception.RequestEntityTooLarge(
                                what='The request body', size=size,
                                limit=self.limit))

    @staticmethod
    def _refuse(start_response, error):
        return errors.respond(start_response, int(error.code), str(error))


class JsonOnly:
    """Refuse request bodies that are not JSON with 415."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if _has_body(environ):
            content_type = environ.get('CONTENT_TYPE') or ''
            media_type = content_type.split(';', 1)[0].strip().lower()
            if media_type not in JSON_TYPES:
                error = exception.UnsupportedMediaType(
                    content_type=media_type or '(none)')
                return errors.respond(start_response, int(error.code),
                                      str(error))
        return self.application(environ, start_response)
