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

"""Flows and their immutable versions."""

from convectionclient.common import base
from convectionclient.common import utils

FLOWS = '/v1/flows'


class Flow(base.Resource):
    """A flow; ``version`` is set on the answer of ``create``."""

    created = None  # True: a new version was stored; False: unchanged.


class FlowVersion(base.Resource):
    pass


def flow_url(name_or_id):
    return f'{FLOWS}/{base.quote(name_or_id)}'


class FlowManager(base.Manager):
    resource_class = Flow

    def create(self, definition, visibility=None):
        """Register a flow, or a new version of it.

        :param definition: a dict, or YAML or JSON text.
        :param visibility: ``private`` (default on the service) or
            ``public``.
        :returns: the :class:`Flow`; ``flow.version`` is the version this
            call registered and ``flow.created`` is False when the document
            was identical to the latest version and nothing was stored.
        :raises: BadRequest (with ``details``) for an invalid definition.
        """
        body = {'definition': utils.definition_body(definition)}
        if visibility is not None:
            body['visibility'] = visibility
        response, flow = self._post(FLOWS, body)
        flow.created = response.status_code == 201
        return flow

    def create_from_file(self, path, visibility=None, stdin=None):
        """Register the definition in a YAML or JSON file (``-``: stdin)."""
        return self.create(utils.read_text(path, stdin), visibility)

    def validate(self, definition):
        """Validate a definition without storing anything.

        :returns: the service's answer as a dict.
        :raises: BadRequest whose ``details`` list every problem.
        """
        body = {'definition': utils.definition_body(definition)}
        _, answer = self.http.json_request('POST', f'{FLOWS}/validate',
                                           body=body)
        return answer or {}

    def list(self, limit=None, marker=None, sort_key=None, sort_dir=None,
             all_projects=False, **filters):
        """The latest version of each flow the caller can see."""
        return self._list(FLOWS, 'flows', limit=limit, marker=marker,
                          sort_key=sort_key, sort_dir=sort_dir,
                          all_projects=all_projects, filters=filters)

    def get(self, name_or_id):
        """A flow with its latest ``definition``."""
        return self._get(flow_url(name_or_id))

    def update(self, name_or_id, visibility):
        """Change who may see a flow (``public`` or ``private``)."""
        return self._patch(flow_url(name_or_id), {'visibility': visibility})

    def delete(self, name_or_id):
        """Delete a flow and all its versions.

        :raises: Conflict while executions of it are active.
        """
        self._delete(flow_url(name_or_id))


class FlowVersionManager(base.Manager):
    resource_class = FlowVersion

    def list(self, flow, limit=None, marker=None, sort_key=None,
             sort_dir=None):
        """Versions of a flow, newest first."""
        return self._list(f'{flow_url(flow)}/versions', 'versions',
                          limit=limit, marker=marker, sort_key=sort_key,
                          sort_dir=sort_dir)

    def get(self, flow, version):
        """One version of a flow, with its ``definition``."""
        return self._get(f'{flow_url(flow)}/versions/{int(version)}')
