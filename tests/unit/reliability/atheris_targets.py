# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Coverage-guided fuzz targets (atheris) for the host-input parsers.

Run as ``python atheris_targets.py TARGET -runs=N`` (test_atheris.py does). A target
may only raise the collection's typed errors; anything else is a crash that atheris
reports with the input that caused it.
"""

import sys

import atheris

with atheris.instrument_imports():
    from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_conf
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as _inet_diag, proc_net as _proc_net
    from ansible_collections.netfleet.tcp.plugins.module_utils._errors import NetfleetError


def sysctl_conf(data):
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    entries = _sysctl_conf.parse(text, "fuzz.conf")
    _sysctl_conf.render(entries)


def proc_net(data):
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    for parse in (_proc_net.parse_sockstat, _proc_net.parse_counters):
        try:
            parse(text, "fuzz")
        except NetfleetError:
            pass
    for line in text.splitlines()[:20]:
        try:
            _proc_net.parse_proc_tcp_line(line, "ipv4", "fuzz")
        except NetfleetError:
            pass


BUFFER = bytearray(_inet_diag.RECV_BUFFER)


def netlink(data):
    provider = atheris.FuzzedDataProvider(data)
    msg_type = provider.PickValueInList([_inet_diag.TCPDIAG_GETSOCK, _inet_diag.SOCK_DIAG_BY_FAMILY])
    datagrams = []
    while provider.remaining_bytes() and len(datagrams) < 4:
        datagrams.append(provider.ConsumeBytes(provider.ConsumeIntInRange(0, 2048)))

    def chunks():
        for datagram in datagrams:
            BUFFER[:len(datagram)] = datagram
            yield BUFFER, len(datagram)

    for consume in (lambda: _inet_diag.count_states(chunks(), msg_type),
                    lambda: _inet_diag.count_states_and_ports(chunks(), msg_type, bytes(65536)),
                    lambda: [_inet_diag.parse_socket(b, o) for b, o, _l in _inet_diag.walk(chunks(), msg_type)]):
        try:
            consume()
        except NetfleetError:
            pass


TARGETS = {"sysctl_conf": sysctl_conf, "proc_net": proc_net, "netlink": netlink}

if __name__ == "__main__":
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0]] + sys.argv[2:], target)
    atheris.Fuzz()
