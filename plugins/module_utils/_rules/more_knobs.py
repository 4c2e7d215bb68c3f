# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules for the knobs of _catalog_data_more.py that published lists get wrong.

PRIVATE: internal to the netfleet.tcp collection.

* optmem_max: the kernel boots with 20480 before 4944566706b2 (6.8) and 131072 since, so a
  list written to raise it to 40960 or 65535 lowers it on current kernels;
* tcp_moderate_rcvbuf=0: receive buffers no longer grow with the connection's
  bandwidth-delay product (tcp_rcv_space_adjust), every connection keeps tcp_rmem[1].
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules import _boot
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import human_bytes, integer
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import K_OPTMEM_MAX
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import checked, finding

K_MODERATE_RCVBUF = "net.ipv4.tcp_moderate_rcvbuf"


def _kernel_text(kernel):
    return "Linux %s.%s" % tuple(kernel[:2]) if kernel else "a current kernel"


def optmem_boot(kernel):
    """optmem_max at boot: 131072 since 4944566706b2 (6.8), 20480 before."""
    return 131072 if _boot.at_least(kernel, 6, 8) else 20480


@checked("optmem-lowers-boot", "warning", "optmem_max below the kernel's boot value",
         "net.core.optmem_max caps the option memory of each socket (socket filters, multicast "
         "lists, MSG_ZEROCOPY and io_uring notifications, TCP-MD5 and TCP-AO keys). Kernels boot "
         "with 20480 before 4944566706b2 (6.8) and 131072 since, so the 40960 or 65535 that "
         "older lists give to raise it lowers it on current kernels, and zerocopy senders get "
         "ENOBUFS sooner.",
         keys=(K_OPTMEM_MAX,), list_value=True, listed_only=True)
def _rule_optmem(values, context):
    optmem = integer(values, K_OPTMEM_MAX)
    kernel = _boot.version(context)
    boot = optmem_boot(kernel)
    if optmem is None or optmem >= boot:
        return []
    return [finding(
        "optmem-lowers-boot", K_OPTMEM_MAX, values.get(K_OPTMEM_MAX),
        "optmem_max=%s is below the %s (%s) that %s boots with; the list lowers it, and zerocopy "
        "sends and socket options run out of option memory sooner."
        % (optmem, boot, human_bytes(boot), _kernel_text(kernel)),
        "Remove net.core.optmem_max from the list and keep the boot value %d, or raise it above." % boot)]


@checked("rcvbuf-autotuning-off", "warning", "tcp_moderate_rcvbuf=0 turns off receive buffer autotuning",
         "With tcp_moderate_rcvbuf=0 the kernel no longer grows a connection's receive buffer with "
         "its bandwidth-delay product (tcp_rcv_space_adjust): every connection keeps tcp_rmem[1], "
         "which caps throughput on long or fast paths, however large tcp_rmem[2] is.",
         keys=(K_MODERATE_RCVBUF,), list_value=True, listed_only=True,
         remediation="Remove net.ipv4.tcp_moderate_rcvbuf from the list (the default 1 is right); an "
                     "application that needs a fixed buffer sets SO_RCVBUF itself.")
def _rule_moderate_rcvbuf(values, context):
    if integer(values, K_MODERATE_RCVBUF) != 0:
        return []
    return [finding(
        "rcvbuf-autotuning-off", K_MODERATE_RCVBUF, values.get(K_MODERATE_RCVBUF),
        "tcp_moderate_rcvbuf=0 freezes every connection's receive buffer at tcp_rmem[1]; tcp_rmem[2] "
        "is then never reached without SO_RCVBUF.")]
