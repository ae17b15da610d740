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

"""convection-manage: operator commands (database schema for now).

    convection-manage --config-file /etc/convection/convection.conf \
        db upgrade [--revision REV]
    convection-manage db version
    convection-manage db stamp REV
    convection-manage db purge --older-than DAYS
"""

import datetime
import sys

from oslo_config import cfg
from oslo_log import log
from oslo_utils import timeutils

from convection.common import service
from convection.db import api as db_api
from convection.db import migration
from convection.i18n import _

CONF = cfg.CONF
LOG = log.getLogger(__name__)


class DBCommands:
    """``convection-manage db ...``."""

    def upgrade(self):
        revision = CONF.command.revision
        LOG.info('Upgrading the database schema to %s', revision)
        migration.upgrade(revision)
        print(_('Database schema is at revision %s.') % migration.version())

    def version(self):
        print(migration.version() or _('None (the schema was never '
                                       'created; run "db upgrade")'))

    def stamp(self):
        migration.stamp(CONF.command.revision)
        print(_('Database schema stamped at revision %s.') %
              migration.version())

    def purge(self):
        older_than = timeutils.utcnow() - datetime.timedelta(
            days=CONF.command.older_than)
        deleted = db_api.purge(older_than)
        print(_('Deleted %(executions)d finished execution(s), '
                '%(webhook_deliveries)d webhook delivery record(s) and '
                '%(queue_workers)d queue worker record(s) older than '
                '%(days)s day(s).')
              % dict(deleted, days=CONF.command.older_than))


def _add_command_parsers(subparsers):
    db = DBCommands()
    parser = subparsers.add_parser(
        'db', help=_('Create or upgrade the database schema.'))
    actions = parser.add_subparsers(title=_('Database commands'),
                                    dest='action')
    actions.required = True

    upgrade = actions.add_parser(
        'upgrade', help=_('Upgrade the schema (creates it if missing).'))
    upgrade.add_argument('--revision', default='head',
                         help=_('Revision to upgrade to; the newest one '
                                'by default.'))
    upgrade.set_defaults(func=db.upgrade)

    version = actions.add_parser(
        'version', help=_('Print the current schema revision.'))
    version.set_defaults(func=db.version)

    stamp = actions.add_parser(
        'stamp', help=_('Record a revision as current without migrating '
                        '(for a schema created some other way).'))
    stamp.add_argument('revision', help=_('The revision, or "head".'))
    stamp.set_defaults(func=db.stamp)

    purge = actions.add_parser(
        'purge', help=_('Delete finished executions (with their tasks and '
                        'events), settled webhook deliveries and queue '
                        'workers not seen since.'))
    purge.add_argument('--older-than', type=float, required=True,
                       metavar='DAYS',
                       help=_('Only what finished more than this many days '
                              'ago.'))
    purge.set_defaults(func=db.purge)


command_opt = cfg.SubCommandOpt('command', title=_('Command'),
                                help=_('Available commands'),
                                handler=_add_command_parsers)


def main():
    CONF.register_cli_opt(command_opt)
    service.prepare_service(sys.argv)
    try:
        CONF.command.func()
    except Exception as e:
        LOG.error('convection-manage %(command)s %(action)s failed: %(err)s',
                  {'command': CONF.command.name,
                   'action': CONF.command.action, 'err': e})
        sys.exit(1)
