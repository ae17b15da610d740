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

"""Helpers to read flow definitions and inputs from text and files."""

import sys

import yaml

from convectionclient import exceptions


def read_text(path, stdin=None):
    """Return the text of a file; ``-`` reads standard input.

    :raises: InvalidDefinition if the file cannot be read.
    """
    if path == '-':
        return (stdin or sys.stdin).read()
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise exceptions.InvalidDefinition(
            f'Cannot read {path}: {e}') from e


def parse_document(text, what='document'):
    """Parse YAML (JSON is YAML) text into a dict.

    :raises: InvalidDefinition when the text is not YAML or not a mapping.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise exceptions.InvalidDefinition(
            f'The {what} is not valid YAML or JSON: {e}') from e
    if not isinstance(document, dict):
        raise exceptions.InvalidDefinition(
            f'The {what} must be a mapping, not '
            f'{type(document).__name__}.')
    return document


def parse_value(text, what='value'):
    """Parse YAML (JSON is YAML) text into any value.

    :raises: InvalidInput when the text is not YAML.
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise exceptions.InvalidInput(
            f'The {what} is not valid YAML or JSON: {e}') from e


def definition_body(definition):
    """Return the ``definition`` value to send for a dict or text.

    Text is sent as it is, so the service stores the author's YAML; it is
    still parsed here first so that a syntax error is reported before any
    request is made.
    """
    if isinstance(definition, dict):
        return definition
    if isinstance(definition, bytes):
        definition = definition.decode('utf-8')
    if isinstance(definition, str):
        parse_document(definition, 'flow definition')
        return definition
    raise exceptions.InvalidDefinition(
        'A flow definition must be a dict or YAML/JSON text, not '
        f'{type(definition).__name__}.')


def parse_assignment(text):
    """Parse ``key=value``; the value is read as YAML (``n=3`` is 3).

    :raises: InvalidInput without an ``=``.
    """
    key, sep, value = text.partition('=')
    if not sep or not key:
        raise exceptions.InvalidInput(
            f'Expected KEY=VALUE, got {text!r}.')
    try:
        return key, yaml.safe_load(value) if value else ''
    except yaml.YAMLError:
        return key, value
