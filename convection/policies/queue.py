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

PREFIX = 'convection:queue:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'claim',
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        scope_types=['project'],
        description='Claim work items of a queue of the project, and '
                    'heartbeat, complete or fail the claims.',
        operations=[
            {'path': '/v1/queues/{queue}/claims', 'method': 'POST'},
            {'path': '/v1/claims/{token}/heartbeat', 'method': 'POST'},
            {'path': '/v1/claims/{token}/complete', 'method': 'POST'},
            {'path': '/v1/claims/{token}/fail', 'method': 'POST'},
        ]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'get',
        check_str=base.PROJECT_READER_OR_ADMIN,
        scope_types=['project'],
        description='Show the backlog, items in flight and live workers '
                    'of a queue of the project.',
        operations=[{'path': '/v1/queues/{queue}', 'method': 'GET'}]),
]


def list_rules():
    return rules
