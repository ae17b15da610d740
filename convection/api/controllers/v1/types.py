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

"""WSME types shared by the v1 resources."""

import datetime
import functools
import inspect

from oslo_serialization import jsonutils
from wsme import types as wtypes

from convection.common import exception
from convection.i18n import _


class JsonType(wtypes.UserType):
    """Any JSON value: object, array, string, number, boolean or null."""

    basetype = wtypes.text
    name = 'json'

    def validate(self, value):
        try:
            jsonutils.dumps(value)
        except (TypeError, ValueError):
            raise exception.Invalid(
                reason=_('%s is not a JSON value.') % type(value).__name__)
        return value

    def frombasetype(self, value):
        return self.validate(value)


class JsonObjectType(JsonType):
    """A JSON object (a dict)."""

    name = 'json_object'

    def validate(self, value):
        if not isinstance(value, dict):
            raise exception.Invalid(
                reason=_('expected a JSON object, got %s.')
                % _json_kind(value))
        return super().validate(value)


class DefinitionType(JsonType):
    """A flow document: a JSON object, or its YAML or JSON text."""

    name = 'definition'

    def validate(self, value):
        if not isinstance(value, (dict, str)):
            raise exception.Invalid(
                reason=_('a flow definition is a JSON object or a YAML or '
                         'JSON string, not %s.') % _json_kind(value))
        return super().validate(value)


def _json_kind(value):
    kinds = {dict: 'an object', list: 'an array', str: 'a string',
             bool: 'a boolean', int: 'a number', float: 'a number'}
    if value is None:
        return 'null'
    return kinds.get(type(value), type(value).__name__)


jsontype = JsonType()
json_object = JsonObjectType()
definition = DefinitionType()


class Link(wtypes.Base):
    """A link to a resource."""

    href = wtypes.text
    rel = wtypes.text

    @classmethod
    def make(cls, href, rel='self'):
        return cls(href=href, rel=rel)


class APIBase(wtypes.Base):
    """Base of the v1 resources: built from the DB API's plain dicts."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # WSME renders attributes in the order they are declared. Told
        # nothing, it finds that order by parsing the module's source with
        # inspect, once per type: seconds of every API process's start.
        # Class bodies keep their order (vars), so give it.
        order = []
        for klass in cls.__mro__:
            for name in vars(klass):
                if name.startswith('_') or name in order:
                    continue
                value = getattr(cls, name)
                if wtypes.iswsattr(value) and not inspect.isroutine(value):
                    order.append(name)
        cls._wsme_attr_order = order

    @classmethod
    def from_dict(cls, values):
        """Build the resource from the attributes it declares."""
        known = {attr.key for attr in cls._wsme_attributes}
        return cls(**{key: value for key, value in values.items()
                      if key in known})

    @classmethod
    def plain(cls, values):
        """The resource's JSON form, built straight from a DB API dict.

        The same as WSME's rendering of ``from_dict(values)``, for the
        lists: setting each attribute of a WSME object validates it and
        rendering walks the type again, about 1 ms per item, while the DB
        API already returns the declared types. Attributes of a complex
        type (``links``) must be given in their JSON form.
        """
        result = {}
        for key, name, convert in _plain_fields(cls):
            if key in values:
                value = values[key]
                if convert is not None and value is not None:
                    value = convert(value)
                result[name] = value
        return result


def _datetime_json(value):
    return value.isoformat()


@functools.cache
def _plain_fields(cls):
    """``(key, JSON name, converter or None)`` of each attribute of cls.

    In WSME's attribute order, so that the JSON keys keep theirs.
    """
    fields = []
    for attr in cls._wsme_attributes:
        convert = None
        if attr.datatype is datetime.datetime:
            convert = _datetime_json
        elif attr.datatype is float:
            # WSME promotes an int to a float.
            convert = float
        fields.append((attr.key, attr.name, convert))
    return tuple(fields)
