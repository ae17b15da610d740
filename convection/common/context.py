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

"""Request context: who is asking, passed explicitly to DB and RPC layers."""

from oslo_context import context


class RequestContext(context.RequestContext):
    """Convection's request context.

    It adds nothing to oslo.context's fields yet; it exists so that RPC
    round-trips rebuild our class and so that policy values come from one
    place.
    """

    def to_policy_values(self):
        values = super().to_policy_values()
        values['project_id'] = self.project_id
        return values


def get_admin_context():
    """A context for the services' own housekeeping (no tenant)."""
    return RequestContext(is_admin=True, overwrite=False)


def for_execution(execution):
    """A context acting as the tenant that started ``execution``."""
    return RequestContext(user_id=execution['user_id'],
                          project_id=execution['project_id'],
                          overwrite=False)
