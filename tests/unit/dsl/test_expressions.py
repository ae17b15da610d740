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

import time

from convection.common import exception
from convection.dsl import expressions
from tests import base

SCOPE = {
    'input': {'who': 'Ann', 'n': 3, 'servers': ['a', 'b'],
              'items': 'the key, not dict.items'},
    'tasks': {'greet': {'output': {'message': 'hi', 'list': [1, 2]},
                        'state': 'SUCCEEDED'}},
    'execution': {'id': 'e1'},
}


class RenderTestCase(base.TestCase):
    use_database = False

    def assertExpressionError(self, source, *fragments, scope=SCOPE):
        exc = self.assertRaises(exception.ExpressionError,
                                expressions.render, source, scope)
        self.assertEqual(400, exc.code)
        self.assertIn(repr(source), str(exc))
        for fragment in fragments:
            self.assertIn(fragment, str(exc))
        return exc

    def test_plain_values_are_returned_as_they_are(self):
        value = {'a': 'text', 'b': 1, 'c': [True, None, 2.5, {'d': 'e'}],
                 'braces': '{not a template}'}
        self.assertEqual(value, expressions.render(value, SCOPE))

    def test_text_rendering(self):
        self.assertEqual('Hello Ann, 3 servers',
                         expressions.render(
                             'Hello {{ input.who }}, {{ input.n }} servers',
                             SCOPE))

    def test_single_expression_is_native(self):
        self.assertEqual(3, expressions.render('{{ input.n }}', SCOPE))
        self.assertEqual(['a', 'b'],
                         expressions.render('{{ input.servers }}', SCOPE))
        self.assertEqual({'message': 'hi', 'list': [1, 2]},
                         expressions.render('{{ tasks.greet.output }}',
                                            SCOPE))
        self.assertIs(True, expressions.render('{{ input.n > 2 }}', SCOPE))
        self.assertIsNone(expressions.render('{{ none }}', SCOPE))

    def test_surrounding_text_makes_a_string(self):
        self.assertEqual(' 3', expressions.render(' {{ input.n }}', SCOPE))
        self.assertEqual('33', expressions.render('{{ input.n }}{{ input.n }}',
                                                  SCOPE))

    def test_generators_become_lists(self):
        self.assertEqual([0, 1, 2], expressions.render('{{ range(3) }}',
                                                       SCOPE))
        self.assertEqual(['A', 'B'], expressions.render(
            '{{ input.servers|map("upper") }}', SCOPE))

    def test_recursive_rendering_does_not_change_the_value(self):
        value = {'m': ['{{ input.who }}', {'k': '{{ execution.id }}'}]}
        self.assertEqual({'m': ['Ann', {'k': 'e1'}]},
                         expressions.render(value, SCOPE))
        self.assertEqual('{{ input.who }}', value['m'][0])

    def test_keys_are_not_rendered(self):
        self.assertEqual({'{{ input.who }}': 'Ann'}, expressions.render(
            {'{{ input.who }}': '{{ input.who }}'}, SCOPE))

    def test_dict_keys_win_over_dict_methods(self):
        self.assertEqual('the key, not dict.items',
                         expressions.render('{{ input.items }}', SCOPE))

    def test_loops_and_filters(self):
        self.assertEqual('a,b;', expressions.render(
            '{% for s in input.servers %}{{ s }}{{ "," if not loop.last '
            '}}{% endfor %};', SCOPE))
        self.assertEqual('a-b', expressions.render(
            '{{ input.servers|join("-") }}', SCOPE))
        self.assertEqual('Ann:3', expressions.render(
            '{{ "%s:%d"|format(input.who, input.n) }}', SCOPE))
        self.assertEqual('ANN', expressions.render(
            '{{ "{}".format(input.who)|upper }}', SCOPE))

    def test_missing_key_is_named(self):
        self.assertExpressionError('{{ tasks.greet.output.mesage }}',
                                   "tasks.greet.output has no key 'mesage'")
        self.assertExpressionError('Hi {{ input["whom"] }}',
                                   "input has no key 'whom'")
        self.assertExpressionError('{{ tasks.greet.output.list[5] }}',
                                   'tasks.greet.output.list has no item 5')

    def test_missing_task_result_is_named(self):
        self.assertExpressionError(
            '{{ tasks.boot.output }}',
            "task 'boot' has no result yet (it has not finished, or the flow "
            "has no such task)")

    def test_unknown_name(self):
        self.assertExpressionError(
            '{{ inptu.who }}',
            "'inptu' is undefined; expressions can use execution, input, "
            "tasks")

    def test_undefined_in_text_fails_too(self):
        self.assertExpressionError('a {{ nothing }} b', "'nothing' is "
                                   "undefined")

    def test_syntax_error(self):
        self.assertExpressionError('{{ input.who ', 'unexpected end')

    def test_runtime_error(self):
        self.assertExpressionError('{{ 1 / 0 }}', 'division by zero')
        self.assertExpressionError('{{ input.who + 1 }}', 'str')

    def test_non_json_result(self):
        self.assertExpressionError('{{ namespace() }}', 'not JSON data')


class SandboxTestCase(base.TestCase):
    use_database = False

    def assertRefused(self, source, *fragments):
        exc = self.assertRaises(exception.ExpressionError,
                                expressions.render, source, SCOPE)
        for fragment in fragments:
            self.assertIn(fragment, str(exc))

    def test_private_attributes_are_refused(self):
        for source in ("{{ ''.__class__.__mro__ }}",
                       "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                       "{{ input.__class__ }}",
                       "{{ input['__class__'] }}",
                       "{{ range.__init__.__globals__ }}",
                       "{{ cycler.__init__.__globals__.os }}",
                       "{{ self.__init__.__globals__ }}",
                       "{{ lipsum.__globals__ }}",
                       "{{ (1).__class__ }}"):
            self.assertRaises(exception.ExpressionError,
                              expressions.render, source, SCOPE)
        self.assertRefused("{{ ''.__class__ }}", 'not allowed',
                           "'__class__'")

    def test_format_string_attribute_escape_is_refused(self):
        self.assertRefused("{{ '{0.__class__}'.format(input) }}",
                           '__class__')

    def test_data_cannot_be_changed(self):
        scope = {'input': {'servers': ['a']}}
        for source in ('{{ input.servers.append(1) }}',
                       '{{ input.update({"x": 1}) }}',
                       '{{ input.pop("servers") }}'):
            self.assertRaises(exception.ExpressionError,
                              expressions.render, source, scope)
        self.assertEqual({'input': {'servers': ['a']}}, scope)

    def test_no_imports_or_files(self):
        for source, tag in (('{% import "os" as os %}', 'import'),
                            ('{% from "os" import system %}',
                             'from ... import'),
                            ('x {% include "/etc/passwd" %}', 'include'),
                            ('{% extends "/etc/passwd" %}', 'extends')):
            self.assertRefused(source, f"'{tag}' cannot be used")
            self.assertEqual(1, len(expressions.check_syntax(source)))

    def test_no_buffering_tags(self):
        for source, tag in (
                ('{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d("a") }}',
                 'macro'),
                ('{% macro m() %}{{ caller() }}{% endmacro %}'
                 '{% call m() %}x{% endcall %}', 'macro'),
                ('{% filter upper %}x{% endfilter %}', 'filter'),
                ('{% set x %}x{% endset %}{{ x }}', 'set ... endset')):
            self.assertRefused(source, f"'{tag}' cannot be used")
            self.assertEqual(1, len(expressions.check_syntax(source)))

    def test_undefined_inside_a_native_value(self):
        self.assertRefused('{{ [input.who, input.nope] }}',
                           "input has no key 'nope'")

    def test_long_loop_times_out(self):
        self.config(expression_timeout=0.2, group='dsl')
        started = time.monotonic()
        self.assertRefused(
            '{% for i in range(100000) %}{% for j in range(100000) %}'
            '{% endfor %}{% endfor %}', 'took longer than 0.2 seconds')
        self.assertLess(time.monotonic() - started, 5)

    def test_loop_over_data_times_out(self):
        self.config(expression_timeout=0.2, group='dsl')
        scope = {'input': {'l': list(range(3000))}}
        exc = self.assertRaises(
            exception.ExpressionError, expressions.render,
            '{% for a in input.l %}{% for b in input.l %}{% endfor %}'
            '{% endfor %}', scope)
        self.assertIn('took longer than', str(exc))

    def test_huge_range_is_refused(self):
        self.assertRefused('{% for i in range(10**9) %}{% endfor %}',
                           'range() would have 1000000000 items')
        self.assertRefused('{{ range(10**9)|list }}', 'range()')

    def test_multiplication_is_capped(self):
        self.assertRefused("{{ 'a' * 10**9 }}", 'larger than 262144 bytes')
        self.assertRefused("{{ [1] * 10**9 }}", 'larger than')
        self.assertRefused("{{ 10**9 * 'a' }}", 'larger than')
        self.assertEqual('aaa', expressions.render("{{ 'a' * 3 }}", SCOPE))

    def test_growing_state_is_capped(self):
        for source in (
                '{% set ns = namespace(s="ab") %}{% for i in range(64) %}'
                '{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}',
                '{% set ns = namespace(l=[1]) %}{% for i in range(64) %}'
                '{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}',
                '{% for i in range(100000) %}{{ "x" * 100 }}{% endfor %}',
                '{% for i in range(100000) %}' + 'y' * 100 + '{% endfor %}'):
            exc = self.assertRaises(exception.ExpressionError,
                                    expressions.render, source, SCOPE)
            self.assertIn('larger than 262144 bytes', str(exc))
        self.assertEqual('16', expressions.render(
            '{% set ns = namespace(s="ab") %}{% for i in range(3) %}'
            '{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}',
            SCOPE))

    def test_shared_items_are_counted_each_time(self):
        nest = ('{% set a = [input.big] %}'
                '{% set b = [a, a, a, a, a, a, a, a, a, a] %}'
                '{% set c = [b, b, b, b, b, b, b, b, b, b] %}'
                '{% set d = [c, c, c, c, c, c, c, c, c, c] %}')
        scope = {'input': {'big': 'x' * 1000}}
        for source in (nest + '{{ d }}', nest + '{{ d|tojson }}',
                       nest + '{{ d|join }}', nest + '{{ d ~ "" }}',
                       nest + '{{ "{}".format(d) }}',
                       nest + '{{ "%s" % (d,) }}',
                       nest + '{% set ns = namespace(v=d) %}',
                       '{{ [input.big] * 1000 }}',
                       '{{ [input.big] * 200 + [input.big] * 200 }}'):
            exc = self.assertRaises(exception.ExpressionError,
                                    expressions.render, source, scope)
            self.assertIn('larger than 262144 bytes', str(exc))
        # Building the nest is fine; only turning it into text is not.
        self.assertEqual('10', expressions.render(nest + '{{ d|length }}',
                                                  scope))
        self.assertEqual('-' * 80000,
                         expressions.render("{{ '-' * 80000 }}", scope))

    def test_power_is_capped(self):
        self.assertRefused('{{ 2 ** 100000 }}', 'too large a number')
        self.assertRefused(
            '{% set ns = namespace(n=3) %}{% for i in range(64) %}'
            '{% set ns.n = ns.n * ns.n %}{% endfor %}', 'too large a number')
        self.assertEqual(1024, expressions.render('{{ 2 ** 10 }}', SCOPE))

    def test_padding_is_capped(self):
        for source in ("{{ 'a'.center(10**9) }}",
                       "{{ 'a'.ljust(10**9) }}",
                       "{{ 'a'|center(10**9) }}",
                       "{{ 'a'|indent(10**9, true) }}",
                       "{{ '%999999999s'|format(1) }}",
                       "{{ '%*s'|format(10**9, 1) }}",
                       "{{ '%999999999d' % 1 }}",
                       "{{ '{:>999999999}'.format(1) }}",
                       "{{ '{:{w}}'.format(1, w=10**9) }}"):
            self.assertRaises(exception.ExpressionError,
                              expressions.render, source, SCOPE)
        self.assertEqual('  1', expressions.render("{{ '%3d' % 1 }}", SCOPE))

    def test_text_builders_are_capped(self):
        for source in (
                "{{ ('a' * 100000)|replace('a', 'x' * 1000) }}",
                "{{ ('a' * 100000).replace('a', 'x' * 1000) }}",
                "{{ range(1000)|join('x' * 200000) }}",
                "{{ ('x' * 200000).join(range(1000)|map('string')) }}",
                "{{ ('\n' * 100000)|indent(200, true, true) }}"):
            exc = self.assertRaises(exception.ExpressionError,
                                    expressions.render, source, SCOPE)
            self.assertIn('larger than', str(exc))
        self.assertEqual('a-b', expressions.render(
            "{{ input.servers|join('-') }}", SCOPE))
        self.assertEqual('a|b', expressions.render(
            "{{ '|'.join(input.servers) }}", SCOPE))
        self.assertEqual('Bnn', expressions.render(
            "{{ input.who|replace('A', 'B')|replace('n', 'n') }}", SCOPE))
        self.assertEqual('  x\n  y', expressions.render(
            "{{ 'x\ny'|indent(2, true) }}", SCOPE))

    def test_result_size_limit(self):
        self.config(max_expression_result_size=1024, group='dsl')
        scope = {'input': {'big': 'x' * 2000, 'list': ['x'] * 600}}
        for source in ('{{ input.big }}', 'text {{ input.big }}',
                       '{{ input.list }}'):
            exc = self.assertRaises(exception.ExpressionError,
                                    expressions.render, source, scope)
            self.assertIn('larger than 1024 bytes', str(exc))


class AnalysisTestCase(base.TestCase):
    use_database = False

    def test_find_task_references(self):
        self.assertEqual(
            {'a', 'b-c', 'd', 'e'},
            expressions.find_task_references({
                'x': '{{ tasks.a.output.x }} and {{ tasks["b-c"].state }}',
                'y': ['{% if tasks.d.output %}{{ tasks.e }}{% endif %}'],
                'z': '{{ input.tasks.nope }}', 'n': 3,
                'bad': '{{ tasks.f.output ',
                'plain': 'tasks.g.output'}))

    def test_computed_references_are_not_found(self):
        self.assertEqual(set(), expressions.find_task_references(
            '{{ tasks[input.name].output }}'))

    def test_check_syntax(self):
        self.assertEqual(
            [{'path': 'tasks.t.with.l[1]',
              'message': "invalid expression '{% for x in %}': Expected "
                         "an expression, got 'end of statement block' "
                         "(line 1)"},
             {'path': 'tasks.t.with.m',
              'message': "invalid expression '{{ a|nofilter }}': No filter "
                         "named 'nofilter'. (line 1)"}],
            expressions.check_syntax(
                {'l': ['{{ ok }}', '{% for x in %}'],
                 'm': '{{ a|nofilter }}', 'n': 1},
                'tasks.t.with'))

    def test_compiled_once(self):
        source = '{{ input.n + 1 }} unique-' + str(id(self))
        before = expressions._compile.cache_info().misses
        for _ in range(5):
            expressions.render(source, SCOPE)
        self.assertEqual(before + 1, expressions._compile.cache_info().misses)

    def test_plain_strings_are_not_compiled(self):
        before = expressions._compile.cache_info()
        self.assertEqual('plain {text}', expressions.render('plain {text}',
                                                            SCOPE))
        self.assertEqual(before, expressions._compile.cache_info())
