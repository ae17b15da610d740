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

"""Base of the list responses: ``{"<items>": [...], "next": url}``."""

from wsme import types as wtypes
import wsme.api

from convection.api.controllers.v1 import types
from convection.api.controllers.v1 import utils


class Collection(types.APIBase):
    """A page of items; ``next`` is absent on the last page.

    The subclasses document the lists' schema; their pages are rendered
    from plain dicts (see ``make``).
    """

    next = wtypes.text
    """The URL of the next page."""

    # The attribute holding the items; set by subclasses.
    _items_name = None

    @classmethod
    def make(cls, items, more, path, limit, marker_key='id', **query):
        """Build a page, as the response of a method exposed with cls.

        The page skips WSME's per-attribute validation and rendering,
        which cost about 1 ms per item: the items come in their JSON form,
        from ``APIBase.plain``.

        :param items: the JSON form of the resources on this page.
        :param more: whether another page follows.
        :param path: the list's path parts under /v1, for the next link.
        :param marker_key: the attribute the next page starts after.
        :param query: the other query parameters, repeated in ``next``.
        """
        page = {cls._items_name: items}
        if more and items:
            page['next'] = utils.url(*path, limit=limit,
                                     marker=items[-1][marker_key], **query)
        # Rendered as is: json.dumps of the dict.
        return wsme.api.Response(page, status_code=200,
                                 return_type=types.jsontype)
