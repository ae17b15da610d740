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

"""The task type plugin interface.

A task type is a class registered under the ``convection.task_types``
stevedore namespace. The conductor calls :meth:`TaskType.run` with the
task's rendered inputs; ``run`` returns one of three results:

* :class:`Succeeded` - the task is done, with an output;
* :class:`Failed` - the task failed; ``retryable`` tells the flow's retry
  policy whether another attempt may help;
* :class:`Wait` - call ``run`` again in ``delay`` seconds with
  ``run_state``. Long tasks (sleep, waiting for a Heat stack or a Nova
  server) never hold a thread: the engine keeps ``run_state`` and a durable
  timer in the database, so a restarted service resumes where it was.
"""

import abc
import dataclasses
from typing import Any

import jsonschema


@dataclasses.dataclass(frozen=True)
class Succeeded:
    output: Any = None


@dataclasses.dataclass(frozen=True)
class Failed:
    message: str
    # A short machine-readable kind, matched by ``retry: {on: [...]}``.
    error_type: str = 'TaskError'
    retryable: bool = True
    details: Any = None


@dataclasses.dataclass(frozen=True)
class Wait:
    delay: float
    run_state: Any = None


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What a task type knows about the task it runs."""

    execution_id: str
    task_id: str
    task_name: str
    attempt: int
    project_id: str
    user_id: str | None
    # Set once a run returned Wait: what that run handed over.
    run_state: Any = None
    # The Keystone trust the execution acts through, when it has one.
    trust_id: str | None = None


class TaskType(metaclass=abc.ABCMeta):
    """Base class of every task type."""

    #: Name used in the DSL's ``type:``; set by the registry from the
    #: entry point name.
    name: str = None

    #: JSON Schema of the task's ``with:`` inputs (after rendering).
    input_schema: dict = {'type': 'object'}

    #: JSON Schema of the task's output, or None if it is free-form.
    output_schema: dict | None = None

    def validate_input(self, inputs):
        """Check rendered inputs against :attr:`input_schema`.

        :raises: jsonschema.ValidationError
        """
        # The engine validates every task it starts: check the schema and
        # build its validator once per task type, not once per call as
        # jsonschema.validate() would.
        validator = self.__dict__.get('_input_validator')
        if validator is None or validator.schema is not self.input_schema:
            cls = jsonschema.validators.validator_for(self.input_schema)
            cls.check_schema(self.input_schema)
            validator = cls(self.input_schema)
            self._input_validator = validator
        error = jsonschema.exceptions.best_match(
            validator.iter_errors(inputs))
        if error is not None:
            raise error

    @abc.abstractmethod
    def run(self, context: RunContext, inputs: dict):
        """Run (or resume) the task.

        :returns: :class:`Succeeded`, :class:`Failed` or :class:`Wait`.
        """

    def cancel(self, context: RunContext, inputs: dict):
        """Clean up after a task that was cancelled or timed out.

        The default does nothing; types that create things (stacks,
        servers) may delete them when the flow asks for it.
        """
