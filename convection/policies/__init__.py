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

"""oslo.policy rules in code (entry point oslo.policy.policies)."""

import itertools

from convection.policies import base
from convection.policies import execution
from convection.policies import flow
from convection.policies import queue
from convection.policies import signal
from convection.policies import task_type
from convection.policies import webhook


def list_rules():
    return list(itertools.chain(base.list_rules(),
                                flow.list_rules(),
                                execution.list_rules(),
                                task_type.list_rules(),
                                queue.list_rules(),
                                webhook.list_rules(),
                                signal.list_rules()))
