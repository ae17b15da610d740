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

"""WSGI entry point: ``convection.wsgi:application``.

For uwsgi or gunicorn, e.g.
``gunicorn --threads 8 'convection.wsgi:application'``. Configuration is
read from the file named by the CONVECTION_CONFIG_FILE environment
variable, else from /etc/convection/convection.conf if it exists; never
from the WSGI server's own command line.
"""

# NOTE: the threading backend must be chosen before oslo.messaging (which
# the API imports) would pick oslo.service's eventlet default.
from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

import os  # noqa: E402
import threading  # noqa: E402

from convection.api import app as api_app  # noqa: E402
from convection.common import service  # noqa: E402

CONFIG_FILE_ENV = 'CONVECTION_CONFIG_FILE'
DEFAULT_CONFIG_FILE = '/etc/convection/convection.conf'

_LOCK = threading.Lock()
_APPLICATION = None


def config_files():
    """The configuration files the WSGI application reads."""
    path = os.environ.get(CONFIG_FILE_ENV)
    if path:
        return [path]
    if os.path.exists(DEFAULT_CONFIG_FILE):
        return [DEFAULT_CONFIG_FILE]
    return []


def initialize_application():
    """Parse the configuration and build the application, once."""
    global _APPLICATION
    with _LOCK:
        if _APPLICATION is None:
            # The WSGI server's arguments are not ours: parse none.
            service.prepare_service(['convection-api'],
                                    default_config_files=config_files())
            _APPLICATION = api_app.setup_app()
    return _APPLICATION


application = initialize_application()
