# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How fast tcp_state_facts counts TCP sockets, against ss, netstat and the kernel's floor.

Run as root from the repository root:

    .venv/bin/python benchmarks/tcp_state_facts.py                    # 10k, 200k, 1M sockets
    .venv/bin/python benchmarks/tcp_state_facts.py --sizes 10000,200000 --no-docs
    .venv/bin/python benchmarks/tcp_state_facts.py --namespaces       # namespaces: all (see _netns_bench.py)

For each size it makes a dedicated network namespace (loopback only; tcp_max_tw_buckets
raised, tcp_tw_reuse off and a wide ip_local_port_range there, nothing set outside it),
fills it with sockets in known states and measures, in one run:

- the bare netlink receive loop: the same TCPDIAG_GETSOCK dump, counting bytes only
  (what the kernel costs; nothing can be faster);
- the census in-process (``_inet_diag.take_census``) and ``_tcp_state.gather()``;
- the census as a whole process: ``python3 -c`` running gather() from the checkout, with
  its peak RSS, and the same with ``detail: [ports, listeners]``;
- the module itself run as a process (AnsibleModule and all), for reference;
- ``ss -tan | awk '{print $1}' | sort | uniq -c``;
- ``netstat -an | awk '/^tcp/ {++S[$NF]} END {for (k in S) print k, S[k]}'``;
- reading /proc/net/tcp and tcp6 in Python (the module's fallback reader).

Every method's counts are checked against the sockets the generator built, exactly.

The generator: held sockets first (ESTABLISHED pairs; FIN_WAIT2 + CLOSE_WAIT pairs from a
half-close whose peer never closes), then a burst of TIME_WAIT (active close) and
orphaned FIN_WAIT2 (the client closes, the server never does; the kernel keeps the
client as a timewait minisock). TIME_WAIT and orphaned FIN_WAIT2 sockets expire 60 s
after they were made, so every measurement round must end within that window: the
script stops starting rounds before it closes and checks the census did not change
during the run. A process may hold at most ``ulimit -n`` sockets (20000 here; raising
the hard limit needs CAP_SYS_RESOURCE), so held sockets are spread over many worker
processes; TIME_WAIT sockets hold no descriptor. fs.nr_open and fs.file-max are
machine-wide and are never changed; a size that would need more descriptors than the
machine can spare is skipped with the reason.

The table goes to docs/benchmarks.md between ``<!-- BEGIN tcp_state_facts -->`` and
``<!-- END tcp_state_facts -->``.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

from _docs_section import write_section  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
DOCS = os.path.join(REPO, "docs", "benchmarks.md")
BEGIN, END = "<!-- BEGIN tcp_state_facts -->", "<!-- END tcp_state_facts -->"
STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")
SS_NAMES = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
            "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT",
            "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING"}
SS_PIPE = "ss -tan | awk '{print $1}' | sort | uniq -c"
NETSTAT_PIPE = "netstat -an | awk '/^tcp/ {++S[$NF]} END {for (k in S) print k, S[k]}'"
# Share of the sockets per kind (of the total asked for).
MIX = {"time_wait": 0.40, "established": 0.30, "half_close": 0.20, "orphan": 0.10}
TIME_LIMITED_CAP = 200000         # TIME_WAIT + orphaned FIN_WAIT2 sockets at most (see mix())
FD_PER_WORKER = 19000
LIFETIME = 60.0                   # TIME_WAIT and orphaned FIN_WAIT2 (tcp_fin_timeout) in seconds
MARGIN = 4.0
NS_SYSCTLS = {                    # written inside the benchmark namespace only
    "net/ipv4/tcp_max_tw_buckets": "4000000",
    "net/ipv4/tcp_tw_reuse": "0",
    "net/ipv4/ip_local_port_range": "10000 65535",
    "net/core/somaxconn": "65535",
    "net/ipv4/tcp_max_syn_backlog": "65535",
    "net/ipv4/tcp_fin_timeout": "60",
}
HOST_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

WHOLE = r"""
import json, sys
sys.path.insert(0, %(collections)r)
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import gather
facts = gather(detail=%(detail)r)
with open("/proc/self/status") as handle:
    peak = [int(line.split()[1]) for line in handle if line.startswith("VmHWM:")][0]
print(json.dumps({"families": facts["families"], "source": facts["source"], "method": facts["method"],
                  "destinations": len(facts.get("ports", {}).get("destinations", [])), "vmhwm_kib": peak}))
"""


# ============================================================================ worker


# Listeners of one generator process: (family, role). Orphaned FIN_WAIT2 connections get
# listeners of their own: once their client minisock expires, a new connection to the
# same listener could reuse its 4-tuple and be answered by the CLOSE_WAIT peer still there.
LISTENERS = (("ipv4", "main"),) * 6 + (("ipv6", "main"), ("ipv4", "orphan"), ("ipv6", "orphan"))
BATCH = 256
MAIN_LISTENERS = [index for index, (_family, role) in enumerate(LISTENERS) if role == "main"]
ORPHAN_LISTENERS = [index for index, (_family, role) in enumerate(LISTENERS) if role == "orphan"]


def batches(count, listeners, turn):
    """Replay a worker's batching: yields (listener index, connections); ``turn`` is [int]."""
    made = 0
    while made < count:
        index = listeners[turn[0] % len(listeners)]
        turn[0] += 1
        step = min(BATCH, count - made)
        made += step
        yield index, step


def worker(plan):
    """Build held sockets, report, wait for the burst, make it, report, wait for the end."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    listeners = []
    for index, (family, _role) in enumerate(LISTENERS):
        v6 = family == "ipv6"
        sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        address = ("::1" if v6 else "127.0.0.1", plan["port"] + index)
        sock.bind(address)
        sock.listen(4096)
        listeners.append((sock, sock.family, address))
    main = [index for index, (_family, role) in enumerate(LISTENERS) if role == "main"]
    orphans = [index for index, (_family, role) in enumerate(LISTENERS) if role == "orphan"]
    keep = []
    turns = {"main": [0], "orphan": [0]}

    def batch(count, handle, subset, turn):
        for index, step in batches(count, subset, turn):
            listener, family, address = listeners[index]
            clients = []
            for _index in range(step):
                client = socket.socket(family)
                client.connect(address)
                clients.append(client)
            servers = [listener.accept()[0] for _client in clients]
            handle(clients, servers)

    def established(clients, servers):
        keep.extend(clients)
        keep.extend(servers)

    def half_close(clients, servers):
        for client in clients:
            client.shutdown(socket.SHUT_WR)
        keep.extend(clients)
        keep.extend(servers)

    def time_wait(clients, servers):
        for client in clients:  # the client closes first: it is the one left in TIME_WAIT
            client.close()
        for server in servers:
            server.close()

    def orphan(clients, servers):
        for client in clients:
            client.close()
        keep.extend(servers)

    batch(plan["established"], established, main, turns["main"])
    batch(plan["half_close"], half_close, main, turns["main"])
    sys.stdout.write("held\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "burst":
        return
    start = time.time()
    batch(plan["orphan"], orphan, orphans, turns["orphan"])
    batch(plan["time_wait"], time_wait, main, turns["main"])
    sys.stdout.write("done %.6f %.6f\n" % (start, time.time()))
    sys.stdout.flush()
    sys.stdin.readline()


# ============================================================================ runner


def mix(size):
    """Connections per kind for ``size`` sockets.

    TIME_WAIT and orphaned FIN_WAIT2 sockets live 60 s, and making them takes the
    generator about 50 us each, so they are capped at TIME_LIMITED_CAP sockets to fit
    the window with the measurements; the rest are held (ESTABLISHED 60 %, FIN_WAIT2 +
    CLOSE_WAIT 40 %).
    """
    time_wait = min(int(size * MIX["time_wait"]), int(TIME_LIMITED_CAP * 0.8))
    orphan = min(int(size * MIX["orphan"]), int(TIME_LIMITED_CAP * 0.2)) // 2
    rest = size - time_wait - orphan * 2
    established = int(rest * 0.6) // 2
    half_close = (rest - established * 2) // 2
    return {"time_wait": time_wait, "established": established, "half_close": half_close, "orphan": orphan}


def make_plans(size):
    """Split ``size`` sockets into worker plans; returns (plans, connections per kind)."""
    conns = mix(size)
    descriptors = conns["established"] * 2 + conns["half_close"] * 2 + conns["orphan"]
    workers = max(2, int(math.ceil(descriptors / float(FD_PER_WORKER - 100))))
    plans = []
    for index in range(workers):
        # Listening ports stay below ip_local_port_range so no client can take one first.
        plan = {"port": 2000 + index * len(LISTENERS)}
        for kind, total in conns.items():
            plan[kind] = total // workers + (1 if index < total % workers else 0)
        plans.append(plan)
    return plans, conns


def expected_counts(plans):
    """The census the plans must produce, per family, replaying each worker's batching."""
    expected = {"ipv4": dict.fromkeys(STATES, 0), "ipv6": dict.fromkeys(STATES, 0)}
    shapes = {"established": {"ESTABLISHED": 2}, "half_close": {"FIN_WAIT2": 1, "CLOSE_WAIT": 1},
              "orphan": {"FIN_WAIT2": 1, "CLOSE_WAIT": 1}, "time_wait": {"TIME_WAIT": 1}}
    main = [index for index, (_family, role) in enumerate(LISTENERS) if role == "main"]
    orphans = [index for index, (_family, role) in enumerate(LISTENERS) if role == "orphan"]
    for plan in plans:
        for family, _role in LISTENERS:
            expected[family]["LISTEN"] += 1
        turns = {"main": [0], "orphan": [0]}
        for kind, subset, turn in (("established", main, "main"), ("half_close", main, "main"),
                                   ("orphan", orphans, "orphan"), ("time_wait", main, "main")):
            for index, step in batches(plan[kind], subset, turns[turn]):
                family = LISTENERS[index][0]
                for state, per in shapes[kind].items():
                    expected[family][state] += step * per
    return expected


def totals(families):
    return dict((name, families["ipv4"][name] + families["ipv6"][name]) for name in STATES)


def timed_process(argv, env=None, shell=False):
    """Run a process; returns (seconds, stdout, stderr)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, shell=shell,
                          universal_newlines=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%s): %s" % (argv, proc.returncode, proc.stderr[-2000:]))
    return elapsed, proc.stdout, proc.stderr


def peak_rss(argv, env=None):
    """Peak RSS in KiB of a process, measured by GNU time around it (not timed).

    ru_maxrss of a child forked from this (large) process would include the memory it
    had before exec; GNU time's own child starts from GNU time's small image.
    """
    _seconds, out, err = timed_process(["/usr/bin/time", "-f", "maxrss=%M"] + argv, env=env)
    return int(re.findall(r"maxrss=(\d+)", err)[-1]), out


def parse_ss(text):
    counts = dict.fromkeys(STATES, 0)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] in SS_NAMES:
            counts[SS_NAMES[fields[1]]] += int(fields[0])
    return counts


def parse_netstat(text):
    counts = dict.fromkeys(STATES, 0)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] in counts:
            counts[fields[0]] += int(fields[1])
        elif len(fields) == 2:
            raise RuntimeError("netstat state %r unknown" % fields[0])
    return counts


def bare_loop(buf):
    """The kernel's floor: the census request, the reply received and only its bytes counted."""
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.inet_diag import ALL_STATES, TCPDIAG_GETSOCK, build_request

    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 4)
    try:
        sock.bind((0, 0))
        sock.send(build_request(TCPDIAG_GETSOCK, ALL_STATES))
        received = 0
        recv_into = sock.recv_into
        unpack = struct.Struct("=IH").unpack_from
        while True:
            nbytes = recv_into(buf)
            received += nbytes
            if nbytes >= 20 and unpack(buf, nbytes - 20) == (20, 3):
                return received
    finally:
        sock.close()


def runner(size, rounds, out_path):
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.netfleet.tcp.plugins.module_utils import _tcp_state
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import inet_diag as _inet_diag, proc_net as _proc_net

    for relative, value in NS_SYSCTLS.items():
        with open(os.path.join("/proc/sys", relative), "w") as handle:
            handle.write(value + "\n")
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    plans = make_plans(size)[0]
    expected = expected_counts(plans)
    workers = []
    result = {"size": size, "workers": len(plans), "expected": expected, "runs": {}, "checks": [], "notes": []}
    argsfile = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"ANSIBLE_MODULE_ARGS": {}}, argsfile)
    argsfile.close()
    try:
        build_start = time.time()
        for plan in plans:
            workers.append(subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(plan)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True))
        for proc in workers:
            line = proc.stdout.readline().strip()
            if line != "held":
                raise RuntimeError("a worker failed while building held sockets (%r)" % line)
        result["held_seconds"] = round(time.time() - build_start, 1)
        for proc in workers:
            proc.stdin.write("burst\n")
            proc.stdin.flush()
        starts, ends = [], []
        for proc in workers:
            fields = proc.stdout.readline().split()
            if not fields or fields[0] != "done":
                raise RuntimeError("a worker failed during the burst")
            starts.append(float(fields[1]))
            ends.append(float(fields[2]))
        first, last = min(starts), max(ends)
        deadline = first + LIFETIME - MARGIN
        result["burst_seconds"] = round(last - first, 1)
        time.sleep(0.5)
        buf = bytearray(_inet_diag.RECV_BUFFER)
        # Python processes cache their bytecode as an installed tool would (in a private
        # directory, warmed up once below), not compiling the modules on every run.
        cache = tempfile.mkdtemp(prefix="nfbench-pycache-")
        env = dict(os.environ, PYTHONPATH=COLLECTIONS, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        whole = WHOLE % {"collections": COLLECTIONS, "detail": []}
        detailed = WHOLE % {"collections": COLLECTIONS, "detail": ["ports", "listeners"]}
        module = [sys.executable, os.path.join(REPO, "plugins", "modules", "tcp_state_facts.py"), argsfile.name]
        runs = result["runs"]
        # What is left once every TIME_WAIT and orphaned FIN_WAIT2 socket has expired.
        held = {}
        for family in ("ipv4", "ipv6"):
            held[family] = dict(expected[family], TIME_WAIT=0)
            held[family]["FIN_WAIT2"] = expected[family]["FIN_WAIT2"] - sum(
                step for plan in plans for index, step in batches(plan["orphan"], ORPHAN_LISTENERS, [0])
                if LISTENERS[index][0] == family)

        # An orphaned FIN_WAIT2 connection whose last ACK met a busy socket stays a full
        # socket; when tcp_fin_timeout ends it, the kernel resets the peer, so after the
        # window some CLOSE_WAIT peers of orphans may be gone too.
        orphan_floor = {}
        for family in ("ipv4", "ipv6"):
            orphans = expected[family]["FIN_WAIT2"] - held[family]["FIN_WAIT2"]
            orphan_floor[family] = dict(held[family], CLOSE_WAIT=held[family]["CLOSE_WAIT"] - orphans)

        def check(name, counts):
            """Exact while the window is open; after it, TIME_WAIT and FIN_WAIT2 as bounds."""
            shaped = "ipv4" in counts
            want = expected if shaped else totals(expected)
            if counts == want:
                return
            if time.time() <= first + LIFETIME:
                result["checks"].append("%s counted %r, %r were built" % (name, counts, want))
                return
            floor = orphan_floor if shaped else totals(orphan_floor)
            pairs = [(counts, want, floor)] if not shaped else [(counts[f], want[f], floor[f]) for f in ("ipv4", "ipv6")]
            for got, top, bottom in pairs:
                for state in STATES:
                    if not bottom[state] <= got[state] <= top[state]:
                        result["checks"].append("%s counted %r, %r were built" % (name, counts, want))
                        return
            result["expired"].append(name)

        def cpu():
            total = 0.0
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
                usage = resource.getrusage(who)
                total += usage.ru_utime + usage.ru_stime
            return total

        def measure(name, action, parse=None):
            """Time ``action`` (wall and CPU, this process and its children); check its counts."""
            before = cpu()
            start = time.perf_counter()
            value = action()
            seconds = time.perf_counter() - start
            entry = runs.setdefault(name, {"seconds": [], "rss_kib": [], "cpu": []})
            entry["seconds"].append(seconds)
            entry["cpu"].append(cpu() - before)
            if parse is not None:
                counts, rss = parse(value)
                check(name, counts)
                if rss is not None:
                    entry["rss_kib"].append(rss)
            return value

        def families(census):
            return {"ipv4": dict(zip(STATES, census.ipv4[1:])), "ipv6": dict(zip(STATES, census.ipv6[1:]))}

        def from_whole(value):
            data = json.loads(value[1])
            return data["families"], data["vmhwm_kib"]

        result["expired"] = []
        check("the census right after the burst", _tcp_state.gather()["families"])
        for argv in ([HOST_PYTHON, "-c", whole], [HOST_PYTHON, "-c", detailed], module):
            timed_process(argv, env=env)  # warm the bytecode cache
        round_seconds = None
        for index in range(rounds):
            begin = time.time()
            if round_seconds is not None and begin + round_seconds > deadline:
                break
            # Most telling first, so a slow machine still measures them inside the window.
            measure("bare", lambda: bare_loop(buf))
            census = measure("census_inprocess", lambda: _inet_diag.take_census(_inet_diag.SockDiag()),
                             lambda value: (families(value[0]), None))
            result["method"] = census[2]
            measure("whole", lambda: timed_process([HOST_PYTHON, "-c", whole], env=env), from_whole)
            measure("ss", lambda: timed_process(SS_PIPE, shell=True), lambda value: (parse_ss(value[1]), None))
            measure("whole_detail", lambda: timed_process([HOST_PYTHON, "-c", detailed], env=env), from_whole)
            measure("netstat", lambda: timed_process(NETSTAT_PIPE, shell=True),
                    lambda value: (parse_netstat(value[1]), None))
            measure("proc_python", lambda: _proc_net.proc_census("/proc"), lambda value: ({
                "ipv4": dict(zip(STATES, value["ipv4"][1:])), "ipv6": dict(zip(STATES, value["ipv6"][1:]))}, None))
            measure("gather_inprocess", _tcp_state.gather, lambda value: (value["families"], None))
            measure("module", lambda: timed_process(module, env=env),
                    lambda value: (json.loads(value[1])["ansible_facts"]["tcp_state"]["families"], None))
            measure("bare", lambda: bare_loop(buf))
            measure("census_inprocess", lambda: _inet_diag.take_census(_inet_diag.SockDiag()),
                    lambda value: (families(value[0]), None))
            round_seconds = time.time() - begin
        result["rounds"] = len(runs.get("ss", {}).get("seconds", []))
        check("the census at the end", _tcp_state.gather()["families"])
        if os.path.exists("/usr/bin/time"):
            # Peak RSS seen from outside (GNU time) for the module, and for the census
            # process as a cross-check of the VmHWM it reports itself. Not timed.
            runs["module"]["rss_kib"].append(peak_rss(module, env=env)[0])
            runs["whole"]["rss_time_kib"] = [peak_rss([HOST_PYTHON, "-c", whole], env=env)[0]]
        shutil.rmtree(cache, ignore_errors=True)
        if result["expired"]:
            result["notes"].append(
                "the run outlasted the 60 s lifetime of TIME_WAIT and orphaned FIN_WAIT2 sockets; %s ran after some "
                "had expired, so their TIME_WAIT, FIN_WAIT2 and CLOSE_WAIT counts were checked as bounds (between "
                "what outlives the window and what was built) and every other state exactly" % ", ".join(sorted(set(result["expired"]))))
        result["seconds_after_burst"] = round(time.time() - first, 1)
        result["load"] = os.getloadavg()
    finally:
        for proc in workers:
            try:
                proc.stdin.write("exit\n")
                proc.stdin.flush()
                proc.stdin.close()
            except (IOError, OSError):
                pass
        for proc in workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        os.unlink(argsfile.name)
    with open(out_path, "w") as handle:
        json.dump(result, handle)


# ============================================================================ orchestrator


def preflight():
    problems = []
    if os.geteuid() != 0:
        problems.append("needs root (network namespaces)")
    for tool in ("ip", "ss", "netstat", "awk", "sort", "uniq"):
        if not shutil.which(tool):
            problems.append("needs %s" % tool)
    return problems


def can_hold(size):
    """None when this machine can hold ``size`` sockets, else why not."""
    plans, conns = make_plans(size)
    descriptors = conns["established"] * 2 + conns["half_close"] * 2 + conns["orphan"]
    with open("/proc/sys/fs/file-nr") as handle:
        used, _free, file_max = [int(value) for value in handle.read().split()]
    if used + descriptors > file_max * 0.8:
        return ("needs %d descriptors; fs.file-max is %d with %d in use, and it is machine-wide (not changed)"
                % (descriptors, file_max, used))
    with open("/proc/meminfo") as handle:
        available = dict((line.split(":")[0], int(line.split()[1]) * 1024) for line in handle if ":" in line)
    need = size * 4096 + len(plans) * 30 * 2 ** 20
    if available.get("MemAvailable", 0) < need * 1.5:
        return "needs about %d MiB of memory, %d MiB available" % (need >> 20, available.get("MemAvailable", 0) >> 20)
    return None


def run_size(size, rounds):
    namespace = "nfbench-%d-%d" % (os.getpid(), size)
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
    out.close()
    subprocess.check_call(["ip", "netns", "add", namespace])
    try:
        subprocess.check_call(["ip", "netns", "exec", namespace, sys.executable, os.path.abspath(__file__),
                               "--runner", str(size), "--rounds", str(rounds), "--out", out.name])
        with open(out.name) as handle:
            return json.load(handle)
    finally:
        subprocess.call(["ip", "netns", "del", namespace])
        os.unlink(out.name)


def median_ms(entry):
    return statistics.median(entry["seconds"]) * 1000.0 if entry and entry["seconds"] else None


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem = int(handle.readline().split()[1]) / 1024.0 / 1024.0
    ss_version = subprocess.run(["ss", "-V"], stdout=subprocess.PIPE, universal_newlines=True,
                                check=False).stdout.strip()
    netstat_version = subprocess.run(["netstat", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     universal_newlines=True, check=False).stdout.splitlines()[0].strip()
    python = subprocess.run([HOST_PYTHON, "-c", "import platform; print(platform.python_version())"],
                            stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem, "kernel": platform.release(), "python": python,
            "ss": ss_version, "netstat": netstat_version,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


ROWS = (
    ("bare", "bare netlink receive loop (the kernel's floor)"),
    ("census_inprocess", "census in-process (`take_census`)"),
    ("gather_inprocess", "`gather()` in-process (census, sockstat, counters, limits, listeners)"),
    ("whole", "**census as a whole process** (`python3 -c`, gather)"),
    ("whole_detail", "**`detail: [ports, listeners]`**, whole process"),
    ("module", "the module run as a process (AnsibleModule import included)"),
    ("ss", "`ss -tan \\| awk \\| sort \\| uniq -c`"),
    ("netstat", "`netstat -an \\| awk`"),
    ("proc_python", "/proc/net/tcp{,6} read in Python (the fallback)"),
)


def render(info, results, skipped):
    sizes = [result["size"] for result in results]
    lines = [BEGIN, "## tcp_state_facts: counting TCP sockets", ""]
    lines.append("Measured by `benchmarks/tcp_state_facts.py` on %s (%d cores), %.1f GiB RAM; kernel %s; "
                 "Python %s; %s; %s; %s." % (info["cpu"], info["cores"], info["mem_gib"], info["kernel"],
                                             info["python"], info["ss"], info["netstat"], info["date"]))
    lines.append("")
    lines.append("Each size is a fresh network namespace on loopback: %d%% TIME_WAIT (active close), %d%% ESTABLISHED, "
                 "%d%% FIN_WAIT2 + CLOSE_WAIT from half-closed connections whose peer never closes, %d%% orphaned "
                 "FIN_WAIT2 minisocks + their CLOSE_WAIT peers, plus 8 listeners per generator process; one connection "
                 "batch in 8 is IPv6 (at 1,000,000 the TIME_WAIT and orphaned sockets are capped at 200,000 so they can be "
                 "made and measured within their 60 s lifetime; the rest are held). Python processes run with their "
                 "bytecode cached, as an installed tool's would be. Times are the median wall time of the rounds run "
                 "(the machine is shared, so rounds vary); ratios use medians."
                 % tuple(int(MIX[k] * 100) for k in ("time_wait", "established", "half_close", "orphan")))
    lines.append("")
    header = "| method | " + " | ".join("%s sockets" % format(size, ",") for size in sizes) + " |"
    lines.append(header)
    lines.append("|---|" + "---:|" * len(sizes))
    for key, label in ROWS:
        cells = []
        for result in results:
            runs = result["runs"]
            value = median_ms(runs.get(key))
            if value is None:
                cells.append("-")
                continue
            extra = ""
            if key in ("census_inprocess", "gather_inprocess"):
                extra = " (%.2fx bare)" % (value / median_ms(runs["bare"]))
            elif key in ("whole", "whole_detail"):
                extra = " (%.2fx ss)" % (value / median_ms(runs["ss"]))
            cells.append("%.0f ms%s" % (value, extra) if value >= 10 else "%.1f ms%s" % (value, extra))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    for key, label in (("whole", "peak RSS, census whole process"), ("whole_detail", "peak RSS, detail whole process"),
                       ("module", "peak RSS, the module as a process")):
        cells = []
        for result in results:
            rss = result["runs"].get(key, {}).get("rss_kib")
            cells.append("%.1f MB" % (max(rss) / 1024.0) if rss else "-")
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    lines.append("| rounds run | %s |" % " | ".join(str(result.get("rounds", 0)) for result in results))
    lines.append("| every method counted exactly the sockets built | %s |" % " | ".join(
        "yes" if not result["checks"] else "NO" for result in results))
    lines.append("")
    lines.append("CPU time (user + system, all processes of the method; median), which other load on the "
                 "machine disturbs less than wall time:")
    lines.append("")
    lines.append(header)
    lines.append("|---|" + "---:|" * len(sizes))
    for key, label in ROWS:
        cells = []
        for result in results:
            entry = result["runs"].get(key)
            if not entry or not entry.get("cpu"):
                cells.append("-")
                continue
            value = statistics.median(entry["cpu"]) * 1000.0
            extra = ""
            base = result["runs"]["bare"]["cpu"]
            if key in ("census_inprocess", "gather_inprocess") and statistics.median(base):
                extra = " (%.2fx bare)" % (value / (statistics.median(base) * 1000.0))
            elif key in ("whole", "whole_detail") and statistics.median(result["runs"]["ss"]["cpu"]):
                extra = " (%.2fx ss)" % (value / (statistics.median(result["runs"]["ss"]["cpu"]) * 1000.0))
            cells.append("%.0f ms%s" % (value, extra))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    lines.append("")
    lines.append("Targets at 200,000 sockets and above:")
    lines.append("")
    for result in results:
        if result["size"] < 200000:
            continue
        runs = result["runs"]
        bare, ss = median_ms(runs["bare"]), median_ms(runs["ss"])
        checks = [
            ("census as a whole process <= 0.35x ss", median_ms(runs["whole"]) / ss, 0.35),
            ("census in-process <= 1.6x the bare loop", median_ms(runs["census_inprocess"]) / bare, 1.6),
            ("detail [ports, listeners] <= 1.0x ss", median_ms(runs["whole_detail"]) / ss, 1.0),
        ]
        rss = max(runs["whole"]["rss_kib"]) / 1024.0
        parts = ["%s: %.2fx (%s)" % (label, ratio, "met" if ratio <= limit else "missed") for label, ratio, limit in checks]
        parts.append("peak RSS < 25 MB: %.1f MB (%s)" % (rss, "met" if rss < 25 else "missed"))
        lines.append("- %s sockets: %s." % (format(result["size"], ","), "; ".join(parts)))
    rss_values = [max(result["runs"]["whole"]["rss_kib"]) / 1024.0 for result in results if result["runs"].get("whole")]
    if rss_values:
        lines.append("- Peak RSS of the census process from %s to %s sockets: %s MB." % (
            format(results[0]["size"], ","), format(results[-1]["size"], ","), " / ".join("%.1f" % value for value in rss_values)))
    for result in results:
        for check in result["checks"]:
            lines.append("- %s sockets: count mismatch: %s" % (format(result["size"], ","), check))
        for note in result.get("notes", []):
            lines.append("- %s sockets: %s" % (format(result["size"], ","), note))
        lines.append("- %s sockets: %d generator processes; held sockets built in %.1f s, the TIME_WAIT burst took %.1f s, "
                     "measurements ended %.1f s after the burst began (TIME_WAIT lives 60 s); census request %s; "
                     "load average %.1f." % (
                         format(result["size"], ","), result["workers"], result["held_seconds"], result["burst_seconds"],
                         result["seconds_after_burst"], result.get("method"), result["load"][0]))
    for size, reason in skipped:
        lines.append("- %s sockets: skipped, %s." % (format(size, ","), reason))
    lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_docs(section):
    inner = section.split(BEGIN, 1)[-1].rsplit(END, 1)[0]
    write_section("tcp_state_facts", inner, DOCS)


def ensure_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "netfleet", "tcp")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)


def namespaces_main(args, info):
    """The ``--namespaces`` run: each case in a private mount and PID namespace (see _netns_bench)."""
    import _netns_bench  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

    results = []
    for case in args.cases.split(","):
        count, per_namespace = [int(value) for value in case.split("x")]
        reason = can_hold(count * per_namespace)
        if reason:
            print("%s: skipped, %s" % (case, reason))
            continue
        print("%d namespaces x %d sockets: building and measuring..." % (count, per_namespace), flush=True)
        rounds = max(2, min(args.rounds, 5 if count < 100 else 3))
        result = _netns_bench.run_case(count, per_namespace, rounds, COLLECTIONS, HOST_PYTHON)
        results.append(result)
        runs = result["runs"]
        print("  census process %.0f ms, in-process %.0f ms, ss loop %.0f ms, peak RSS %.1f MB, checks: %s" % (
            _netns_bench.median_ms(runs["whole"]["seconds"]), _netns_bench.median_ms(runs["inprocess"]["seconds"]),
            _netns_bench.median_ms(runs["ss_loop"]["seconds"]), max(runs["whole"]["rss_kib"]) / 1024.0,
            result["checks"] or "all counts exact"), flush=True)
    section = _netns_bench.render(info, results)
    print(section)
    if not args.no_docs:
        write_section("tcp_state_facts_namespaces", section, DOCS)
        print("wrote %s" % DOCS)
    return 1 if any(result["checks"] for result in results) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="10000,200000,1000000")
    parser.add_argument("--rounds", type=int, default=5, help="measurement rounds per size (fewer when time runs out)")
    parser.add_argument("--no-docs", action="store_true", help="print the table, do not write docs/benchmarks.md")
    parser.add_argument("--namespaces", action="store_true",
                        help="measure namespaces: all (1, 50 and 200 namespaces of 1,000 sockets, one of 200,000) "
                             "against ip netns exec NS ss -tan per namespace, instead of the single-namespace sizes")
    parser.add_argument("--cases", default="1x1000,50x1000,200x1000,1x200000",
                        help="namespace cases as COUNTxSOCKETS (with --namespaces)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--runner", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    if args.runner:
        runner(args.runner, args.rounds, args.out)
        return 0
    problems = preflight()
    if problems:
        print("cannot run: " + "; ".join(problems))
        return 2
    ensure_link()
    info = machine()
    if args.namespaces:
        return namespaces_main(args, info)
    results, skipped = [], []
    for size in [int(value) for value in args.sizes.split(",")]:
        reason = can_hold(size)
        if reason:
            print("%d sockets: skipped, %s" % (size, reason))
            skipped.append((size, reason))
            continue
        print("%d sockets: building and measuring..." % size, flush=True)
        result = run_size(size, args.rounds)
        results.append(result)
        for key, label in ROWS:
            value = median_ms(result["runs"].get(key))
            print("  %-58s %10.1f ms" % (label.replace("`", "").replace("\\", "").replace("**", ""), value or 0))
        print("  rounds %d, checks: %s" % (result["rounds"], result["checks"] or "all counts exact"), flush=True)
    section = render(info, results, skipped)
    print(section)
    if not args.no_docs:
        write_docs(section)
        print("wrote %s" % DOCS)
    return 1 if any(result["checks"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
