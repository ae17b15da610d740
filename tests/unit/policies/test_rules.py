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

from oslo_config import cfg
from oslo_policy import policy as oslo_policy
import stevedore

from convection import policies
from convection.common import context
from convection.common import exception
from convection.common import policy
from tests import base

CONF = cfg.CONF

# The personas and the rules of the flow and execution APIs.
EXPECTED_RULES = {
    'project_reader', 'project_member', 'admin', 'context_is_admin',
    'convection:flow:create', 'convection:flow:validate',
    'convection:flow:list', 'convection:flow:list:all_projects',
    'convection:flow:get', 'convection:flow:update',
    'convection:flow:delete',
    'convection:execution:create', 'convection:execution:list',
    'convection:execution:list:all_projects', 'convection:execution:get',
    'convection:execution:cancel',
}


class RulesTestCase(base.TestCase):
    use_database = False

    def setUp(self):
        super().setUp()
        self.addCleanup(policy.reset)

    def test_rule_names(self):
        names = [rule.name for rule in policies.list_rules()]
        self.assertEqual(len(names), len(set(names)))
        # Other resources add their own rules; these must all be there.
        self.assertEqual(set(), EXPECTED_RULES - set(names))

    def test_api_rules_are_project_scoped_and_current(self):
        for rule in policies.list_rules():
            self.assertIsNone(rule.deprecated_rule, rule.name)
            if rule.name.startswith('convection:'):
                self.assertIsInstance(rule, oslo_policy.DocumentedRuleDefault)
                self.assertEqual(['project'], rule.scope_types, rule.name)

    def test_entry_points(self):
        rules = stevedore.DriverManager(
            'oslo.policy.policies', 'convection').driver()
        self.assertEqual(set(), EXPECTED_RULES - {rule.name for rule in rules})
        enforcer = stevedore.DriverManager(
            'oslo.policy.enforcer', 'convection').driver()
        self.assertIn('convection:flow:get', enforcer.registered_rules)

    def test_new_defaults_are_enforced(self):
        # oslo.policy always checks scope; the new defaults are not
        # loosened by deprecated rules either.
        policy.init_enforcer()
        self.assertTrue(CONF.oslo_policy.enforce_new_defaults)

    def test_personas(self):
        reader = context.RequestContext(project_id='p', roles=['reader'])
        member = context.RequestContext(project_id='p',
                                        roles=['member', 'reader'])
        admin = context.RequestContext(project_id='q', roles=['admin'])
        own = {'project_id': 'p'}
        self.assertTrue(policy.check('convection:flow:get', own, reader))
        self.assertFalse(policy.check('convection:flow:create', own, reader))
        self.assertTrue(policy.check('convection:flow:create', own, member))
        self.assertFalse(policy.check('convection:flow:get',
                                      {'project_id': 'x'}, member))
        self.assertTrue(policy.check('convection:flow:delete', own, admin))
        self.assertTrue(policy.check('context_is_admin', {}, admin))
        self.assertFalse(policy.check('context_is_admin', {}, member))

    def test_system_scope_is_refused(self):
        system_admin = context.RequestContext(system_scope='all',
                                              roles=['admin'])
        self.assertRaises(exception.PolicyNotAuthorized, policy.authorize,
                          'convection:flow:list', {'project_id': None},
                          system_admin)

    def test_operator_override_from_policy_file(self):
        policy_file = self.create_tempfiles(
            [('policy', '"convection:flow:list": "role:auditor"')],
            ext='.yaml')[0]
        self.config(policy_file=policy_file, group='oslo_policy')
        auditor = context.RequestContext(project_id='p', roles=['auditor'])
        self.assertTrue(policy.check('convection:flow:list',
                                     {'project_id': 'p'}, auditor))
