# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hold a known TCP socket population inside the network namespace it is started in.

Started by test_tcp_state_namespaces.py with ``ip netns exec NS python3 THIS KIND READY``;
it names itself (prctl PR_SET_NAME, so /proc/PID/comm shows it), builds the sockets of
KIND on loopback, writes READY (JSON: pid, comm, counts by state, details) and stays until
SIGTERM. Kinds:

- ``time_wait``: a listener and 25 connections closed by the client first, leaving 25
  TIME_WAIT sockets (they live 60 s);
- ``close_wait``: a listener, 3 ESTABLISHED pairs, and 7 connections the client closes
  while this process never closes its end: 7 CLOSE_WAIT sockets held by this process and
  7 orphaned FIN_WAIT2 client sockets;
- ``ports``: ip_local_port_range narrowed to 10 ports inside this namespace, then 10 held
  connections to one listener use them all; an 11th connect() must fail with EADDRNOTAVAIL.
"""

import ctypes
import errno
import json
import os
import signal
import socket
import sys
import time

PORTS = {"time_wait": 23201, "close_wait": 23202, "ports": 23203}
NAMES = {"time_wait": "nf-tw-maker", "close_wait": "nf-cw-leaker", "ports": "nf-port-hog"}
RANGE = (40000, 40009)


def set_comm(name):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)  # PR_SET_NAME


def listener(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    return sock


def pairs(server, port, count):
    clients, accepted = [], []
    for _index in range(count):
        client = socket.socket()
        client.connect(("127.0.0.1", port))
        clients.append(client)
        accepted.append(server.accept()[0])
    return clients, accepted


def settle():
    """Let the passive sides finish their close (LAST_ACK -> CLOSED) before reporting."""
    time.sleep(0.5)


def build(kind, keep):
    port = PORTS[kind]
    server = listener(port)
    keep.append(server)
    result = {"port": port, "counts": {"LISTEN": 1}}
    if kind == "time_wait":
        clients, accepted = pairs(server, port, 25)
        for client in clients:
            client.close()
        for sock in accepted:
            sock.close()
        result["counts"]["TIME_WAIT"] = 25
    elif kind == "close_wait":
        clients, accepted = pairs(server, port, 3)
        keep.extend(clients + accepted)
        clients, accepted = pairs(server, port, 7)
        for client in clients:
            client.close()
        keep.extend(accepted)
        result["counts"].update(ESTABLISHED=6, CLOSE_WAIT=7, FIN_WAIT2=7)
    elif kind == "ports":
        with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as handle:
            handle.write("%d %d\n" % RANGE)
        clients, accepted = pairs(server, port, RANGE[1] - RANGE[0] + 1)
        keep.extend(clients + accepted)
        extra = socket.socket()
        try:
            extra.connect(("127.0.0.1", port))
            result["eleventh"] = "connected"
        except OSError as error:
            result["eleventh"] = errno.errorcode.get(error.errno, str(error.errno))
        extra.close()
        result["counts"]["ESTABLISHED"] = 2 * (RANGE[1] - RANGE[0] + 1)
        result["range"] = list(RANGE)
    settle()
    return result


def main():
    kind, ready = sys.argv[1], sys.argv[2]
    set_comm(NAMES[kind])
    keep = []
    result = build(kind, keep)
    result.update(pid=os.getpid(), comm=NAMES[kind], made_at=time.time())
    with open(ready + ".tmp", "w") as handle:
        json.dump(result, handle)
    os.rename(ready + ".tmp", ready)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
