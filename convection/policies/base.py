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

"""Personas shared by every rule.

The three personas follow Keystone's default roles: a project reader may
look, a project member may change, an admin may do anything anywhere.
Keystone's implied roles make every member a reader and every admin a
member, so rules name only the weakest persona they accept.
"""

from oslo_policy import policy

PROJECT_READER = 'role:reader and project_id:%(project_id)s'
PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
ADMIN = 'role:admin'

RULE_PROJECT_READER = 'rule:project_reader'
RULE_PROJECT_MEMBER = 'rule:project_member'
RULE_ADMIN = 'rule:admin'

PROJECT_READER_OR_ADMIN = f'{RULE_PROJECT_READER} or {RULE_ADMIN}'
PROJECT_MEMBER_OR_ADMIN = f'{RULE_PROJECT_MEMBER} or {RULE_ADMIN}'

rules = [
    policy.RuleDefault(
        name='project_reader',
        check_str=PROJECT_READER,
        description='A reader of the project that owns the resource.'),
    policy.RuleDefault(
        name='project_member',
        check_str=PROJECT_MEMBER,
        description='A member of the project that owns the resource.'),
    policy.RuleDefault(
        name='admin',
        check_str=ADMIN,
        description='A cloud administrator.'),
    policy.RuleDefault(
        name='context_is_admin',
        check_str=RULE_ADMIN,
        description='Who the service treats as an administrator.'),
]


def list_rules():
    return rules
