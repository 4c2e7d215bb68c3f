# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timer and queue rules: retransmission limits and accept-queue overflow, in seconds the host lives by.

PRIVATE: internal to the netfleet.tcp collection.

``model_timeout`` is the kernel's own model of how long a retransmission backoff of
``boundary`` steps takes (net/ipv4/tcp_timer.c tcp_model_timeout): the timeout starts at
TCP_RTO_MIN (200 ms) and doubles until it reaches the maximum RTO (TCP_RTO_MAX, 120 s;
net.ipv4.tcp_rto_max_ms since 6.15), then adds the maximum per step. The kernel gives
up on an established connection once that much time has passed since the first
retransmission (retransmits_timed_out), so the model is a lower bound: on a path whose
RTO is above the minimum it takes longer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import integer
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import (
    K_ABORT_ON_OVERFLOW,
    K_RETRIES2,
    K_RTO_MAX_MS,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import checked, finding

RTO_MIN_MS = 200          # TCP_RTO_MIN, HZ / 5
RTO_MAX_MS = 120 * 1000   # TCP_RTO_MAX, the default of tcp_rto_max_ms
RETRIES2_MIN = 8          # about 102 s: the first value above RFC 1122's 100 s


def model_timeout_ms(boundary, rto_max_ms=RTO_MAX_MS, rto_base_ms=RTO_MIN_MS):
    """Milliseconds a backoff of ``boundary`` retransmissions takes at the minimum RTO."""
    boundary = max(0, int(boundary))
    threshold = max(rto_max_ms // rto_base_ms, 1).bit_length() - 1   # ilog2(TCP_RTO_MAX / rto_base)
    if boundary <= threshold:
        return ((2 << boundary) - 1) * rto_base_ms
    return ((2 << threshold) - 1) * rto_base_ms + (boundary - threshold) * rto_max_ms


def seconds_text(milliseconds):
    """``924600`` -> ``"924.6 s (15.4 min)"``; ``12600`` -> ``"12.6 s"``."""
    seconds = milliseconds / 1000.0
    text = ("%.1f s" % seconds).replace(".0 s", " s")
    return text + (" (%.1f min)" % (seconds / 60.0) if seconds >= 120 else "")


def _rto_max(values):
    number = integer(values, K_RTO_MAX_MS)
    return number if number and number > 0 else RTO_MAX_MS


@checked("retries2-low", "warning", "tcp_retries2 kills connections after a short outage",
         "tcp_retries2 bounds how long an established connection with unacknowledged data "
         "survives without an ACK. The kernel turns it into time with its own backoff model "
         "(tcp_model_timeout: 200 ms doubling up to the 120 s maximum RTO): the default 15 is "
         "about 924.6 s, 8 about 102 s, 5 only 12.6 s. Below %d the time is under the 100 s RFC 1122 "
         "asks for, so a failover, a routing change or a peer's long pause resets connections that "
         "would have recovered." % RETRIES2_MIN,
         keys=(K_RETRIES2, K_RTO_MAX_MS), list_value=True, listed_only=True)
def _rule_retries2(values, context):
    retries = integer(values, K_RETRIES2)
    if retries is None or retries >= RETRIES2_MIN:
        return []
    rto_max = _rto_max(values)
    return [finding(
        "retries2-low", K_RETRIES2, values.get(K_RETRIES2),
        "tcp_retries2=%s gives up on an established connection after about %s without an ACK "
        "(at least: the backoff starts at the 200 ms minimum RTO; the default 15 is about %s). "
        "An outage or failover longer than that resets every connection with data in flight."
        % (retries, seconds_text(model_timeout_ms(retries, rto_max)), seconds_text(model_timeout_ms(15, rto_max))),
        "Keep net.ipv4.tcp_retries2 at %d or more (about %s; RFC 1122 asks for at least 100 s), "
        "better the default 15. To notice dead peers sooner, use TCP keepalive or the "
        "TCP_USER_TIMEOUT socket option in the application that needs it."
        % (RETRIES2_MIN, seconds_text(model_timeout_ms(RETRIES2_MIN, rto_max))))]


@checked("abort-on-overflow", "warning", "tcp_abort_on_overflow=1 resets clients on a full accept queue",
         "With the default 0 a full accept queue makes the kernel drop the client's final ACK, and "
         "the client's retransmission gets in once the application catches up. With 1 the kernel "
         "sends a reset instead (tcp_check_req), so every burst the queue cannot hold becomes "
         "'connection reset' errors. The kernel documentation reserves it for daemons that cannot "
         "be tuned to accept faster.",
         keys=(K_ABORT_ON_OVERFLOW,), list_value=True, listed_only=True,
         remediation="Remove net.ipv4.tcp_abort_on_overflow from the list (default 0); raise "
                     "net.core.somaxconn and the application's listen() backlog instead.")
def _rule_abort_on_overflow(values, context):
    if integer(values, K_ABORT_ON_OVERFLOW) != 1:
        return []
    return [finding(
        "abort-on-overflow", K_ABORT_ON_OVERFLOW, values.get(K_ABORT_ON_OVERFLOW),
        "tcp_abort_on_overflow=1 resets connections whenever the accept queue is full, even for a "
        "moment; with 0 the client retries and usually gets in.")]
