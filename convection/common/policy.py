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

"""The policy enforcer: one per process, rules from convection.policies."""

import threading

from oslo_config import cfg
from oslo_log import log
from oslo_policy import policy

from convection import policies
from convection.common import exception

LOG = log.getLogger(__name__)
CONF = cfg.CONF

_ENFORCER = None
_ENFORCER_LOCK = threading.Lock()


def init_enforcer(conf=None):
    """Create the process-wide enforcer once, with the rules in code."""
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is None:
            enforcer = policy.Enforcer(conf or CONF)
            enforcer.register_defaults(policies.list_rules())
            _ENFORCER = enforcer
    return _ENFORCER


def reset():
    """Forget the enforcer, so that the next call reads config anew."""
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is not None:
            _ENFORCER.clear()
        _ENFORCER = None


def get_enforcer():
    """Entry point for oslopolicy-* tools (oslo.policy.enforcer)."""
    CONF([], project='convection')
    return init_enforcer()


def authorize(action, target, context):
    """Check action on target for context.

    :param action: a rule name such as convection:flow:get.
    :param target: the resource's attributes, at least project_id.
    :param context: the caller's RequestContext.
    :raises: PolicyNotAuthorized if the rule denies it.
    """
    enforcer = init_enforcer()
    try:
        return enforcer.authorize(action, target, context,
                                  do_raise=True,
                                  exc=exception.PolicyNotAuthorized,
                                  action=action)
    except policy.InvalidScope:
        LOG.debug('Policy %(action)s refused: token scope does not match '
                  '(user %(user)s, project %(project)s)',
                  {'action': action, 'user': context.user_id,
                   'project': context.project_id})
        raise exception.PolicyNotAuthorized(action=action)
    except exception.PolicyNotAuthorized:
        LOG.debug('Policy %(action)s refused for user %(user)s of project '
                  '%(project)s on a resource of project %(target)s',
                  {'action': action, 'user': context.user_id,
                   'project': context.project_id,
                   'target': target.get('project_id')})
        raise


def check(action, target, context):
    """Like authorize() but answers True or False."""
    try:
        authorize(action, target, context)
    except exception.PolicyNotAuthorized:
        return False
    return True
