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

"""Convection's exception hierarchy.

Every error a person can act on is a ``ConvectionException`` subclass with a
``code`` (the HTTP status the API answers with) and a ``msg_fmt``. The API
turns them into ``{"error": {"code", "title", "message"}}``; RPC re-raises
them as themselves on the caller's side (see ``common.rpc.ALLOWED_EXMODS``).
"""

import http

from oslo_log import log

from convection.i18n import _

LOG = log.getLogger(__name__)


class ConvectionException(Exception):
    """Base exception: subclasses set ``msg_fmt`` and ``code``."""

    msg_fmt = _("An unknown exception occurred.")
    code = http.HTTPStatus.INTERNAL_SERVER_ERROR
    # Whether the message may be shown to API users as it is.
    safe = True

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if not message:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                LOG.exception('Bad keyword arguments for %(cls)s: %(kw)s',
                              {'cls': type(self).__name__, 'kw': kwargs})
                message = self.msg_fmt
        super().__init__(message)

    @property
    def message(self):
        return str(self)


class Invalid(ConvectionException):
    msg_fmt = _("Invalid request: %(reason)s")
    code = http.HTTPStatus.BAD_REQUEST


class InvalidParameterValue(Invalid):
    msg_fmt = _("%(err)s")


class InvalidFlowDefinition(Invalid):
    """The flow document failed validation.

    ``errors`` is a list of ``{"path": "tasks.boot.requires[0]",
    "message": "..."}`` dicts, one per problem found.
    """

    msg_fmt = _("Invalid flow definition: %(summary)s")

    def __init__(self, errors):
        self.errors = list(errors)
        summary = '; '.join(
            f"{e['path']}: {e['message']}" if e.get('path') else e['message']
            for e in self.errors)
        super().__init__(summary=summary)


class InvalidExecutionInput(Invalid):
    msg_fmt = _("Execution input does not match the flow's input schema: "
                "%(reason)s")


class ExpressionError(Invalid):
    msg_fmt = _("Expression %(expression)r failed: %(reason)s")


class InvalidTaskOutput(Invalid):
    msg_fmt = _("Output does not match the output schema of task type "
                "%(task_type)s: %(reason)s; the item stays claimed, complete "
                "it again with a valid output or fail it.")


class UnsafeURL(Invalid):
    msg_fmt = _("URL %(url)s is not allowed: %(reason)s")


class InvalidAPIVersionHeader(Invalid):
    msg_fmt = _("Invalid OpenStack-API-Version header %(value)r: expected "
                "'taskflow <major>.<minor>' or 'taskflow latest'.")


class FlowDepthExceeded(Invalid):
    msg_fmt = _("Cannot start flow %(flow)s as a child: it would run "
                "%(depth)d levels deep, and [engine]max_flow_depth is "
                "%(limit)d. Check the flows for a recursion, or raise the "
                "limit.")


class UnprocessableEntity(ConvectionException):
    msg_fmt = _("%(reason)s")
    code = http.HTTPStatus.UNPROCESSABLE_ENTITY


class NotAuthorized(ConvectionException):
    msg_fmt = _("Not authorized.")
    code = http.HTTPStatus.FORBIDDEN


class PolicyNotAuthorized(NotAuthorized):
    msg_fmt = _("Policy doesn't allow %(action)s to be performed.")


class TrustNotCreated(NotAuthorized):
    msg_fmt = _("Keystone refused to create the trust that lets Convection "
                "act in the cloud for you: %(reason)s")


class NotFound(ConvectionException):
    msg_fmt = _("Resource could not be found.")
    code = http.HTTPStatus.NOT_FOUND


class FlowNotFound(NotFound):
    msg_fmt = _("Flow %(flow)s could not be found.")


class FlowVersionNotFound(NotFound):
    msg_fmt = _("Flow %(flow)s has no version %(version)s.")


class ExecutionNotFound(NotFound):
    msg_fmt = _("Execution %(execution)s could not be found.")


class TaskExecutionNotFound(NotFound):
    msg_fmt = _("Task %(task)s could not be found.")


class TaskTypeNotFound(NotFound):
    msg_fmt = _("Task type %(task_type)s is not known.")


class ClaimNotFound(NotFound):
    msg_fmt = _("Claim token %(token)s is not known.")


class WebhookNotFound(NotFound):
    msg_fmt = _("Webhook %(webhook)s could not be found.")


class Conflict(ConvectionException):
    msg_fmt = _("Conflict: %(reason)s")
    code = http.HTTPStatus.CONFLICT


class FlowInUse(Conflict):
    msg_fmt = _("Flow %(flow)s has %(count)d execution(s) that have not "
                "finished; cancel them or wait for them before deleting it.")


class FlowNameAmbiguous(Conflict):
    msg_fmt = _("More than one public flow is named %(flow)s; address it by "
                "its id instead.")


class ExecutionAlreadyFinished(Conflict):
    msg_fmt = _("Execution %(execution)s already finished in state "
                "%(state)s.")


class IdempotencyKeyReused(Conflict):
    msg_fmt = _("Idempotency key %(key)s was already used for execution "
                "%(execution)s of another flow or with another input.")


class TaskTypeInUse(Conflict):
    msg_fmt = _("Task type %(task_type)s is used by %(count)d task(s) of "
                "executions that have not finished; cancel them or wait for "
                "them before deleting it.")


class TaskTypeNameReserved(Conflict):
    msg_fmt = _("%(task_type)s is the name of a built-in task type; choose "
                "another name.")


class ClaimNotValid(Conflict):
    msg_fmt = _("Claim %(token)s is no longer valid: %(reason)s. Nothing "
                "was changed.")


class ExecutionStateConflict(Conflict):
    msg_fmt = _("Execution %(execution)s is %(state)s; %(action)s needs it "
                "to be %(expected)s.")


class IncompatibleFlowVersion(Conflict):
    msg_fmt = _("Execution %(execution)s cannot move to version %(version)d "
                "of its flow: %(reason)s. Retry it on its own version, or "
                "start a new execution.")


class RequestEntityTooLarge(ConvectionException):
    msg_fmt = _("%(what)s is %(size)d bytes; the limit is %(limit)d bytes.")
    code = http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class TemporaryFailure(ConvectionException):
    msg_fmt = _("Service is temporarily unavailable: %(reason)s")
    code = http.HTTPStatus.SERVICE_UNAVAILABLE


class ServiceUnavailable(TemporaryFailure):
    msg_fmt = _("The %(service)s service is unreachable: %(reason)s")


class ConfigInvalid(ConvectionException):
    msg_fmt = _("Invalid configuration: %(reason)s")


class UnsupportedAPIVersion(ConvectionException):
    msg_fmt = _("API version %(version)s is not supported: this server "
                "supports taskflow %(min)s to %(max)s.")
    code = http.HTTPStatus.NOT_ACCEPTABLE


class UnsupportedMediaType(ConvectionException):
    msg_fmt = _("Content type %(content_type)s is not supported; send the "
                "body as application/json.")
    code = http.HTTPStatus.UNSUPPORTED_MEDIA_TYPE
