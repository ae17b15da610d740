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

"""What the task types that call OpenStack services share.

They act for the tenant through the execution's Keystone trust, build
their clients in :mod:`convection.common.clients`, poll with a growing
interval and map the services' errors to retryable or final failures, so
that a flow's retry policy does the right thing.
"""

import http

from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
from oslo_log import log

from convection.common import clients
from convection.common import exception
from convection.common import keystone
from convection.conf import CONF
from convection.i18n import _
from convection.tasks import base
from convection.tasks import registry

LOG = log.getLogger(__name__)

# Consecutive transient errors a poll tolerates before the task fails: a
# short outage of Heat or Nova must not fail a wait of hours.
MAX_POLL_ERRORS = 10

_SERVICE_NAMES = {clients.ORCHESTRATION: 'Heat', clients.COMPUTE: 'Nova'}


def definition_needs_trust(definition):
    """Whether executions of a flow definition need a Keystone trust.

    True when a task of the flow has a type that calls OpenStack services
    (see :attr:`CloudTask.needs_trust`); the API then creates the trust
    when it creates the execution.
    """
    types = registry.get_task_types()
    return any(getattr(types.get(task.get('type')), 'needs_trust', False)
               for task in (definition.get('tasks') or {}).values())


class NoTrust(Exception):
    """The task cannot act through a trust.

    Without a message: the execution has none. With one: why the service
    cannot use it (no service credentials configured).
    """


def status_of(exc):
    """The HTTP status of a client exception, or None."""
    if isinstance(exc, heat_exc.HTTPException):
        code = exc.code
        return code if isinstance(code, int) else None
    return getattr(exc, 'http_status', None)


def message_of(exc):
    """The service's own message for a client exception."""
    if isinstance(exc, heat_exc.HTTPException):
        return exc.error['error'].get('message') or str(exc)
    response = getattr(exc, 'response', None)
    if response is not None:
        # Nova wraps its message as {"<fault name>": {"message": ...}},
        # a shape keystoneauth does not read.
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and len(body) == 1:
            fault = next(iter(body.values()))
            if isinstance(fault, dict) and fault.get('message'):
                return fault['message']
    return getattr(exc, 'message', None) or str(exc)


def _heat_error_type(exc):
    if isinstance(exc, heat_exc.HTTPException):
        return exc.error['error'].get('type')
    return None


def is_transient(exc):
    """Whether another try of the same call may succeed."""
    if isinstance(exc, ks_exc.ConnectionError):
        return True
    status = status_of(exc)
    return status is not None and (
        status >= 500 or status in (http.HTTPStatus.CONFLICT,
                                    http.HTTPStatus.TOO_MANY_REQUESTS))


class CloudTask(base.TaskType):
    """Base of the task types that call one OpenStack service."""

    #: The catalog service type the task type calls.
    service_type = None

    #: Executions running this task type need a Keystone trust: the API
    #: creates one (``keystone.create_trust_for``) when any task of the
    #: flow has a type with this flag.
    needs_trust = True

    @property
    def _options(self):
        return {clients.ORCHESTRATION: CONF.heat,
                clients.COMPUTE: CONF.nova}[self.service_type]

    @property
    def _service_name(self):
        return _SERVICE_NAMES[self.service_type]

    def session(self, context):
        """The trust-scoped session of the task's execution.

        :raises: NoTrust
        """
        if not context.trust_id:
            raise NoTrust()
        try:
            return keystone.session_for_trust(context.trust_id)
        except exception.ConfigInvalid as exc:
            raise NoTrust(str(exc)) from exc

    def poll_delay(self, polls):
        """Seconds before the next check, after ``polls`` checks."""
        options = self._options
        return min(options.poll_interval * options.poll_backoff ** polls,
                   options.max_poll_interval)

    def wait(self, run_state):
        """Wait for the next check; counts the checks in ``run_state``."""
        polls = run_state.get('polls', 0)
        run_state = dict(run_state, polls=polls + 1, poll_errors=0)
        return base.Wait(delay=self.poll_delay(polls), run_state=run_state)

    def wait_after_error(self, exc, context, run_state):
        """Wait again after a transient error, or fail after too many."""
        errors = run_state.get('poll_errors', 0) + 1
        if errors > MAX_POLL_ERRORS:
            return self.failed(exc, context)
        LOG.warning('Task %(task)s: %(service)s failed while polling '
                    '(%(n)d of %(max)d tolerated): %(err)s',
                    {'task': context.task_id, 'service': self._service_name,
                     'n': errors, 'max': MAX_POLL_ERRORS, 'err': exc})
        polls = run_state.get('polls', 0)
        return base.Wait(delay=self.poll_delay(polls),
                         run_state=dict(run_state, polls=polls + 1,
                                        poll_errors=errors))

    def no_trust(self, error):
        if str(error):
            # The trust exists, but the service cannot use it.
            return base.Failed(message=str(error),
                               error_type='ConfigInvalid', retryable=False)
        return base.Failed(
            message=_('The execution has no Keystone trust, so Convection '
                      'cannot call %(service)s for the tenant.')
            % {'service': self._service_name},
            error_type='MissingTrust', retryable=False)

    def failed(self, exc, context):
        """Map a client exception to a :class:`base.Failed`."""
        service = self._service_name
        if isinstance(exc, ks_exc.EndpointNotFound):
            options = self._options
            return base.Failed(
                message=_('The Keystone catalog has no %(type)s endpoint '
                          '(interface %(interface)s, region %(region)s).')
                % {'type': self.service_type,
                   'interface': options.interface,
                   'region': options.region_name or _('any')},
                error_type='EndpointNotFound', retryable=False)
        if isinstance(exc, ks_exc.ConnectionError):
            return base.Failed(
                message=_('Cannot reach %(service)s at %(endpoint)s: '
                          '%(err)s')
                % {'service': service,
                   'endpoint': self._endpoint(context), 'err': exc},
                error_type='ServiceUnavailable', retryable=True)
        status = status_of(exc)
        message = message_of(exc)
        details = {'service': self.service_type, 'status': status}
        if status is None:
            # Not an HTTP answer: a bug or an unexpected reply; do not
            # hide it behind a retry.
            LOG.error('Task %(task)s: unexpected error from %(svc)s: '
                      '%(err)r', {'task': context.task_id, 'svc': service,
                                  'err': exc})
            return base.Failed(message=f'{service}: {exc}',
                               error_type=type(exc).__name__,
                               retryable=False, details=details)
        if status == http.HTTPStatus.UNAUTHORIZED:
            error_type, retryable = 'Unauthorized', False
            message = _('%(service)s or Keystone refused the trust of this '
                        'execution: %(err)s') % {'service': service,
                                                 'err': message}
        elif (status == http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE
              or (status == http.HTTPStatus.FORBIDDEN
                  and 'quota' in message.lower())):
            error_type, retryable = 'QuotaExceeded', False
        elif status == http.HTTPStatus.TOO_MANY_REQUESTS:
            error_type, retryable = 'RateLimited', True
        elif status >= 500:
            error_type, retryable = 'ServiceUnavailable', True
        elif _heat_error_type(exc) == 'StackExists':
            # A 409 that waiting does not cure, unlike a busy stack.
            error_type, retryable = 'StackExists', False
        else:
            try:
                error_type = http.HTTPStatus(status).phrase.replace(' ', '')
            except ValueError:
                error_type = f'HTTP{status}'
            retryable = status == http.HTTPStatus.CONFLICT
        return base.Failed(message=f'{service}: {message}',
                           error_type=error_type, retryable=retryable,
                           details=details)

    def _endpoint(self, context):
        try:
            return clients.endpoint(self.session(context),
                                    self.service_type)
        except Exception:
            # Only used to name the endpoint in a message.
            return _('(unknown endpoint)')
