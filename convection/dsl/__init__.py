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

"""The flow DSL: parsing, validation, the flow graph and expressions.

The usual path of a flow definition::

    document = dsl.parse(body)             # YAML/JSON text or a dict
    definition = dsl.validate(document)    # normalized; stored as is
    digest = dsl.checksum(definition)
    flow = spec.FlowSpec(definition)       # what the engine walks

and of an execution input: ``dsl.validate_input(definition, value)``.
"""

import hashlib

from oslo_serialization import jsonutils

from convection.dsl import parser
from convection.dsl import validator

parse = parser.parse
validate = validator.validate
validate_input = validator.validate_input


def checksum(definition):
    """The sha256 hex digest of a definition's canonical JSON.

    Keys are sorted and no whitespace is added, so two equal definitions
    have the same checksum whatever their key order.
    """
    canonical = jsonutils.dump_as_bytes(
        definition, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(canonical).hexdigest()
