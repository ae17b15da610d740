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

PREFIX = 'convection:webhook:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Register a webhook told about state changes.',
        operations=[{'path': '/v1/webhooks', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='List the webhooks of the project.',
        operations=[{'path': '/v1/webhooks', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='Show a webhook and its delivery log.',
        operations=[
            {'path': '/v1/webhooks/{id}', 'method': 'GET'},
            {'path': '/v1/webhooks/{id}/deliveries', 'method': 'GET'},
        ]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Delete a webhook and its delivery log.',
        operations=[{'path': '/v1/webhooks/{id}', 'method': 'DELETE'}]),
]


def list_rules():
    return rules
