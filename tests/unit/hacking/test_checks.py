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

import ast
import os
import subprocess
import sys
import textwrap

import fixtures

from convection.hacking import checks
from tests import base

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


def _codes(check, line):
    return [msg.split(':')[0] for _offset, msg in check(line)]


def _tree_codes(source):
    tree = ast.parse(textwrap.dedent(source))
    return sorted((row, msg.split(':')[0])
                  for row, _col, msg, _type
                  in checks.check_no_mutable_default_args(tree))


class TestNoEventlet(base.TestCase):
    use_database = False

    def test_import_is_flagged(self):
        self.assertEqual(['N301'],
                         _codes(checks.check_no_eventlet, 'import eventlet'))

    def test_from_import_is_flagged(self):
        self.assertEqual(['N301'], _codes(checks.check_no_eventlet,
                                          'from eventlet import greenthread'))

    def test_submodule_import_is_flagged(self):
        self.assertEqual(['N301'], _codes(checks.check_no_eventlet,
                                          'import eventlet.green.socket'))

    def test_similar_names_pass(self):
        for line in ('import eventlets_are_nice',
                     'from oslo_service import backend',
                     'x = "import eventlet"'):
            self.assertEqual([], _codes(checks.check_no_eventlet, line))


class TestNoLogWarn(base.TestCase):
    use_database = False

    def test_warn_is_flagged(self):
        self.assertEqual(['N302'], _codes(checks.check_no_log_warn,
                                          "LOG.warn('x %s', y)"))

    def test_warning_passes(self):
        self.assertEqual([], _codes(checks.check_no_log_warn,
                                    "LOG.warning('x %s', y)"))


class TestNoLogTranslation(base.TestCase):
    use_database = False

    def test_translated_log_is_flagged(self):
        self.assertEqual(['N304'], _codes(checks.check_no_log_translation,
                                          "LOG.error(_('Broken %s'), x)"))

    def test_plain_log_and_translated_exception_pass(self):
        for line in ("LOG.error('Broken %s', x)",
                     "raise exception.Invalid(_('Broken %s') % x)"):
            self.assertEqual([], _codes(checks.check_no_log_translation,
                                        line))


class TestNoMutableDefaultArgs(base.TestCase):
    use_database = False

    def test_literals_and_constructors_are_flagged(self):
        source = '''
            def a(x=[]):
                pass
            def b(x, y={}):
                pass
            async def c(*, x=set()):
                pass
            f = lambda x=dict(): x
            def d(x={1, 2}, y=list()):
                pass
        '''
        self.assertEqual([(2, 'N303'), (4, 'N303'), (6, 'N303'),
                          (8, 'N303'), (9, 'N303'), (9, 'N303')],
                         _tree_codes(source))

    def test_immutable_defaults_pass(self):
        source = '''
            def a(x=None, y=(), z=frozenset(), w='', v=0, *, k=None):
                pass
        '''
        self.assertEqual([], _tree_codes(source))


class TestFlake8Wiring(base.TestCase):
    """tox.ini really loads the local checks into flake8."""

    use_database = False

    def test_flake8_reports_the_local_codes(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        bad = os.path.join(tmp, 'bad.py')
        with open(bad, 'w') as f:
            f.write('import eventlet\n\n\n'
                    'def f(x=[]):\n'
                    '    LOG.warn(eventlet, x)\n')
        result = subprocess.run(
            [sys.executable, '-m', 'flake8', '--no-show-source', bad],
            cwd=_REPO, capture_output=True, text=True, timeout=60)
        # "path:row:col: CODE message"; H-codes are hacking's own.
        codes = sorted(line.split(' ')[1].rstrip(':')
                       for line in result.stdout.splitlines())
        self.assertEqual(['N301', 'N302', 'N303'],
                         [c for c in codes if c.startswith('N')],
                         result.stderr)
