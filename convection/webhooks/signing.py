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

"""How webhook deliveries are signed, and how a receiver checks them.

Every delivery carries::

    X-Convection-Timestamp: <unix seconds>
    X-Convection-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">

keyed with the webhook's secret. A receiver recomputes the HMAC over the
timestamp header, a dot and the raw body, compares in constant time, and
refuses timestamps too far from its clock to stop replays.
"""

import hashlib
import hmac

SIGNATURE_HEADER = 'X-Convection-Signature'
TIMESTAMP_HEADER = 'X-Convection-Timestamp'
EVENT_HEADER = 'X-Convection-Event'
DELIVERY_HEADER = 'X-Convection-Delivery'


def sign(secret, timestamp, body):
    """The signature header value of ``body`` (bytes) sent at ``timestamp``.
    """
    message = str(int(timestamp)).encode('ascii') + b'.' + body
    digest = hmac.new(secret.encode('utf-8'), message, hashlib.sha256)
    return 'sha256=' + digest.hexdigest()


def verify(secret, timestamp, body, signature, now, tolerance=300):
    """Whether ``signature`` is valid for ``body`` and recent enough.

    :param timestamp: the timestamp header, as sent (a string).
    :param now: the receiver's clock, unix seconds.
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature or '')
