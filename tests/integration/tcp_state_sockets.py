# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make TCP sockets in known states on loopback and keep them until stopped.

Started inside a fleet host (its network namespace) by test_tcp_state_facts.py:

    python3 tcp_state_sockets.py READY_FILE

Writes READY_FILE (JSON: the counts it made per family and state, its ports) once every
socket is in place, then sleeps until SIGTERM. Only the standard library; loopback only.

What it makes (every port below ip_local_port_range, so no client can take one first):

- 23101  5 accepted connections left open: 10 ESTABLISHED
- 23102  4 connections whose client closes and whose server never does: 4 CLOSE_WAIT on
         the server, 4 orphaned FIN_WAIT2 minisocks on the client (they live tcp_fin_timeout)
- 23103  3 connections the server closes first: 3 TIME_WAIT on local port 23103
- 23104  2 half-closed connections whose peer never closes: 2 FIN_WAIT2 (held) and 2 CLOSE_WAIT
- 23105  a dual-stack listener (an IPv6 socket), backlog 5, two IPv6 connections never
         accepted: its accept queue holds 2; 4 ESTABLISHED IPv6 sockets
- 23106  a TCP_DEFER_ACCEPT listener and one connection without data: the client is
         ESTABLISHED, the server keeps a SYN_RECV request sock
"""

import json
import os
import signal
import socket
import sys
import time

STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")


def main(ready):
    keep = []
    counts = {"ipv4": dict.fromkeys(STATES, 0), "ipv6": dict.fromkeys(STATES, 0)}

    def add(family, state, number=1):
        counts[family][state] += number

    def listen(port, backlog=16, family=socket.AF_INET, address="127.0.0.1", v6only=None, defer=False):
        sock = socket.socket(family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
        if defer:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 60)
        sock.bind((address, port))
        sock.listen(backlog)
        keep.append(sock)
        add("ipv6" if family == socket.AF_INET6 else "ipv4", "LISTEN")
        return sock

    def pair(listener, port):
        client = socket.create_connection(("127.0.0.1", port))
        server, _peer = listener.accept()
        return client, server

    established = listen(23101)
    for _index in range(5):
        keep.extend(pair(established, 23101))
        add("ipv4", "ESTABLISHED", 2)

    close_wait = listen(23102)
    for _index in range(4):
        client, server = pair(close_wait, 23102)
        keep.append(server)
        client.close()
        add("ipv4", "CLOSE_WAIT")
        add("ipv4", "FIN_WAIT2")

    time_wait = listen(23103)
    for _index in range(3):
        client, server = pair(time_wait, 23103)
        server.close()
        time.sleep(0.05)
        client.close()
        add("ipv4", "TIME_WAIT")

    half = listen(23104)
    for _index in range(2):
        client, server = pair(half, 23104)
        client.shutdown(socket.SHUT_WR)
        keep.extend((client, server))
        add("ipv4", "FIN_WAIT2")
        add("ipv4", "CLOSE_WAIT")

    listen(23105, backlog=5, family=socket.AF_INET6, address="::", v6only=False)
    for _index in range(2):
        keep.append(socket.create_connection(("::1", 23105)))
        add("ipv6", "ESTABLISHED", 2)  # the client and the queued server side

    listen(23106, defer=True)
    keep.append(socket.create_connection(("127.0.0.1", 23106)))
    add("ipv4", "ESTABLISHED")
    add("ipv4", "SYN_RECV")

    time.sleep(0.3)
    temporary = ready + ".tmp"
    with open(temporary, "w") as handle:
        json.dump({"pid": os.getpid(), "counts": counts,
                   "ports": {"established": 23101, "close_wait": 23102, "time_wait": 23103,
                             "half_close": 23104, "dual_stack": 23105, "syn_recv": 23106}}, handle)
    os.rename(temporary, ready)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1])
