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

import copy

from convection import dsl
from convection.common import exception
from convection.tasks import base as tasks_base
from convection.tasks import builtin
from tests import base


def flow(**tasks):
    return {'version': 1, 'name': 'f', 'tasks': tasks}


class StrictTask(tasks_base.TaskType):
    input_schema = {
        'type': 'object',
        'properties': {
            'count': {'type': 'integer'},
            'servers': {'type': 'array', 'items': {'type': 'string'},
                        'maxItems': 2},
        },
        'required': ['count'],
        'additionalProperties': False,
    }

    def run(self, context, inputs):
        return tasks_base.Succeeded()


TASK_TYPES = {'echo': builtin.EchoTask(), 'noop': builtin.NoopTask(),
              'sleep': builtin.SleepTask(), 'strict': StrictTask()}


class ValidateTestCase(base.TestCase):
    use_database = False

    def errors(self, document, task_types=TASK_TYPES):
        exc = self.assertRaises(exception.InvalidFlowDefinition,
                                dsl.validate, document, task_types)
        return exc.errors

    def assertOnlyError(self, document, path, message):
        self.assertEqual([{'path': path, 'message': message}],
                         self.errors(document))

    def test_minimal_flow_is_normalized(self):
        definition = dsl.validate(flow(a={'type': 'noop'}), TASK_TYPES)
        self.assertEqual(
            {'version': 1, 'name': 'f', 'input': {'type': 'object'},
             'tasks': {'a': {'type': 'noop', 'requires': [], 'with': {}}}},
            definition)

    def test_full_flow_is_normalized(self):
        document = dsl.parse("""
version: 1
name: hello
description: Greets someone.
input:
  type: object
  properties: {who: {type: string}}
  required: [who]
output:
  greeting: "{{ tasks.greet.output.message }}"
timeout: 1h
retry: {count: 2, interval: 1s, backoff: 2.0, max_interval: 1m}
tasks:
  greet:
    type: echo
    with: {message: "Hello {{ input.who }}"}
    timeout: 1m30s
    retry: {count: 3, interval: 2.5s, backoff: 1.5}
  nap:
    type: sleep
    with: {seconds: 1}
    requires: [greet]
    timeout: 0.5
""")
        original = copy.deepcopy(document)
        definition = dsl.validate(document, TASK_TYPES)
        self.assertEqual(original, document, 'the input must not change')
        self.assertEqual(3600, definition['timeout'])
        self.assertEqual({'count': 2, 'interval': 1, 'backoff': 2.0,
                          'max_interval': 60}, definition['retry'])
        greet = definition['tasks']['greet']
        self.assertEqual(90, greet['timeout'])
        self.assertEqual({'count': 3, 'interval': 2.5, 'backoff': 1.5},
                         greet['retry'])
        self.assertEqual([], greet['requires'])
        self.assertEqual(0.5, definition['tasks']['nap']['timeout'])
        self.assertEqual(['greet', 'nap'], list(definition['tasks']))
        # Normalizing is idempotent, so stored definitions validate again.
        self.assertEqual(definition, dsl.validate(definition, TASK_TYPES))

    def test_default_task_types_come_from_the_registry(self):
        definition = dsl.validate(flow(a={'type': 'sleep',
                                          'with': {'seconds': 1}}))
        self.assertEqual('sleep', definition['tasks']['a']['type'])

    def test_required_keys(self):
        self.assertEqual(
            [{'path': 'name', 'message': "missing required key 'name'"},
             {'path': 'tasks', 'message': "missing required key 'tasks'"},
             {'path': 'version',
              'message': "missing required key 'version'"}],
            sorted(self.errors({}), key=lambda e: e['path']))

    def test_unsupported_version_is_the_only_error(self):
        self.assertOnlyError(
            {'version': 2, 'tasks': 'whatever'}, 'version',
            '2 is not a DSL version this service supports; the supported '
            'versions are: 1')
        self.assertOnlyError(
            dict(flow(a={'type': 'noop'}), version=True), 'version',
            'True is not a DSL version this service supports; the '
            'supported versions are: 1')

    def test_unknown_keys_suggest_the_right_one(self):
        document = flow(a={'type': 'noop', 'requiers': ['b']},
                        b={'type': 'noop', 'zzz': 1})
        document['tiemout'] = 5
        self.assertEqual(
            [{'path': 'tiemout',
              'message': "unknown key 'tiemout' (did you mean 'timeout'?)"},
             {'path': 'tasks.a.requiers',
              'message': "unknown key 'requiers' (did you mean "
                         "'requires'?)"},
             {'path': 'tasks.b.zzz', 'message': "unknown key 'zzz'"}],
            self.errors(document))

    def test_unknown_retry_key(self):
        self.assertOnlyError(
            flow(a={'type': 'noop', 'retry': {'count': 1, 'intervall': 1}}),
            'tasks.a.retry.intervall',
            "unknown key 'intervall' (did you mean 'interval'?)")

    def test_bad_names(self):
        document = flow(**{'a.b': {'type': 'noop'}, '1a': {'type': 'noop'}})
        document['name'] = 'no spaces'
        self.assertEqual(
            [{'path': 'name',
              'message': "'no spaces' is not a valid name: use 1 to 255 "
                         "letters, digits, \"_\", \".\" or \"-\""},
             {'path': 'tasks["a.b"]',
              'message': "'a.b' is not a valid task name: start with a "
                         "letter or \"_\" and use only letters, digits, "
                         "\"_\" or \"-\" (at most 255)"},
             {'path': 'tasks.1a',
              'message': "'1a' is not a valid task name: start with a "
                         "letter or \"_\" and use only letters, digits, "
                         "\"_\" or \"-\" (at most 255)"}],
            self.errors(document))

    def test_no_tasks(self):
        self.assertOnlyError(flow(), 'tasks',
                             '{} should be non-empty')

    def test_wrong_types(self):
        self.assertEqual(
            [{'path': 'tasks.a.requires', 'message':
              "'b' is not of type 'array'"},
             {'path': 'tasks.a.with', 'message':
              "'x' is not of type 'object'"},
             {'path': 'tasks.b', 'message':
              "'noop' is not of type 'object'"}],
            self.errors(flow(a={'type': 'noop', 'requires': 'b',
                                'with': 'x'},
                             b='noop')))

    def test_bad_durations(self):
        document = flow(a={'type': 'noop', 'timeout': '5x'},
                        b={'type': 'noop', 'timeout': 0},
                        c={'type': 'noop', 'timeout': '0s'},
                        d={'type': 'noop', 'retry': {
                            'count': 1, 'interval': '1m',
                            'max_interval': '30s'}})
        self.assertEqual(
            [{'path': 'tasks.a.timeout', 'message':
              "'5x' is not a duration: use a number of seconds or a "
              "string such as 500ms, 30s, 5m, 2h, 1d or 1h30m"},
             {'path': 'tasks.b.timeout', 'message':
              '0 is less than or equal to the minimum of 0'},
             {'path': 'tasks.c.timeout', 'message':
              "'0s' must be longer than 0 seconds"},
             {'path': 'tasks.d.retry.max_interval', 'message':
              'must not be shorter than retry.interval'}],
            self.errors(document))

    def test_retry_needs_a_count(self):
        self.assertOnlyError(
            dict(flow(a={'type': 'noop'}), retry={'interval': 1}),
            'retry.count', "missing required key 'count'")

    def test_unknown_requirement(self):
        self.assertOnlyError(
            flow(boot={'type': 'noop'},
                 wait={'type': 'noop', 'requires': ['boto']}),
            'tasks.wait.requires[0]',
            "unknown task 'boto' (did you mean 'boot'?)")

    def test_self_requirement(self):
        self.assertOnlyError(
            flow(a={'type': 'noop', 'requires': ['a']}),
            'tasks.a.requires[0]', "task 'a' cannot require itself")

    def test_duplicate_requirement(self):
        self.assertOnlyError(
            flow(a={'type': 'noop'},
                 b={'type': 'noop', 'requires': ['a', 'a']}),
            'tasks.b.requires', "['a', 'a'] has non-unique elements")

    def test_cycle_is_named(self):
        self.assertOnlyError(
            flow(a={'type': 'noop', 'requires': ['c']},
                 b={'type': 'noop', 'requires': ['a']},
                 c={'type': 'noop', 'requires': ['b']},
                 d={'type': 'noop', 'requires': ['a']}),
            'tasks.a.requires',
            'tasks require each other in a cycle: a -> c -> b -> a (each '
            'one requires the next)')

    def test_each_cycle_is_reported_once(self):
        errors = self.errors(flow(
            a={'type': 'noop', 'requires': ['b']},
            b={'type': 'noop', 'requires': ['a']},
            x={'type': 'noop', 'requires': ['a', 'y']},
            y={'type': 'noop', 'requires': ['x']},
            ok={'type': 'noop'}))
        self.assertEqual(
            ['tasks require each other in a cycle: a -> b -> a (each one '
             'requires the next)',
             'tasks require each other in a cycle: x -> y -> x (each one '
             'requires the next)'],
            [e['message'] for e in errors])

    def test_long_chain_is_no_cycle(self):
        tasks = {f't{i}': {'type': 'noop', 'requires': [f't{i - 1}']}
                 for i in range(1, 1000)}
        tasks['t0'] = {'type': 'noop'}
        definition = dsl.validate(flow(**tasks), TASK_TYPES)
        self.assertEqual(1000, len(definition['tasks']))

    def test_unknown_task_type_lists_known_ones(self):
        self.assertOnlyError(
            flow(a={'type': 'ecko'}), 'tasks.a.type',
            "unknown task type 'ecko' (did you mean 'echo'?); the known "
            "types are: echo, noop, sleep, strict")

    def test_too_many_tasks(self):
        self.config(max_tasks=2, group='dsl')
        self.assertOnlyError(
            flow(a={'type': 'noop'}, b={'type': 'noop'}, c={'type': 'noop'}),
            'tasks', 'the flow has 3 tasks; the limit is 2')

    def test_task_inputs_against_the_type_schema(self):
        self.assertEqual(
            [{'path': 'tasks.a.with.count',
              'message': "missing required key 'count'"},
             {'path': 'tasks.a.with.cuont',
              'message': "unknown input 'cuont' for task type 'strict' "
                         "(did you mean 'count'?)"},
             {'path': 'tasks.b.with.count',
              'message': "'1' is not of type 'integer'"},
             {'path': 'tasks.b.with.servers[0]',
              'message': "3 is not of type 'string'"},
             {'path': 'tasks.n.with.x',
              'message': "unknown input 'x' for task type 'noop'"}],
            self.errors(flow(
                a={'type': 'strict', 'with': {'cuont': 1}},
                b={'type': 'strict', 'with': {'count': '1',
                                              'servers': [3, 'a']}},
                n={'type': 'noop', 'with': {'x': 1}})))

    def test_expression_values_are_checked_at_run_time(self):
        dsl.validate(flow(a={'type': 'strict', 'with': {
            'count': '{{ input.n }}',
            'servers': ['{{ input.s }}', 'b'],
        }}), TASK_TYPES)

    def test_expression_does_not_excuse_missing_or_unknown_keys(self):
        self.assertEqual(
            [{'path': 'tasks.a.with.count',
              'message': "missing required key 'count'"},
             {'path': 'tasks.a.with.other',
              'message': "unknown input 'other' for task type 'strict'"}],
            self.errors(flow(a={'type': 'strict', 'with': {
                'other': '{{ input.n }}'}})))

    def test_expression_syntax(self):
        document = flow(a={'type': 'echo', 'with': {
            'list': ['ok {{ input.x }}', '{{ input.x ']}})
        document['output'] = {'r': '{{ x|nosuchfilter }}'}
        self.assertEqual(
            [{'path': 'tasks.a.with.list[1]',
              'message': "invalid expression '{{ input.x ': unexpected "
                         "end of template, expected 'end of print "
                         "statement'. (line 1)"},
             {'path': 'output.r',
              'message': "invalid expression '{{ x|nosuchfilter }}': No "
                         "filter named 'nosuchfilter'. (line 1)"}],
            self.errors(document))

    def test_reference_to_unknown_task(self):
        document = flow(boot={'type': 'noop'},
                        a={'type': 'echo', 'requires': ['boot'],
                           'with': {'m': '{{ tasks.bot.output }}'}})
        document['output'] = "{{ tasks['nope'].output }}"
        self.assertEqual(
            [{'path': 'tasks.a.with.m',
              'message': "reads task 'bot', which this flow does not "
                         "define (did you mean 'boot'?)"},
             {'path': 'output',
              'message': "reads task 'nope', which this flow does not "
                         "define"}],
            self.errors(document))

    def test_reference_to_itself(self):
        self.assertOnlyError(
            flow(a={'type': 'echo', 'with': {'m': '{{ tasks.a.output }}'}}),
            'tasks.a.with.m', "task 'a' cannot read its own result")

    def test_reference_needs_a_requirement(self):
        self.assertOnlyError(
            flow(a={'type': 'noop'}, b={'type': 'noop'},
                 c={'type': 'echo', 'requires': ['b'],
                    'with': {'m': 'x{{ tasks.a.output }}'}}),
            'tasks.c.with.m',
            "reads task 'a' but does not require it, so it may run before "
            "'a' ends; add 'a' to tasks.c.requires")

    def test_transitive_requirement_is_enough(self):
        dsl.validate(flow(
            a={'type': 'noop'},
            b={'type': 'noop', 'requires': ['a']},
            c={'type': 'echo', 'requires': ['b'],
               'with': {'m': '{{ tasks.a.output }}'}}), TASK_TYPES)

    def test_output_may_read_any_task(self):
        document = flow(a={'type': 'noop'}, b={'type': 'noop'})
        document['output'] = ['{{ tasks.a.state }}', '{{ tasks.b.output }}']
        dsl.validate(document, TASK_TYPES)

    def test_input_schema_must_be_a_valid_schema(self):
        document = flow(a={'type': 'noop'})
        document['input'] = {'type': 'object',
                             'properties': {'n': {'type': 'integr'}},
                             'required': 'n'}
        errors = self.errors(document)
        self.assertEqual(['input.properties.n.type', 'input.required'],
                         [e['path'] for e in errors])

    def test_input_schema_must_describe_an_object(self):
        self.assertOnlyError(
            dict(flow(a={'type': 'noop'}), input={'type': 'string'}),
            'input.type',
            "an execution input is a JSON object: the type must be "
            "'object'")

    def test_input_schema_refuses_remote_references(self):
        self.assertOnlyError(
            dict(flow(a={'type': 'noop'}), input={
                'type': 'object',
                'properties': {'a': {'$ref': 'http://169.254.169.254/x'}}}),
            'input.properties.a["$ref"]',
            "only references inside the schema ('#/...') are allowed, not "
            "'http://169.254.169.254/x'")

    def test_all_problems_are_reported_together(self):
        document = flow(a={'type': 'ecko', 'requires': ['zz']},
                        b={'type': 'noop', 'timout': 1})
        document['name'] = ''
        self.assertEqual(
            ['name', 'tasks.b.timout', 'tasks.a.requires[0]',
             'tasks.a.type'],
            [e['path'] for e in self.errors(document)])

    def test_not_a_mapping(self):
        self.assertOnlyError([], '', 'a flow definition must be a mapping')


class ChecksumTestCase(base.TestCase):
    use_database = False

    def test_key_order_does_not_matter(self):
        one = {'b': 1, 'a': {'y': [1, 2], 'x': 'é'}}
        two = {'a': {'x': 'é', 'y': [1, 2]}, 'b': 1}
        self.assertEqual(dsl.checksum(one), dsl.checksum(two))
        self.assertEqual(64, len(dsl.checksum(one)))

    def test_content_matters(self):
        self.assertNotEqual(dsl.checksum({'a': [1, 2]}),
                            dsl.checksum({'a': [2, 1]}))

    def test_known_value(self):
        # sha256 of '{"a":1,"b":"x"}': the canonical form is stable.
        self.assertEqual(
            'ecf9e98ec0641e23113ff3ce8bdc78d0ddd249886517fd4a7f68cc83d4e65667',
            dsl.checksum({'b': 'x', 'a': 1}))


class ValidateInputTestCase(base.TestCase):
    use_database = False

    def setUp(self):
        super().setUp()
        self.definition = dsl.validate(dict(
            flow(a={'type': 'noop'}),
            input={'type': 'object',
                   'properties': {
                       'who': {'type': 'string'},
                       'count': {'type': 'integer', 'default': 3},
                       'opts': {'type': 'object', 'properties': {
                           'loud': {'type': 'boolean', 'default': False}},
                           'default': {}}},
                   'required': ['who'],
                   'additionalProperties': False}), TASK_TYPES)

    def test_valid_input_gets_defaults(self):
        value = {'who': 'Ann'}
        self.assertEqual(
            {'who': 'Ann', 'count': 3, 'opts': {'loud': False}},
            dsl.validate_input(self.definition, value))
        self.assertEqual({'who': 'Ann'}, value, 'the input must not change')

    def test_given_values_win_over_defaults(self):
        self.assertEqual(
            {'who': 'Ann', 'count': 1, 'opts': {'loud': True}},
            dsl.validate_input(self.definition, {
                'who': 'Ann', 'count': 1, 'opts': {'loud': True}}))

    def test_errors_name_their_path(self):
        exc = self.assertRaises(
            exception.InvalidExecutionInput, dsl.validate_input,
            self.definition, {'count': 'x', 'opts': {'loud': 1}, 'z': 1})
        self.assertEqual(400, exc.code)
        message = str(exc)
        for fragment in ("input.count: 'x' is not of type 'integer'",
                         "input.opts.loud: 1 is not of type 'boolean'",
                         "input.who: missing required key 'who'",
                         "input.z: unknown key 'z'"):
            self.assertIn(fragment, message)

    def test_none_is_an_empty_object(self):
        definition = dsl.validate(flow(a={'type': 'noop'}), TASK_TYPES)
        self.assertEqual({}, dsl.validate_input(definition, None))

    def test_not_an_object(self):
        definition = dsl.validate(flow(a={'type': 'noop'}), TASK_TYPES)
        exc = self.assertRaises(exception.InvalidExecutionInput,
                                dsl.validate_input, definition, [1])
        self.assertIn("[1] is not of type 'object'", str(exc))

    def test_size_limit(self):
        self.config(max_input_size=1024, group='dsl')
        self.assertRaises(exception.RequestEntityTooLarge,
                          dsl.validate_input, self.definition,
                          {'who': 'x' * 1100})
