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

"""One way to run housekeeping in the background of a service."""

import threading

from oslo_log import log

LOG = log.getLogger(__name__)


class PeriodicThread:
    """Calls ``func`` every ``interval()`` seconds in a daemon thread.

    ``interval`` is a callable so that a changed option applies from the
    next pass on. An exception in ``func`` is logged and the next pass
    tries again: housekeeping must outlive a database or peer blip. When
    ``func`` returns a true value (more work is waiting) and
    ``repeat_while_busy`` is set, it is called again at once.
    """

    def __init__(self, name, func, interval, repeat_while_busy=False):
        self.name = name
        self._func = func
        self._interval = interval
        self._repeat_while_busy = repeat_while_busy
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name,
                                        daemon=True)
        self._thread.start()

    def stop(self):
        """Stop and wait for the pass under way, if any, to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self):
        while not self._stop.wait(self._interval()):
            try:
                while (self._func() and self._repeat_while_busy
                       and not self._stop.is_set()):
                    pass
            except Exception:
                LOG.exception('%(name)s failed; trying again in %(s)s '
                              'seconds', {'name': self.name,
                                          's': self._interval()})
