# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TCP state of a host, for netfleet.tcp.tcp_state_facts: one concept per file.

PRIVATE: internal to the netfleet.tcp collection.

- inet_diag: socket dumps over NETLINK_SOCK_DIAG and the census hot loop;
- proc_net: /proc/net readers (sockstat, snmp, netstat, tcp, tcp6);
- limits: the teardown limits from /proc/sys and the usable ephemeral ports;
- sources: netlink or /proc/net/tcp as the census source;
- ports, processes: the ``ports`` and ``processes`` details;
- gather: one namespace's facts;
- netns, containers, enter, namespaces: every network namespace on the host,
  who holds it, and the pass that joins each and gathers its facts.

Other module_utils call ``gather``, ``listeners``, ``listening_ports`` and
``read_limits`` from here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.gather import (  # noqa: F401
    DETAILS,
    STATE_NAMES,
    GatherError,
    gather,
    listeners,
    listening_ports,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.limits import read_limits  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.namespaces import (  # noqa: F401
    NAMESPACES,
    gather_namespaces,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.sources import SOURCES  # noqa: F401
