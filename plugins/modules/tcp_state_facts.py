#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tcp_state_facts
short_description: A host's TCP state as facts, counted from a netlink sock_diag dump
version_added: 0.1.0
description:
  - Returns C(ansible_facts.tcp_state) and nothing else. Changes nothing on the host and runs in full
    under check mode. Needs only Python's standard library on the host, no C(ss), C(netstat) or C(sysctl).
  - B(Census.) Counts every TCP socket by state, in total and per address family, from one
    C(NETLINK_SOCK_DIAG) dump (the legacy C(TCPDIAG_GETSOCK) request walks IPv4 and IPv6 in one pass; when
    the kernel refuses it, one C(SOCK_DIAG_BY_FAMILY) request per family). The reply is streamed through
    one reused receive buffer, so memory stays flat however many sockets the host holds. When netlink
    sock_diag is not usable (a container without it, seccomp), the census reads C(/proc/net/tcp) and
    C(/proc/net/tcp6) instead and says so in RV(ansible_facts.tcp_state.source).
  - TIME_WAIT minisocks are counted by the substate the kernel reports, so an orphaned FIN_WAIT2
    connection the kernel moved into a timewait socket counts as FIN_WAIT2. Dual-stack listeners and
    v4-mapped connections are IPv6 sockets. A dump is a sample taken while connections come and go, not an
    atomic snapshot.
  - B(Kernel accounting), kept apart from the census, from C(/proc/net/sockstat), C(/proc/net/sockstat6),
    C(/proc/net/snmp) and C(/proc/net/netstat). The two disagree for good reasons (sockstat C(tw) also
    counts orphaned FIN_WAIT2 minisocks; counters are since boot).
  - B(Limits) from C(/proc/sys) with the ratios against them. A key that does not exist in this network
    namespace or kernel (C(net.ipv4.tcp_max_orphans) inside a container) is null, not an error.
  - Details on request (O(detail)), because they cost more; the kernel filters the dump by state where a
    detail needs only some states.
  - The host's network namespace is the one the module runs in; on a container or namespace host the facts
    describe that namespace (C(orphan), C(alloc) and C(mem) of sockstat are machine-wide).
  - B(Every namespace) with O(namespaces=all), for container hosts and Kubernetes nodes where the sockets
    pile up inside the pods' own network namespaces. The namespaces are found through C(/proc/PID/ns/net) of
    every process, the names under C(/run/netns) and any other C(nsfs) bind mount in C(/proc/self/mountinfo);
    a worker thread then joins each one in turn with C(setns(2)) (through ctypes before Python 3.12; the main
    thread never moves) and gathers the same facts there, against that namespace's own limits. Each gets an
    entry in RV(ansible_facts.tcp_state.namespaces) with its holders and their container or pod from their
    cgroup path. No container runtime or CLI is used. A namespace that cannot be entered is listed with the
    reason; one that disappeared before its turn is listed as V(gone).
author:
  - netfleet.tcp maintainers (@netfleet)
extends_documentation_fragment:
  - netfleet.tcp.attributes
  - netfleet.tcp.attributes.READ_ONLY
  - netfleet.tcp.attributes.FACTS
options:
  detail:
    description:
      - Extra facts to collect.
      - V(ports) - ephemeral port use per destination and the local ports holding TIME_WAIT and
        CLOSE_WAIT sockets, collected in the same pass as the census (RV(ansible_facts.tcp_state.ports)).
      - V(listeners) - every listening socket with its accept queue and backlog
        (RV(ansible_facts.tcp_state.listeners)); the listeners are dumped anyway for
        RV(ansible_facts.tcp_state.listen_ports), so this costs little.
      - V(processes) - which processes hold CLOSE_WAIT sockets, by matching the inodes of a CLOSE_WAIT-only
        dump against the C(socket:[inode]) links under C(/proc/PID/fd) (RV(ansible_facts.tcp_state.processes)).
        Reads the file descriptors of every process; without root only your own processes are seen.
    type: list
    elements: str
    choices: [ports, listeners, processes]
    default: []
  top:
    description:
      - How many entries the ranked lists keep (destinations, local ports, processes).
    type: int
    default: 10
  namespaces:
    description:
      - Which network namespaces to count.
      - V(current) counts the one the module runs in (the facts at the top of RV(ansible_facts.tcp_state)).
      - V(all) also counts every network namespace on the host, each with the same O(detail), into
        RV(ansible_facts.tcp_state.namespaces). Needs root (C(CAP_SYS_ADMIN) to join them, and to read other
        users' C(/proc/PID/ns/net)). Each namespace costs one more census, and the kernel walks its whole
        established-socket hash table for every dump, whichever namespace asks (about 10 ms with 262144
        buckets), plus what its sockets cost.
    type: str
    choices: [current, all]
    default: current
    version_added: 0.2.0
  source:
    description:
      - Where the census comes from.
      - V(auto) uses netlink sock_diag and falls back to C(/proc/net/tcp{,6}) when it is not usable.
      - V(netlink) fails when netlink sock_diag is not usable; V(proc) always reads C(/proc/net/tcp{,6})
        (slower, the kernel formats every socket as text).
    type: str
    choices: [auto, netlink, proc]
    default: auto
notes:
  - Counting 200,000 sockets takes about as long as the kernel needs to dump them; see C(docs/benchmarks.md)
    in the collection for measured figures against C(ss) and C(netstat).
seealso:
  - module: netfleet.tcp.sysctl_check
  - plugin: netfleet.tcp.tcp_state_summary
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the TCP state
  netfleet.tcp.tcp_state_facts:

- name: Show the TIME_WAIT count and how close it is to the cap
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.tcp_state.states.TIME_WAIT }} TIME_WAIT sockets,
      {{ (ansible_facts.tcp_state.pressure.time_wait_ratio or 0) * 100 }} % of tcp_max_tw_buckets

- name: Ports, listeners and who leaks CLOSE_WAIT
  netfleet.tcp.tcp_state_facts:
    detail: [ports, listeners, processes]
    top: 5

- name: Count every network namespace of a container host or Kubernetes node
  netfleet.tcp.tcp_state_facts:
    namespaces: all
    detail: [ports]

- name: List the namespaces with the most TIME_WAIT sockets
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.tcp_state.namespaces | selectattr('status', 'equalto', 'ok')
         | sort(attribute='states.TIME_WAIT', reverse=true)
         | map(attribute='name') | list }}

- name: Fail when a destination uses more than half the usable ephemeral ports
  ansible.builtin.assert:
    that: >-
      ansible_facts.tcp_state.ports.destinations | length == 0 or
      ansible_facts.tcp_state.ports.destinations[0].share < 0.5

- name: Print a short human summary
  ansible.builtin.debug:
    msg: "{{ ansible_facts.tcp_state | netfleet.tcp.tcp_state_summary | split('\n') }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    tcp_state:
      description: The host's TCP state.
      returned: always
      type: dict
      contains:
        source:
          description: Where the census came from, V(netlink) (sock_diag) or V(proc) (C(/proc/net/tcp{,6})).
          returned: always
          type: str
          sample: netlink
        method:
          description:
            - The request that took the census, V(TCPDIAG_GETSOCK) (one pass over both families),
              V(SOCK_DIAG_BY_FAMILY) (one request per family) or V(proc_net_tcp).
          returned: always
          type: str
          sample: TCPDIAG_GETSOCK
        states:
          description:
            - Sockets by state, IPv4 and IPv6 together. All eleven states are always present.
            - TIME_WAIT minisocks count by their substate (an orphaned FIN_WAIT2 counts as FIN_WAIT2);
              request sockets count as SYN_RECV.
          returned: always
          type: dict
          contains:
            ESTABLISHED:
              description: Connections open both ways.
              type: int
              returned: always
            SYN_SENT:
              description: Outgoing connections waiting for the peer's SYN-ACK.
              type: int
              returned: always
            SYN_RECV:
              description: Incoming connections waiting for the final ACK (half-open; request sockets).
              type: int
              returned: always
            FIN_WAIT1:
              description: Closed here, FIN sent and not yet acknowledged.
              type: int
              returned: always
            FIN_WAIT2:
              description: Closed here, FIN acknowledged, waiting for the peer's FIN (orphaned ones included).
              type: int
              returned: always
            TIME_WAIT:
              description: Closed here first; waiting out 2MSL (60 seconds on Linux).
              type: int
              returned: always
            CLOSE:
              description: Sockets in CLOSE that are still hashed (rare).
              type: int
              returned: always
            CLOSE_WAIT:
              description: The peer closed, this side has not (an application that does not close its socket).
              type: int
              returned: always
            LAST_ACK:
              description: Closed here after the peer; waiting for the ACK of our FIN.
              type: int
              returned: always
            LISTEN:
              description: Listening sockets.
              type: int
              returned: always
            CLOSING:
              description: Both sides closed at once; waiting for the ACK of our FIN.
              type: int
              returned: always
          sample: {ESTABLISHED: 812, SYN_SENT: 0, SYN_RECV: 2, FIN_WAIT1: 0, FIN_WAIT2: 14, TIME_WAIT: 25087,
                   CLOSE: 0, CLOSE_WAIT: 3, LAST_ACK: 0, LISTEN: 12, CLOSING: 0}
        families:
          description:
            - The same counts per address family. Dual-stack listeners and v4-mapped connections are IPv6 sockets.
          returned: always
          type: dict
          contains:
            ipv4:
              description: Counts of AF_INET sockets by state; the same eleven keys as RV(ansible_facts.tcp_state.states).
              type: dict
              returned: always
              contains:
                ESTABLISHED:
                  description: Connections open both ways.
                  type: int
                  returned: always
                SYN_SENT:
                  description: Outgoing connections waiting for the peer's SYN-ACK.
                  type: int
                  returned: always
                SYN_RECV:
                  description: Incoming connections waiting for the final ACK.
                  type: int
                  returned: always
                FIN_WAIT1:
                  description: Closed here, FIN not yet acknowledged.
                  type: int
                  returned: always
                FIN_WAIT2:
                  description: Closed here, waiting for the peer's FIN.
                  type: int
                  returned: always
                TIME_WAIT:
                  description: Closed here first, waiting out 2MSL.
                  type: int
                  returned: always
                CLOSE:
                  description: Hashed sockets in CLOSE.
                  type: int
                  returned: always
                CLOSE_WAIT:
                  description: The peer closed, this side has not.
                  type: int
                  returned: always
                LAST_ACK:
                  description: Closed after the peer, waiting for the ACK of our FIN.
                  type: int
                  returned: always
                LISTEN:
                  description: Listening sockets.
                  type: int
                  returned: always
                CLOSING:
                  description: Both sides closed at once.
                  type: int
                  returned: always
            ipv6:
              description: Counts of AF_INET6 sockets by state; the same eleven keys as RV(ansible_facts.tcp_state.states).
              type: dict
              returned: always
              contains:
                ESTABLISHED:
                  description: Connections open both ways.
                  type: int
                  returned: always
                SYN_SENT:
                  description: Outgoing connections waiting for the peer's SYN-ACK.
                  type: int
                  returned: always
                SYN_RECV:
                  description: Incoming connections waiting for the final ACK.
                  type: int
                  returned: always
                FIN_WAIT1:
                  description: Closed here, FIN not yet acknowledged.
                  type: int
                  returned: always
                FIN_WAIT2:
                  description: Closed here, waiting for the peer's FIN.
                  type: int
                  returned: always
                TIME_WAIT:
                  description: Closed here first, waiting out 2MSL.
                  type: int
                  returned: always
                CLOSE:
                  description: Hashed sockets in CLOSE.
                  type: int
                  returned: always
                CLOSE_WAIT:
                  description: The peer closed, this side has not.
                  type: int
                  returned: always
                LAST_ACK:
                  description: Closed after the peer, waiting for the ACK of our FIN.
                  type: int
                  returned: always
                LISTEN:
                  description: Listening sockets.
                  type: int
                  returned: always
                CLOSING:
                  description: Both sides closed at once.
                  type: int
                  returned: always
        total:
          description: All sockets counted by the census.
          returned: always
          type: int
          sample: 25930
        sockstat:
          description:
            - The kernel's own accounting from C(/proc/net/sockstat) and C(/proc/net/sockstat6), a separate
              reading from the census. A value the kernel does not show is null.
          returned: always
          type: dict
          contains:
            tcp:
              description: The C(TCP:) line of C(/proc/net/sockstat).
              type: dict
              returned: always
              contains:
                inuse:
                  description: IPv4 sockets of this namespace that are not timewait or request minisocks.
                  type: int
                  returned: always
                orphan:
                  description: Orphaned sockets (closed by their application, still alive in the kernel), machine-wide.
                  type: int
                  returned: always
                tw:
                  description:
                    - Timewait minisocks of this namespace, both families. Also counts orphaned FIN_WAIT2 connections
                      kept as timewait minisocks, and can never exceed C(tcp_max_tw_buckets), so it may differ
                      from the census TIME_WAIT count.
                  type: int
                  returned: always
                alloc:
                  description: TCP sockets allocated, machine-wide.
                  type: int
                  returned: always
                mem:
                  description: Memory TCP holds for socket buffers, in pages, machine-wide (compare with C(tcp_mem)).
                  type: int
                  returned: always
            tcp6:
              description: The C(TCP6:) line of C(/proc/net/sockstat6).
              type: dict
              returned: always
              contains:
                inuse:
                  description: IPv6 sockets of this namespace that are not timewait or request minisocks; null without IPv6.
                  type: int
                  returned: always
            sockets_used:
              description: Sockets of all kinds in use (the C(sockets:) line).
              type: int
              returned: always
        counters:
          description:
            - Counters since boot from C(/proc/net/snmp) (C(Tcp)) and C(/proc/net/netstat) (C(TcpExt)).
              A counter this kernel does not have is null. Compare two readings to see a rate.
          returned: always
          type: dict
          contains:
            Tcp:
              description: The C(Tcp) counters of C(/proc/net/snmp).
              type: dict
              returned: always
              contains:
                ActiveOpens:
                  description: Connections opened from this host (SYN_SENT entered).
                  type: int
                  returned: always
                PassiveOpens:
                  description: Connections accepted (SYN_RECV entered from LISTEN).
                  type: int
                  returned: always
                AttemptFails:
                  description: Connection attempts that failed (SYN_SENT or SYN_RECV back to CLOSED or LISTEN).
                  type: int
                  returned: always
                EstabResets:
                  description: Connections reset from ESTABLISHED or CLOSE_WAIT.
                  type: int
                  returned: always
                CurrEstab:
                  description: Connections in ESTABLISHED or CLOSE_WAIT now (a gauge, not a counter).
                  type: int
                  returned: always
                InSegs:
                  description: Segments received.
                  type: int
                  returned: always
                OutSegs:
                  description: Segments sent, retransmissions excluded.
                  type: int
                  returned: always
                RetransSegs:
                  description: Segments retransmitted.
                  type: int
                  returned: always
                InErrs:
                  description: Segments received in error.
                  type: int
                  returned: always
                OutRsts:
                  description: Segments sent with RST.
                  type: int
                  returned: always
            TcpExt:
              description: The C(TcpExt) counters of C(/proc/net/netstat).
              type: dict
              returned: always
              contains:
                TW:
                  description: TIME_WAIT sockets that ran their full time.
                  type: int
                  returned: always
                TWRecycled:
                  description: TIME_WAIT sockets recycled by timestamp (tcp_tw_recycle, removed in Linux 4.12).
                  type: int
                  returned: always
                TWKilled:
                  description: TIME_WAIT sockets killed early.
                  type: int
                  returned: always
                PAWSActive:
                  description: Active connections rejected by PAWS (timestamps).
                  type: int
                  returned: always
                PAWSEstab:
                  description: Segments in established connections dropped by PAWS.
                  type: int
                  returned: always
                ListenOverflows:
                  description: Times a completed connection found the accept queue full.
                  type: int
                  returned: always
                ListenDrops:
                  description: SYNs and completed connections dropped at a listener (overflows included).
                  type: int
                  returned: always
                TCPTimeWaitOverflow:
                  description: Sockets that skipped TIME_WAIT because tcp_max_tw_buckets was reached.
                  type: int
                  returned: always
                TCPAbortOnMemory:
                  description: Connections reset for lack of memory or orphan slots (tcp_mem, tcp_max_orphans).
                  type: int
                  returned: always
                TCPAbortOnTimeout:
                  description: Connections reset after their retransmissions timed out.
                  type: int
                  returned: always
                TCPAbortOnClose:
                  description: Connections reset because the application closed them with unread data.
                  type: int
                  returned: always
                TCPAbortOnData:
                  description: Connections reset because data arrived after close.
                  type: int
                  returned: always
                TCPAbortOnLinger:
                  description: Connections reset by SO_LINGER with a zero timeout, or by the FIN_WAIT2 timeout.
                  type: int
                  returned: always
                TCPAbortFailed:
                  description: Resets that could not be sent.
                  type: int
                  returned: always
                TCPMemoryPressures:
                  description: Times TCP entered memory pressure (tcp_mem).
                  type: int
                  returned: always
                SyncookiesSent:
                  description: SYN cookies sent.
                  type: int
                  returned: always
                SyncookiesRecv:
                  description: SYN cookies received back valid.
                  type: int
                  returned: always
                SyncookiesFailed:
                  description: SYN cookies received back invalid.
                  type: int
                  returned: always
                TCPReqQFullDrop:
                  description: SYNs dropped because the SYN queue was full and cookies were off.
                  type: int
                  returned: always
                TCPReqQFullDoCookies:
                  description: SYN cookies sent because the SYN queue was full.
                  type: int
                  returned: always
        limits:
          description: The limits the kernel enforces, from C(/proc/sys); null when the key does not exist here.
          returned: always
          type: dict
          contains:
            tcp_max_tw_buckets:
              description: C(net.ipv4.tcp_max_tw_buckets), the cap on timewait minisocks.
              type: int
              returned: always
            tcp_max_orphans:
              description: C(net.ipv4.tcp_max_orphans); only in the initial network namespace, null elsewhere.
              type: int
              returned: always
            tcp_fin_timeout:
              description: C(net.ipv4.tcp_fin_timeout), seconds an orphaned FIN_WAIT2 connection lives.
              type: int
              returned: always
            ip_local_port_range:
              description: C(net.ipv4.ip_local_port_range) as C([low, high]).
              type: list
              elements: int
              returned: always
            ip_local_reserved_ports:
              description: C(net.ipv4.ip_local_reserved_ports) expanded to the list of ports, sorted.
              type: list
              elements: int
              returned: always
            somaxconn:
              description: C(net.core.somaxconn), the cap on a listener's backlog.
              type: int
              returned: always
            tcp_max_syn_backlog:
              description: C(net.ipv4.tcp_max_syn_backlog).
              type: int
              returned: always
        pressure:
          description: How close the host is to the limits, as ratios rounded to 6 places; null when the limit is absent.
          returned: always
          type: dict
          contains:
            time_wait_ratio:
              description: Census TIME_WAIT count / C(tcp_max_tw_buckets).
              type: float
              returned: always
              sample: 0.191399
            tw_bucket_ratio:
              description:
                - Sockstat C(tw) / C(tcp_max_tw_buckets), what the kernel compares with the cap (orphaned
                  FIN_WAIT2 minisocks included). At 1.0 new TIME_WAIT sockets are destroyed at once.
              type: float
              returned: always
            orphan_ratio:
              description: Sockstat C(orphan) / C(tcp_max_orphans); null where C(tcp_max_orphans) does not exist.
              type: float
              returned: always
            ephemeral_port_ratio:
              description:
                - The busiest destination's share of the usable ephemeral ports
                  (RV(ansible_facts.tcp_state.ports.destinations[].share) of the first one), 0.0 when no socket
                  uses an ephemeral port; null without O(detail=ports) or without C(ip_local_port_range).
              type: float
              returned: always
              version_added: 0.2.0
        host:
          description: What later checks need to know about the host.
          returned: always
          type: dict
          contains:
            kernel:
              description: The kernel release (C(uname -r)).
              type: str
              returned: always
              sample: 6.1.0-18-amd64
            kernel_version:
              description: The release as C([major, minor, patch]); null when it does not start with a version.
              type: list
              elements: int
              returned: always
              sample: [6, 1, 0]
            initial_netns:
              description: Whether the module ran in the machine's initial network namespace.
              type: bool
              returned: always
            proc_sys_net_writable:
              description: Whether C(/proc/sys/net) can be written here (false in many containers).
              type: bool
              returned: always
        listen_ports:
          description: Sorted, unique local TCP ports in LISTEN, IPv4 and IPv6 (from a LISTEN-only dump).
          returned: always
          type: list
          elements: int
          sample: [22, 80, 443]
        notes:
          description: Why the census fell back to C(/proc/net/tcp), a dump the kernel flagged as interrupted, a limit that could not be read.
          returned: always
          type: list
          elements: str
          sample: []
        ports:
          description:
            - Ephemeral port use. A socket uses an ephemeral port when its local port is in
              C(ip_local_port_range), not in C(ip_local_reserved_ports) and not a listening port; TIME_WAIT
              sockets included, listeners excluded. Exhaustion happens per destination (C(connect) fails
              with EADDRNOTAVAIL when one destination has used them all).
          returned: when O(detail) has V(ports)
          type: dict
          contains:
            usable_ports:
              description: Ports in C(ip_local_port_range) minus the reserved ones; null when the range is absent.
              type: int
              returned: always
              sample: 28232
            ephemeral_sockets:
              description: Sockets counted as using an ephemeral port.
              type: int
              returned: always
            destinations_total:
              description: Distinct destinations (remote address and port) those sockets reach.
              type: int
              returned: always
            destinations:
              description:
                - The O(top) busiest destinations, most sockets first. v4-mapped addresses are shown as IPv4.
              type: list
              elements: dict
              returned: always
              contains:
                address:
                  description: Remote address.
                  type: str
                  returned: always
                  sample: 10.0.0.5
                port:
                  description: Remote port.
                  type: int
                  returned: always
                  sample: 3306
                count:
                  description: Sockets to this destination with an ephemeral local port, TIME_WAIT included.
                  type: int
                  returned: always
                share:
                  description: RV(ansible_facts.tcp_state.ports.destinations[].count) / RV(ansible_facts.tcp_state.ports.usable_ports).
                  type: float
                  returned: always
                  sample: 0.4211
            top_time_wait_local_ports:
              description: The O(top) local ports holding the most TIME_WAIT sockets (any port, not only ephemeral).
              type: list
              elements: dict
              returned: always
              contains:
                port:
                  description: Local port.
                  type: int
                  returned: always
                count:
                  description: TIME_WAIT sockets on it.
                  type: int
                  returned: always
            top_close_wait_local_ports:
              description:
                - The O(top) local ports holding the most CLOSE_WAIT sockets. A service port means inbound
                  connections the server does not close; an ephemeral port means an outbound client that does not.
              type: list
              elements: dict
              returned: always
              contains:
                port:
                  description: Local port.
                  type: int
                  returned: always
                count:
                  description: CLOSE_WAIT sockets on it.
                  type: int
                  returned: always
        listeners:
          description: Every listening socket, sorted by port, family and address.
          returned: when O(detail) has V(listeners)
          type: list
          elements: dict
          contains:
            family:
              description: V(ipv4) or V(ipv6) (a dual-stack listener on V(::) is V(ipv6)).
              type: str
              returned: always
            address:
              description: Local address it listens on.
              type: str
              returned: always
              sample: 0.0.0.0
            port:
              description: Local port.
              type: int
              returned: always
            queue:
              description: Connections in the accept queue now, established and not yet accepted.
              type: int
              returned: always
            backlog:
              description: The accept queue's size (the C(listen) backlog capped by C(somaxconn)); null from C(/proc/net/tcp).
              type: int
              returned: always
        processes:
          description: Processes holding CLOSE_WAIT sockets, most first, at most O(top).
          returned: when O(detail) has V(processes)
          type: list
          elements: dict
          contains:
            pid:
              description: Process id.
              type: int
              returned: always
            name:
              description: The process name (C(/proc/PID/comm)).
              type: str
              returned: always
            close_wait:
              description: CLOSE_WAIT sockets among its file descriptors.
              type: int
              returned: always
        namespaces:
          description:
            - One entry per network namespace found on the host, the module's own first, then named ones by name,
              then the others by inode. No namespace found is left out; see RV(ansible_facts.tcp_state.namespaces[].status).
            - An entry with status V(ok) also holds every key of the facts above (C(source), C(method), C(states),
              C(families), C(total), C(sockstat), C(counters), C(limits), C(pressure), C(host), C(listen_ports),
              C(notes) and the O(detail) ones), read inside that namespace, so its limits and pressure ratios are
              its own (its C(ip_local_port_range), its C(tcp_max_tw_buckets)). An entry with status V(error) holds
              those gathered before the error. The filters that take C(tcp_state) (tcp_state_summary,
              tcp_pressure) take an entry as well.
            - The C(processes) detail looks for CLOSE_WAIT holders among the namespace's own processes first,
              and among all the others only when some of its CLOSE_WAIT sockets are held elsewhere.
          returned: when O(namespaces=all)
          type: list
          elements: dict
          version_added: 0.2.0
          contains:
            inode:
              description: The namespace's inode number (as in C(net:[INODE]) of C(/proc/PID/ns/net), C(ip netns identify), C(lsns)).
              type: int
              returned: always
              sample: 4026532567
            name:
              description: Its name under C(/run/netns) (C(ip netns)), the first one sorted when it has several; null when unnamed.
              type: str
              returned: always
              sample: cni-6e1f0c2a-7d3b-4a8e-9f3e-2b1c5d7e9a01
            names:
              description: Every name it has under C(/run/netns), sorted.
              type: list
              elements: str
              returned: always
            mounts:
              description: Other bind mounts of it outside C(/run/netns) (Docker keeps its sandboxes under C(/run/docker/netns)).
              type: list
              elements: str
              returned: always
            current:
              description: Whether it is the namespace the module ran in (the facts at the top of RV(ansible_facts.tcp_state)).
              type: bool
              returned: always
            initial:
              description:
                - Whether it is the machine's initial network namespace (PID 1's, and the one that registers
                  C(net.core.netdev_max_backlog) and C(net.ipv4.tcp_mem)); null when it could not be told.
              type: bool
              returned: always
            status:
              description:
                - V(ok) counted; V(gone) every reference to it disappeared between finding it and its turn (the
                  last process exited, the name was deleted), not an error; V(cannot_enter) it exists but could
                  not be opened or joined (no permission, no C(setns) reachable from Python); V(error) it was
                  joined but reading it failed.
              type: str
              returned: always
              sample: ok
            reason:
              description: Why the status is not V(ok); null when it is.
              type: str
              returned: always
            holder_count:
              description: How many processes run in it (0 for a namespace kept only by its name or a mount).
              type: int
              returned: always
            holders:
              description: The first O(top) of those processes, by PID.
              type: list
              elements: dict
              returned: always
              contains:
                pid:
                  description: Process id.
                  type: int
                  returned: always
                comm:
                  description: The process name (C(/proc/PID/comm)); null when it could not be read.
                  type: str
                  returned: always
                container:
                  description:
                    - The container or pod the process belongs to, from its cgroup path (C(/proc/PID/cgroup));
                      null when the path names none or cannot be read.
                    - Recognised runtimes are Docker (C(docker-ID.scope), C(/docker/ID)), containerd
                      (C(cri-containerd-ID.scope), C(nerdctl-ID.scope), C(/k8s.io/ID)), CRI-O (C(crio-ID.scope)),
                      Podman (C(libpod-ID.scope)), Kubernetes pods (C(kubepods-...-podUID.slice), C(/kubepods/.../podUID)),
                      systemd-nspawn and other machines of systemd-machined (C(machine.slice/machine-NAME.scope)) and LXC.
                  type: dict
                  returned: always
                  contains:
                    runtime:
                      description:
                        - V(docker), V(containerd), V(cri-o), V(podman), V(kubernetes) (a pod whose runtime the path
                          does not name), V(systemd-nspawn) or V(lxc).
                      type: str
                      returned: always
                    id:
                      description: The container id (64 hex digits); null for machines and LXC containers.
                      type: str
                      returned: always
                    name:
                      description: The machine or LXC container name; null for the others.
                      type: str
                      returned: always
                    pod_uid:
                      description: The Kubernetes pod UID; null outside Kubernetes.
                      type: str
                      returned: always
        namespace_scan:
          description: What the O(namespaces=all) pass found, by status.
          returned: when O(namespaces=all)
          type: dict
          version_added: 0.2.0
          contains:
            namespaces:
              description: Namespaces found (entries in RV(ansible_facts.tcp_state.namespaces)).
              type: int
              returned: always
            ok:
              description: Namespaces counted.
              type: int
              returned: always
            gone:
              description: Namespaces that disappeared before their turn.
              type: int
              returned: always
            cannot_enter:
              description: Namespaces that could not be opened or joined.
              type: int
              returned: always
            error:
              description: Namespaces joined whose facts could not be read in full.
              type: int
              returned: always
            unreadable_processes:
              description:
                - Processes whose C(/proc/PID/ns/net) could not be read for lack of permission; a namespace held only by
                  them is not in the list. Non-zero without root.
              type: int
              returned: always
tcp_state:
  description: What was gathered before a failure.
  returned: failure
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import (
    DETAILS,
    NAMESPACES,
    SOURCES,
    GatherError,
    gather,
    gather_namespaces,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            detail=dict(type="list", elements="str", choices=list(DETAILS), default=[]),
            top=dict(type="int", default=10),
            source=dict(type="str", choices=list(SOURCES), default="auto"),
            namespaces=dict(type="str", choices=list(NAMESPACES), default="current"),
        ),
        supports_check_mode=True,
    )
    if module.params["top"] < 1:
        module.fail_json(msg="top must be 1 or more, got %d" % module.params["top"])
    try:
        facts = gather(detail=module.params["detail"], top=module.params["top"], source=module.params["source"])
        if module.params["namespaces"] == "all":
            facts["namespaces"], facts["namespace_scan"] = gather_namespaces(
                detail=module.params["detail"], top=module.params["top"], source=module.params["source"],
                current_facts=facts)
    except GatherError as error:
        module.fail_json(msg=str(error), tcp_state=error.partial)
    except NetfleetError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, ansible_facts={"tcp_state": facts})


if __name__ == "__main__":
    main()
