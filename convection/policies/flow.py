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

PREFIX = 'convection:flow:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Register a flow, or a new version of a flow.',
        operations=[{'path': '/v1/flows', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'validate',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='Validate a flow definition without storing it.',
        operations=[{'path': '/v1/flows/validate', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='List the flows of the project and the public flows.',
        operations=[{'path': '/v1/flows', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list:all_projects',
        check_str=base.RULE_ADMIN,
        scope_types=['project'],
        description='List the flows of every project.',
        operations=[{'path': '/v1/flows?all_projects=true',
                     'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='Show a flow and its versions.',
        operations=[
            {'path': '/v1/flows/{name_or_id}', 'method': 'GET'},
            {'path': '/v1/flows/{name_or_id}/versions', 'method': 'GET'},
            {'path': '/v1/flows/{name_or_id}/versions/{version}',
             'method': 'GET'},
        ]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'update',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Change the visibility of a flow.',
        operations=[{'path': '/v1/flows/{name_or_id}', 'method': 'PATCH'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Delete a flow and all its versions.',
        operations=[{'path': '/v1/flows/{name_or_id}', 'method': 'DELETE'}]),
]


def list_rules():
    return rules
