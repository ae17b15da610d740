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

"""Secret execution inputs, masked wherever they are shown.

A property of a flow's input schema marked ``"secret": true`` holds a
secret (a password, a token). Its value is given to the tasks that use it
but is never returned in clear: the API replaces it with ``***`` in the
execution's input, and wherever it appears (whole or inside a string) in
outputs, errors, task inputs, the execution context and event details.
"""

MASK = '***'


def secret_keys(input_schema):
    """Names of the top-level input properties marked ``secret: true``."""
    properties = (input_schema or {}).get('properties') or {}
    return frozenset(name for name, prop in properties.items()
                     if isinstance(prop, dict) and prop.get('secret') is True)


def secret_values(keys, execution_input):
    """The secret values of an execution input, longest first."""
    values = set()
    for key in keys:
        value = (execution_input or {}).get(key)
        if isinstance(value, (str, int, float)) and \
                not isinstance(value, bool) and str(value) != '':
            values.add(value)
    return sorted(values, key=lambda v: -len(str(v)))


def mask(value, secrets):
    """``value`` with every secret replaced by ``***``.

    Strings are masked where a secret string appears in them; other
    values where they equal a secret. ``value`` is not changed.
    """
    if not secrets:
        return value
    if isinstance(value, dict):
        return {key: mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            if isinstance(secret, str):
                value = value.replace(secret, MASK)
            elif value == str(secret):
                return MASK
        return value
    if not isinstance(value, bool) and value in secrets:
        return MASK
    return value


def mask_input(keys, execution_input, secrets):
    """An execution input with its secret properties shown as ``***``."""
    if not execution_input or not keys:
        return mask(execution_input, secrets)
    masked = {key: MASK if key in keys else value
              for key, value in execution_input.items()}
    return mask(masked, secrets)
