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

"""Keystone sessions and trusts.

Convection acts for a tenant through a Keystone trust: when an execution
that uses OpenStack task types is created, the API creates a trust from the
calling user to the Convection service user (delegating the caller's roles
on the caller's project, with impersonation) and stores only its id on the
execution. Conductors build a trust-scoped session from that id for every
call, so an execution can outlive the token that started it. The trust is
deleted when the execution reaches a terminal state.
"""

import threading
import time

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading
from keystoneauth1 import service_token
from oslo_log import log

from convection.common import exception
from convection.conf import CONF
from convection.conf import keystone as keystone_conf
from convection.i18n import _

LOG = log.getLogger(__name__)

_GROUP = keystone_conf.SERVICE_CREDENTIALS_GROUP
# Options that scope a token; a trust-scoped auth must have none of them.
_SCOPE_OPTIONS = ('project_id', 'project_name', 'project_domain_id',
                  'project_domain_name', 'domain_id', 'domain_name',
                  'system_scope')
# Trust-scoped sessions kept per trust id so that polls reuse one token.
_TRUST_SESSION_CACHE_SIZE = 256

_lock = threading.Lock()
_service_auth = None
_service_session = None
_trust_sessions = {}


def _check_configured():
    if not is_configured():
        raise exception.ConfigInvalid(
            reason=_('[%s] has no auth_type: Convection cannot act in '
                     'OpenStack clouds without service credentials.')
            % _GROUP)


def is_configured():
    """Whether service credentials are configured (trusts can be used)."""
    return bool(CONF[_GROUP].auth_type)


def _load_service_auth():
    _check_configured()
    return loading.load_auth_from_conf_options(CONF, _GROUP)


def get_service_auth():
    """The service user's keystoneauth plugin, loaded once."""
    global _service_auth
    with _lock:
        if _service_auth is None:
            _service_auth = _load_service_auth()
        return _service_auth


def get_service_session():
    """A session authenticated as the Convection service user."""
    global _service_session
    auth = get_service_auth()
    with _lock:
        if _service_session is None:
            _service_session = loading.load_session_from_conf_options(
                CONF, _GROUP, auth=auth)
        return _service_session


def reset():
    """Forget cached plugins and sessions (after a configuration change)."""
    global _service_auth, _service_session
    with _lock:
        _service_auth = None
        _service_session = None
        _trust_sessions.clear()


def _identity(session, auth=None):
    return adapter.Adapter(session, auth=auth, service_type='identity',
                           interface=CONF.keystone.interface,
                           region_name=CONF.keystone.region_name,
                           version=(3, 0))


def create_trust(auth_token, user_id, project_id, roles):
    """Create a trust from a user to the Convection service user.

    The request is authenticated with the user's own token (only the
    trustor may create a trust) and delegates ``roles`` on ``project_id``
    with impersonation, without expiry: the caller deletes the trust when
    the work it was made for ends.

    :param auth_token: the user's project-scoped token.
    :param roles: role names; ``[keystone]trusts_delegated_roles`` narrows
        them when set.
    :returns: the trust id.
    :raises: NotAuthorized if Keystone refuses the user's token or the
        trust; ServiceUnavailable if Keystone cannot be reached.
    """
    delegated = list(CONF.keystone.trusts_delegated_roles) or list(roles)
    if not delegated:
        raise exception.NotAuthorized(
            _('The request carries no roles to delegate to Convection.'))
    session = get_service_session()
    identity = _identity(session)
    try:
        trustee_id = session.get_user_id()
        body = {'trust': {
            'trustor_user_id': user_id,
            'trustee_user_id': trustee_id,
            'project_id': project_id,
            'impersonation': True,
            'allow_redelegation': CONF.keystone.allow_redelegation,
            'roles': [{'name': name} for name in delegated],
        }}
        # The user's token, not the service's: only the trustor may
        # create the trust.
        response = identity.post('/OS-TRUST/trusts', json=body,
                                 authenticated=False,
                                 headers={'X-Auth-Token': auth_token})
    except (ks_exc.Unauthorized, ks_exc.Forbidden, ks_exc.NotFound) as exc:
        raise exception.TrustNotCreated(reason=exc.message) from exc
    except (ks_exc.ConnectionError, ks_exc.ServiceUnavailable,
            ks_exc.InternalServerError, ks_exc.BadGateway,
            ks_exc.GatewayTimeout) as exc:
        raise exception.ServiceUnavailable(service='identity',
                                           reason=str(exc)) from exc
    trust_id = response.json()['trust']['id']
    LOG.info('Created trust %(trust)s from user %(user)s on project '
             '%(project)s', {'trust': trust_id, 'user': user_id,
                             'project': project_id})
    return trust_id


def create_trust_for(context):
    """Create a trust for the user of a request context.

    This is what the API calls when it creates an execution that uses
    OpenStack task types; ``context.auth_token`` is the token
    keystonemiddleware validated.

    :returns: the trust id, to store on the execution.
    """
    if not context.auth_token:
        raise exception.NotAuthorized(
            _('A Keystone token is needed to let Convection act in the '
              'cloud for you.'))
    return create_trust(context.auth_token, context.user_id,
                        context.project_id, context.roles)


def _trust_auth(trust_id):
    _check_configured()
    loader = loading.get_plugin_loader(CONF[_GROUP].auth_type)
    names = {opt.dest for opt in loader.get_options()}
    if 'trust_id' not in names:
        raise exception.ConfigInvalid(
            reason=_('[%(group)s]auth_type %(type)s cannot use trusts.')
            % {'group': _GROUP, 'type': CONF[_GROUP].auth_type})
    overrides = {name: None for name in _SCOPE_OPTIONS if name in names}
    overrides['trust_id'] = trust_id
    return loading.load_auth_from_conf_options(CONF, _GROUP, **overrides)


def _new_trust_session(trust_id):
    auth = _trust_auth(trust_id)
    if CONF.keystone.send_service_token:
        auth = service_token.ServiceTokenAuthWrapper(
            user_auth=auth, service_auth=get_service_auth())
    return loading.load_session_from_conf_options(CONF, _GROUP, auth=auth)


def session_for_trust(trust_id):
    """A session that acts as the trustor, through the trust.

    Tokens are requested on first use and renewed by keystoneauth before
    they expire; sessions are cached per trust so polls reuse a token.
    """
    with _lock:
        session = _trust_sessions.get(trust_id)
    if session is not None:
        return session
    session = _new_trust_session(trust_id)
    with _lock:
        if len(_trust_sessions) >= _TRUST_SESSION_CACHE_SIZE:
            # Drop the oldest entry (dicts keep insertion order).
            _trust_sessions.pop(next(iter(_trust_sessions)))
        return _trust_sessions.setdefault(trust_id, session)


def forget_trust_session(trust_id):
    """Drop the cached session of a trust (after it stopped working)."""
    with _lock:
        _trust_sessions.pop(trust_id, None)


def _delete_trust_once(trust_id):
    path = f'/OS-TRUST/trusts/{trust_id}'
    try:
        # As the trustor, through the trust itself: Keystone's default
        # policy allows that without an admin role.
        _identity(_new_trust_session(trust_id)).delete(path)
    except (ks_exc.Unauthorized, ks_exc.Forbidden):
        # The trust no longer authenticates (its trustor lost the roles or
        # was disabled); a service user with the admin role may still
        # delete it.
        _identity(get_service_session()).delete(path)


def delete_trust(trust_id):
    """Delete a trust, retrying while Keystone is briefly away.

    A trust that is already gone counts as deleted.

    :raises: ServiceUnavailable if Keystone stayed unreachable through
        every retry; the caller should try again later. NotAuthorized if
        Keystone refuses the deletion.
    """
    forget_trust_session(trust_id)
    delay = CONF.keystone.trust_delete_retry_delay
    attempts = CONF.keystone.trust_delete_retries + 1
    for attempt in range(1, attempts + 1):
        try:
            _delete_trust_once(trust_id)
        except ks_exc.NotFound:
            LOG.debug('Trust %s was already deleted', trust_id)
            return
        except (ks_exc.Unauthorized, ks_exc.Forbidden) as exc:
            raise exception.NotAuthorized(
                _('Keystone refused to delete trust %(trust)s: %(err)s')
                % {'trust': trust_id, 'err': exc.message}) from exc
        except (ks_exc.ConnectionError, ks_exc.ServiceUnavailable,
                ks_exc.InternalServerError, ks_exc.BadGateway,
                ks_exc.GatewayTimeout) as exc:
            if attempt == attempts:
                raise exception.ServiceUnavailable(
                    service='identity', reason=str(exc)) from exc
            LOG.warning('Cannot delete trust %(trust)s yet (attempt '
                        '%(attempt)d of %(attempts)d): %(err)s',
                        {'trust': trust_id, 'attempt': attempt,
                         'attempts': attempts, 'err': exc})
            time.sleep(delay)
            delay *= 2
        else:
            LOG.info('Deleted trust %s', trust_id)
            return


def delete_unused_trust(trust_id):
    """Delete a trust nothing uses, logging (not raising) a failure.

    For trusts created for a request that did not need them after all (a
    replayed request, a retry that did not happen); a leftover is harmless
    but worth an operator's look.
    """
    if trust_id is None:
        return
    try:
        delete_trust(trust_id)
    except exception.ConvectionException as error:
        LOG.error('Could not delete unused trust %(trust)s; delete it in '
                  'Keystone: %(error)s', {'trust': trust_id, 'error': error})
