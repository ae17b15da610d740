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

"""Resources and the manager base class the v1 managers share."""

import copy
from urllib import parse

from convectionclient import exceptions
from convectionclient.common import http

SORT_DIRS = ('asc', 'desc')


def quote(value):
    """Quote one path segment (a flow name may hold any character)."""
    return parse.quote(str(value), safe='')


class Resource:
    """One object of the API: its fields as attributes and as a dict."""

    def __init__(self, manager, info):
        self.manager = manager
        self._info = dict(info)

    def __getattr__(self, name):
        # Only reached for names that are not real attributes.
        info = self.__dict__.get('_info')
        if info is None or name.startswith('__'):
            raise AttributeError(name)
        try:
            return info[name]
        except KeyError:
            raise AttributeError(
                f'{type(self).__name__} has no field {name!r}') from None

    def __eq__(self, other):
        if not isinstance(other, Resource):
            return NotImplemented
        return type(self) is type(other) and self._info == other._info

    def __repr__(self):
        fields = ', '.join(f'{k}={v!r}' for k, v in sorted(
            self._info.items()) if k in ('id', 'name', 'state', 'version'))
        return f'<{type(self).__name__} {fields}>'

    def get(self, name, default=None):
        return self._info.get(name, default)

    def to_dict(self):
        return copy.deepcopy(self._info)


class Manager:
    """Talks to one kind of resource; subclasses name its paths."""

    resource_class = Resource

    def __init__(self, client):
        self.client = client

    @property
    def http(self):
        return self.client.http

    def _resource(self, info):
        return self.resource_class(self, info)

    def _get(self, url, params=None):
        _, body = self.http.json_request('GET', url, params=params)
        return self._resource(body)

    def _post(self, url, body):
        response, answer = self.http.json_request('POST', url, body=body)
        return response, (self._resource(answer) if answer else None)

    def _patch(self, url, body):
        _, answer = self.http.json_request('PATCH', url, body=body)
        return self._resource(answer) if answer else None

    def _delete(self, url):
        self.http.json_request('DELETE', url)

    def _iterate(self, url, items_key, limit=None, marker=None,
                 sort_key=None, sort_dir=None, all_projects=False,
                 filters=None):
        """Yield resources of a list, following ``next`` links.

        :param limit: the most resources to yield; ``None`` for all of
            them. It is also sent as the page size.
        """
        if limit is not None and limit < 1:
            raise exceptions.InvalidInput(
                f'limit must be a positive integer, not {limit!r}.')
        if sort_dir is not None and sort_dir not in SORT_DIRS:
            raise exceptions.InvalidInput(
                f'sort_dir must be one of {", ".join(SORT_DIRS)}, not '
                f'{sort_dir!r}.')
        params = {key: value for key, value in (filters or {}).items()
                  if value is not None}
        for key, value in (('limit', limit), ('marker', marker),
                           ('sort_key', sort_key), ('sort_dir', sort_dir)):
            if value is not None:
                params[key] = value
        if all_projects:
            params['all_projects'] = 'true'
        yielded = 0
        while True:
            _, body = self.http.json_request('GET', url, params=params)
            body = body or {}
            for info in body.get(items_key, []):
                yield self._resource(info)
                yielded += 1
                if limit is not None and yielded >= limit:
                    return
            next_link = body.get('next')
            if not next_link:
                return
            # Reuse our own path with the link's query, so a service
            # behind a proxy that reports another host still pages.
            next_params = http.query_of(next_link)
            if next_params == params:
                return
            params = next_params

    def _list(self, url, items_key, **kwargs):
        return list(self._iterate(url, items_key, **kwargs))
