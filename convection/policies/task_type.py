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

PREFIX = 'convection:task_type:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Register a task type run by the project\'s workers, '
                    'or a new version of it.',
        operations=[{'path': '/v1/task-types', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='List the task types of the project.',
        operations=[{'path': '/v1/task-types', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='Show a task type.',
        operations=[{'path': '/v1/task-types/{name}', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Delete a task type and all its versions.',
        operations=[{'path': '/v1/task-types/{name}',
                     'method': 'DELETE'}]),
]


def list_rules():
    return rules
