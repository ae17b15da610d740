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

from oslo_policy import policy

from convection.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name='convection:execution:signal',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Send a signal to a running execution, for its wait '
                    'tasks.',
        operations=[{'path': '/v1/executions/{id}/signals/{name}',
                     'method': 'POST'}]),
]


def list_rules():
    return rules
