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

"""Helpers of the v1 controllers: paging, links, policy with concealment."""

from urllib import parse

from oslo_config import cfg
import pecan

from convection.common import exception
from convection.common import policy
from convection.i18n import _

CONF = cfg.CONF

SORT_DIRS = ('asc', 'desc')


def validate_limit(limit):
    """The page size to use: the default, or ``limit`` capped by max."""
    if limit is None:
        return min(CONF.api.default_limit, CONF.api.max_limit)
    if limit <= 0:
        raise exception.InvalidParameterValue(
            err=_('limit must be a positive integer, not %d.') % limit)
    return min(limit, CONF.api.max_limit)


def validate_sort(sort_key, sort_dir, allowed_keys, default_key):
    """Check ``sort_key`` and ``sort_dir`` against what a list allows."""
    sort_key = sort_key or default_key
    sort_dir = (sort_dir or 'desc').lower()
    if sort_key not in allowed_keys:
        raise exception.InvalidParameterValue(
            err=_('sort_key %(key)s is not supported; use one of '
                  '%(allowed)s.') % {'key': sort_key,
                                     'allowed': ', '.join(allowed_keys)})
    if sort_dir not in SORT_DIRS:
        raise exception.InvalidParameterValue(
            err=_("sort_dir %s is not supported; use 'asc' or 'desc'.")
            % sort_dir)
    return sort_key, sort_dir


def validate_choice(name, value, choices):
    if value is not None and value not in choices:
        raise exception.InvalidParameterValue(
            err=_('%(name)s %(value)s is not valid; use one of '
                  '%(choices)s.') % {'name': name, 'value': value,
                                     'choices': ', '.join(choices)})
    return value


def base_url():
    """The URL clients reach the API at, without a trailing slash."""
    return (CONF.api.public_endpoint
            or pecan.request.application_url).rstrip('/')


def url(*parts, **query):
    """A v1 URL built from path parts and query parameters."""
    path = '/'.join(parse.quote(str(part), safe='') for part in parts)
    href = f'{base_url()}/v1/{path}'
    query = {key: value for key, value in query.items()
             if value is not None}
    if query:
        href += '?' + parse.urlencode(query)
    return href


def link_maker(*parts):
    """``links`` of the resources under a v1 path, by id.

    For lists: reads the configuration and the request once, not once
    per item as ``url`` would.
    """
    prefix = url(*parts) + '/'
    return lambda resource_id: [
        {'href': prefix + parse.quote(str(resource_id), safe=''),
         'rel': 'self'}]


def page(items, limit):
    """Split the ``limit + 1`` items a list fetched into a page.

    :returns: ``(items, more)`` where ``more`` says a next page exists.
    """
    return items[:limit], len(items) > limit


def scope_project(context, all_projects, all_projects_rule):
    """The project a list reads: the caller's, or None for all of them."""
    if all_projects:
        policy.authorize(all_projects_rule,
                         {'project_id': context.project_id}, context)
        return None
    return context.project_id


def authorize_resource(action, resource_project_id, context, not_found):
    """Check ``action`` on a resource; hide other projects' resources.

    :param not_found: the exception to raise when the caller may not
        learn that the resource exists.
    :raises: PolicyNotAuthorized when the resource is the caller's own
        (or visible to it) but the action is not allowed.
    """
    target = {'project_id': resource_project_id}
    if resource_project_id == context.project_id:
        policy.authorize(action, target, context)
        return
    if not policy.check(action, target, context):
        raise not_found
