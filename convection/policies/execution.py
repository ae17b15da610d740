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

PREFIX = 'convection:execution:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Start an execution of a flow.',
        operations=[{'path': '/v1/executions', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='List the executions of the project.',
        operations=[{'path': '/v1/executions', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list:all_projects',
        check_str=base.RULE_ADMIN,
        scope_types=['project'],
        description='List the executions of every project.',
        operations=[{'path': '/v1/executions?all_projects=true',
                     'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='Show an execution, its tasks and its events.',
        operations=[
            {'path': '/v1/executions/{id}', 'method': 'GET'},
            {'path': '/v1/executions/{id}/tasks', 'method': 'GET'},
            {'path': '/v1/executions/{id}/events', 'method': 'GET'},
        ]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'cancel',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Cancel an execution that has not finished.',
        operations=[{'path': '/v1/executions/{id}/cancel',
                     'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'pause',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Pause a running execution.',
        operations=[{'path': '/v1/executions/{id}/pause',
                     'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'resume',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Resume a paused execution.',
        operations=[{'path': '/v1/executions/{id}/resume',
                     'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'retry',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Run a failed or timed-out execution again from the '
                    'tasks that did not succeed.',
        operations=[{'path': '/v1/executions/{id}/retry',
                     'method': 'POST'}]),
]


def list_rules():
    return rules
