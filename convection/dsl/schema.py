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

"""The JSON Schema of flow definitions, DSL version 1.

A new key is one property here, plus its meaning in the validator, the
normalizer and :mod:`convection.dsl.spec`. Keys whose values hold
expressions are listed in :data:`TASK_EXPRESSION_KEYS` and
:data:`FLOW_EXPRESSION_KEYS` so that their syntax and task references are
checked without more code. Unknown keys are refused everywhere.

A subschema may carry ``x-message``: the error shown when a value fails
it, instead of the validator's generic one.
"""

import re

from convection.i18n import _

SUPPORTED_VERSIONS = (1,)

NAME_PATTERN = r'^[A-Za-z0-9_.-]{1,255}$'
# Task names appear in expressions (tasks.<name>.output): no dots.
TASK_NAME_PATTERN = r'^[A-Za-z_][A-Za-z0-9_-]{0,254}$'

# In milliseconds, so that 300ms is exactly the float 0.3.
_UNITS_MS = {'ms': 1, 's': 1000, 'm': 60000, 'h': 3600000, 'd': 86400000}
DURATION_PATTERN = r'^(?:\d+(?:\.\d+)?(?:ms|[smhd]))+$'
_DURATION_PART = re.compile(r'(\d+(?:\.\d+)?)(ms|[smhd])')

# Keys of a task and of the flow whose values are rendered.
TASK_EXPRESSION_KEYS = ('with', 'when', 'publish', 'with_items')
FLOW_EXPRESSION_KEYS = ('output', 'repeat')
# Keys holding a duration, normalized to seconds.
TASK_DURATION_KEYS = ('timeout', 'queue_timeout')
FLOW_DURATION_KEYS = ('timeout', 'run_for')

JOIN_ALL = 'all'
JOIN_ANY = 'any'


def _duration(minimum=0, exclusive=False):
    schema = {
        'type': ['number', 'string'],
        'pattern': DURATION_PATTERN,
        'x-message': _('is not a duration: use a number of seconds or a '
                       'string such as 500ms, 30s, 5m, 2h, 1d or 1h30m'),
    }
    schema['exclusiveMinimum' if exclusive else 'minimum'] = minimum
    return schema


RETRY = {
    'type': 'object',
    'properties': {
        'count': {'type': 'integer', 'minimum': 0, 'maximum': 1000},
        'interval': _duration(),
        'backoff': {'type': 'number', 'minimum': 1},
        'max_interval': _duration(),
        # Fraction of each delay drawn at random: 0.2 waits 80-100 %.
        'jitter': {'type': 'number', 'minimum': 0, 'maximum': 1},
        # Error types worth a retry; absent: every retryable error.
        'on': {
            'type': 'array',
            'items': {'type': 'string', 'minLength': 1},
            'minItems': 1,
            'uniqueItems': True,
        },
    },
    'required': ['count'],
    'additionalProperties': False,
}

TASK = {
    'type': 'object',
    'properties': {
        'type': {'type': 'string', 'minLength': 1},
        'description': {'type': 'string'},
        'with': {'type': 'object'},
        'requires': {
            'type': 'array',
            'items': {'type': 'string'},
            'uniqueItems': True,
        },
        'timeout': _duration(exclusive=True),
        # The longest a task of a tenant task type may wait in its work
        # queue before a worker claims it.
        'queue_timeout': _duration(exclusive=True),
        'retry': RETRY,
        # An expression: false (or empty) skips the task.
        'when': {'type': ['string', 'boolean']},
        'join': {'enum': [JOIN_ALL, JOIN_ANY]},
        'continue_on_failure': {'type': 'boolean'},
        'on_failure': {
            'type': 'array',
            'items': {'type': 'string'},
            'minItems': 1,
            'uniqueItems': True,
        },
        # A list (or an expression giving one): one task instance each.
        'with_items': {'type': ['string', 'array']},
        'concurrency': {'type': 'integer', 'minimum': 1},
        # Context key -> expression, rendered when the task succeeded.
        'publish': {
            'type': 'object',
            'propertyNames': {
                'pattern': TASK_NAME_PATTERN,
                'x-message': _('is not a valid context key: start with a '
                               'letter or "_" and use only letters, digits, '
                               '"_" or "-"'),
            },
        },
    },
    'required': ['type'],
    'additionalProperties': False,
}

FLOW = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    'type': 'object',
    'properties': {
        'version': {
            'enum': list(SUPPORTED_VERSIONS),
            'x-message': _('is not a DSL version this service supports; '
                           'the supported versions are: %s') % ', '.join(
                str(v) for v in SUPPORTED_VERSIONS),
        },
        'name': {
            'type': 'string',
            'pattern': NAME_PATTERN,
            'x-message': _('is not a valid name: use 1 to 255 letters, '
                           'digits, "_", "." or "-"'),
        },
        'description': {'type': 'string'},
        'input': {'type': 'object'},
        'output': {},
        'timeout': _duration(exclusive=True),
        # Ends the execution SUCCEEDED once this long has passed.
        'run_for': _duration(exclusive=True),
        # Runs the tasks again and again: a persistent job.
        'repeat': {
            'type': 'object',
            'properties': {
                'every': _duration(exclusive=True),
                'until': {'type': 'string'},
                'max_iterations': {'type': 'integer', 'minimum': 1},
                # Iterations whose task events are kept.
                'keep': {'type': 'integer', 'minimum': 1, 'maximum': 1000},
            },
            'required': ['every'],
            'additionalProperties': False,
        },
        'retry': RETRY,
        'tasks': {
            'type': 'object',
            'minProperties': 1,
            'propertyNames': {
                'pattern': TASK_NAME_PATTERN,
                'x-message': _('is not a valid task name: start with a '
                               'letter or "_" and use only letters, digits, '
                               '"_" or "-" (at most 255)'),
            },
            'additionalProperties': TASK,
        },
    },
    'required': ['version', 'name', 'tasks'],
    'additionalProperties': False,
}


def to_seconds(value):
    """A duration (seconds, or a string such as ``1h30m``) in seconds.

    The value must already match :func:`_duration`'s schema. Whole numbers
    come back as ``int``.
    """
    if isinstance(value, str):
        value = sum(float(number) * _UNITS_MS[unit] for number, unit
                    in _DURATION_PART.findall(value)) / 1000
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
