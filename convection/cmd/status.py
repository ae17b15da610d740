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

"""convection-status: checks to run before and after an upgrade.

    convection-status --config-file /etc/convection/convection.conf \
        upgrade check
"""

import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_upgradecheck import upgradecheck
import sqlalchemy as sa

from convection import conf  # noqa: F401  (registers every option)
from convection.db import migration
from convection.i18n import _

CONF = cfg.CONF


class Checks(upgradecheck.UpgradeCommands):
    """Upgrade checks of Convection."""

    def _check_db_schema(self):
        try:
            current = migration.version()
        except (db_exc.DBError, sa.exc.SQLAlchemyError) as e:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                _('Cannot read the schema revision from [database] '
                  'connection: %s') % e)
        head = migration.head()
        if current != head:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                _('The database schema is at revision %(current)s, this '
                  'code needs %(head)s; run "convection-manage db '
                  'upgrade".') % {'current': current, 'head': head})
        return upgradecheck.Result(upgradecheck.Code.SUCCESS)

    _upgrade_checks = (
        (_('Database schema'), _check_db_schema),
    )


def main():
    return upgradecheck.main(CONF, project='convection',
                             upgrade_command=Checks(), argv=sys.argv[1:])
