# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The namespaces part of benchmarks/tcp_state_facts.py (``--namespaces``).

Each case (N namespaces of S sockets) runs in a private mount and PID namespace
(``unshare --mount --pid --fork --mount-proc``) with its own tmpfs on /run/netns,
so ``namespaces: all`` finds exactly the case's namespaces plus the machine's own
(where the runner sits), never other namespaces of this machine. In it:

- N namespaces are added with ``ip netns add`` (loopback up; ip_local_port_range
  widened inside them only);
- generator processes join them with setns and hold exactly S sockets in each, on
  loopback: listeners, ESTABLISHED pairs and FIN_WAIT2 + CLOSE_WAIT pairs from a
  half-close (all held, so nothing expires during the run); a process holds at most
  19,000 descriptors, so sockets are spread over as many processes as needed;
- measured in the same run, round after round: ``tcp_state_facts``' census of every
  namespace as a whole process (``python3 -c``: gather() plus gather_namespaces(),
  what the module does with ``namespaces: all``; it reports its peak RSS), the same
  in-process, and ``ip netns exec NS ss -tan`` run for each namespace in turn;
- every method's counts are checked per namespace against what was built.

Everything made is removed at the end: the generators exit, the namespaces are
deleted, and the private mount and PID namespaces end with the runner.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import time

FD_BUDGET = 19000
NS_SYSCTLS = {"net/ipv4/ip_local_port_range": "10000 65535", "net/core/somaxconn": "65535",
              "net/ipv4/tcp_max_syn_backlog": "65535"}
SS_STATES = {"ESTAB": "ESTABLISHED", "FIN-WAIT-2": "FIN_WAIT2", "CLOSE-WAIT": "CLOSE_WAIT", "LISTEN": "LISTEN"}
CENSUS = r"""
import json, sys
sys.path.insert(0, %(collections)r)
from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import gather, gather_namespaces
facts = gather()
entries, scan = gather_namespaces(current_facts=facts)
with open("/proc/self/status") as handle:
    peak = [int(line.split()[1]) for line in handle if line.startswith("VmHWM:")][0]
print(json.dumps({"namespaces": dict((e["name"] or "-%%d" %% e["inode"], e.get("states")) for e in entries),
                  "scan": scan, "vmhwm_kib": peak}))
"""


def pieces(namespaces, per_namespace):
    """``[(namespace, sockets)]``: each namespace's sockets cut into pieces of at most FD_BUDGET."""
    result = []
    for name in namespaces:
        left = per_namespace
        while left > 0:
            take = min(left, FD_BUDGET)
            if 0 < left - take < 3:  # every piece needs a listener and a pair
                take -= 3
            result.append((name, take))
            left -= take
    return result


def piece_shape(sockets):
    """``(listeners, established pairs, half-close pairs)`` adding up to ``sockets`` exactly."""
    listeners = 1 + (sockets - 1) % 2
    pairs = (sockets - listeners) // 2
    established = int(pairs * 0.6)
    return listeners, established, pairs - established


def workers_plan(parts):
    """Group pieces into generator processes of at most FD_BUDGET descriptors each."""
    plans, current, used = [], [], 0
    for index, (name, sockets) in enumerate(parts):
        if current and used + sockets > FD_BUDGET:
            plans.append(current)
            current, used = [], 0
        current.append({"namespace": name, "sockets": sockets, "port": 2000 + 2 * index})
        used += sockets
    if current:
        plans.append(current)
    return plans


def expected_counts(parts):
    counts = {}
    for name, sockets in parts:
        listeners, established, half = piece_shape(sockets)
        entry = counts.setdefault(name, {"LISTEN": 0, "ESTABLISHED": 0, "FIN_WAIT2": 0, "CLOSE_WAIT": 0})
        entry["LISTEN"] += listeners
        entry["ESTABLISHED"] += 2 * established
        entry["FIN_WAIT2"] += half
        entry["CLOSE_WAIT"] += half
    return counts


def _setns(path):
    if hasattr(os, "setns"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.setns(fd, 0x40000000)
        finally:
            os.close(fd)
        return
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns %s" % path)
    finally:
        os.close(fd)


def generator(plan):
    """Hold the sockets of a plan (list of pieces), report, wait for the end."""
    import resource
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keep = []
    for piece in plan:
        _setns("/run/netns/" + piece["namespace"])
        listeners, established, half = piece_shape(piece["sockets"])
        servers = []
        for index in range(listeners):
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", piece["port"] + index))
            server.listen(4096)
            servers.append(server)
            keep.append(server)
        for count, shut in ((established, False), (half, True)):
            made = 0
            while made < count:
                step = min(256, count - made)
                clients = []
                for _index in range(step):
                    client = socket.socket()
                    client.connect(("127.0.0.1", piece["port"]))
                    clients.append(client)
                for client in clients:
                    accepted = servers[0].accept()[0]
                    keep.append(accepted)
                    if shut:
                        client.shutdown(socket.SHUT_WR)
                    keep.append(client)
                made += step
    sys.stdout.write("held\n")
    sys.stdout.flush()
    sys.stdin.readline()


def _ss_counts(text):
    counts = {"LISTEN": 0, "ESTABLISHED": 0, "FIN_WAIT2": 0, "CLOSE_WAIT": 0}
    for line in text.splitlines()[1:]:
        state = line.split(None, 1)[0] if line.strip() else None
        if state in SS_STATES:
            counts[SS_STATES[state]] += 1
        elif state:
            counts[state] = counts.get(state, 0) + 1
    return counts


def _ours(states):
    return dict((key, value) for key, value in (states or {}).items() if value or key in SS_STATES.values())


def runner(count, per_namespace, rounds, out_path, collections, python):
    """Inside the private mount + PID namespace: build, measure, check, clean up."""
    # This mount namespace is private (unshare --mount), so nothing below reaches the machine's
    # mounts: the copies of the machine's /run/netns mounts are dropped here, and a tmpfs there
    # holds only this case's names.
    subprocess.check_call(["mount", "--make-rprivate", "/"])
    with open("/proc/self/mountinfo") as handle:
        inherited = [line.split(" ")[4] for line in handle if line.split(" ")[4].startswith("/run/netns")]
    for path in sorted(inherited, key=len, reverse=True):
        subprocess.call(["umount", "-l", path], stderr=subprocess.DEVNULL)
    subprocess.check_call(["mkdir", "-p", "/run/netns"])
    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "size=1m", "nfbench-netns", "/run/netns"])
    names = ["nfbns-%03d" % index for index in range(count)]
    result = {"namespaces": count, "per_namespace": per_namespace, "checks": [], "runs": {}}
    workers = []
    try:
        for name in names:
            subprocess.check_call(["ip", "netns", "add", name])
            subprocess.check_call(["ip", "-n", name, "link", "set", "lo", "up"])
            for key, value in NS_SYSCTLS.items():
                subprocess.check_call(["ip", "netns", "exec", name, "sh", "-c", "echo %s > /proc/sys/%s" % (value, key)])
        parts = pieces(names, per_namespace)
        expected = expected_counts(parts)
        start = time.time()
        for plan in workers_plan(parts):
            workers.append(subprocess.Popen([sys.executable, os.path.abspath(__file__), json.dumps(plan)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True))
        for proc in workers:
            if proc.stdout.readline().strip() != "held":
                raise RuntimeError("a generator failed")
        result["build_seconds"] = round(time.time() - start, 1)
        result["generators"] = len(workers)
        _measure(result, names, expected, rounds, collections, python)
    finally:
        for proc in workers:
            try:
                proc.stdin.write("exit\n")
                proc.stdin.close()
            except (IOError, OSError):
                pass
        for proc in workers:
            proc.wait()
        for name in names:
            subprocess.call(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
        subprocess.call(["umount", "/run/netns"])
    with open(out_path, "w") as handle:
        json.dump(result, handle)


def _measure(result, names, expected, rounds, collections, python):
    sys.path.insert(0, collections)
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import gather, gather_namespaces

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="")
    env.pop("PYTHONDONTWRITEBYTECODE")
    census = [python, "-c", CENSUS % {"collections": collections}]
    subprocess.run(census, stdout=subprocess.DEVNULL, check=True, env=env)  # warm the bytecode cache
    runs = result["runs"]
    for name in ("whole", "inprocess", "ss_loop", "floor"):
        runs[name] = {"seconds": [], "rss_kib": []}

    def check(method, counts):
        for name in names:
            got = _ours(counts.get(name))
            if got != expected[name]:
                result["checks"].append("%s counted %r in %s, %r were built" % (method, got, name, expected[name]))
                return

    if os.environ.get("NETFLEET_BENCH_PROFILE"):
        import cProfile
        import pstats
        from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import namespaces as _namespaces
        profile = cProfile.Profile()
        inner = _namespaces._pass

        def profiled(*args):
            profile.enable()
            try:
                return inner(*args)
            finally:
                profile.disable()
        _namespaces._pass = profiled
        gather_namespaces(current_facts=gather())
        _namespaces._pass = inner
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    for _round in range(rounds):
        begin = time.perf_counter()
        proc = subprocess.run(census, stdout=subprocess.PIPE, check=True, universal_newlines=True, env=env)
        runs["whole"]["seconds"].append(time.perf_counter() - begin)
        data = json.loads(proc.stdout)
        runs["whole"]["rss_kib"].append(data["vmhwm_kib"])
        result["scan"] = data["scan"]
        check("the census process", data["namespaces"])
        begin = time.perf_counter()
        entries, _scan = gather_namespaces(current_facts=gather())
        runs["inprocess"]["seconds"].append(time.perf_counter() - begin)
        check("the census in-process", dict((entry["name"], entry.get("states")) for entry in entries))
        begin = time.perf_counter()
        seen = {}
        for name in names:
            out = subprocess.run(["ip", "netns", "exec", name, "ss", "-tan"], stdout=subprocess.PIPE, check=True,
                                 universal_newlines=True).stdout
            seen[name] = _ss_counts(out)
        runs["ss_loop"]["seconds"].append(time.perf_counter() - begin)
        check("the ss loop", seen)
        begin = time.perf_counter()
        floor(names)
        runs["floor"]["seconds"].append(time.perf_counter() - begin)


def floor(names):
    """The kernel's floor for any netlink census: join each namespace, one dump, count its bytes only."""
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state import enter
    from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.inet_diag import (
        ALL_STATES, TCPDIAG_GETSOCK, build_request)

    request = build_request(TCPDIAG_GETSOCK, ALL_STATES)
    buf = bytearray(65536)
    setns = enter.setns_function()[0]

    def walk():
        received = 0
        for name in names:
            fd = os.open("/run/netns/" + name, os.O_RDONLY)
            setns(fd)
            os.close(fd)
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
            sock.bind((0, 0))
            sock.send(request)
            while True:
                nbytes = sock.recv_into(buf)
                received += nbytes
                if nbytes >= 20 and buf[nbytes - 20:nbytes - 16] == b"\x14\0\0\0" and buf[nbytes - 16] == 3:
                    break
            sock.close()
        return received
    return enter.run_in_thread(walk)


def run_case(count, per_namespace, rounds, collections, python):
    """Run one case in a private mount and PID namespace; returns its result dict."""
    import tempfile
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
    out.close()
    try:
        subprocess.check_call(["unshare", "--mount", "--pid", "--fork", "--mount-proc", sys.executable,
                               os.path.abspath(__file__), "--runner", str(count), str(per_namespace), str(rounds),
                               out.name, collections, python])
        with open(out.name) as handle:
            return json.load(handle)
    finally:
        os.unlink(out.name)


def median_ms(values):
    return statistics.median(values) * 1000.0 if values else None


def render(info, results):
    """The Markdown section (without its markers)."""
    lines = ["## tcp_state_facts: every network namespace (`namespaces: all`)", ""]
    lines.append("Measured by `benchmarks/tcp_state_facts.py --namespaces` on %s (%d cores), kernel %s, Python %s, "
                 "%s, %s. Each case runs in a private mount and PID namespace with its own /run/netns, so the census "
                 "finds exactly the case's namespaces plus the machine's own one (where the runner sits; it is "
                 "counted too). Sockets are held on loopback (60%% of pairs ESTABLISHED, 40%% FIN_WAIT2 + CLOSE_WAIT "
                 "from a half-close, one or two listeners per generator piece), IPv4. The census process is "
                 "`python3 -c` running gather() and gather_namespaces(), what the module does with `namespaces: all`; "
                 "the comparison runs `ip netns exec NS ss -tan` for each namespace in turn. Times are medians of the "
                 "rounds; every method's counts were checked per namespace against what was built."
                 % (info["cpu"], info["cores"], info["kernel"], info["python"], info["ss"], info["date"]))
    lines.append("")
    header = ["case", "census process (all namespaces)", "census in-process", "`ip netns exec NS ss -tan` loop",
              "ratio to the ss loop", "kernel floor (one bare dump per namespace)", "peak RSS", "rounds",
              "counts exact"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|---|" + "---:|" * (len(header) - 1))
    for result in results:
        runs = result["runs"]
        whole, inproc, ss, bare = (median_ms(runs[key]["seconds"]) for key in ("whole", "inprocess", "ss_loop", "floor"))
        rss = max(runs["whole"]["rss_kib"]) / 1024.0
        lines.append("| %d namespace%s x %s sockets | %.0f ms | %.0f ms | %.0f ms | %.2fx (in-process %.2fx) "
                     "| %.0f ms (%.2fx the ss loop) | %.1f MB | %d | %s |" % (
                         result["namespaces"], "" if result["namespaces"] == 1 else "s",
                         format(result["per_namespace"], ","), whole, inproc, ss, whole / ss, inproc / ss, bare,
                         bare / ss, rss, len(runs["whole"]["seconds"]), "yes" if not result["checks"] else "NO"))
    lines.append("")
    lines.append("Targets: at most 0.3x the ss loop's wall time, peak RSS under 40 MB.")
    lines.append("")
    for result in results:
        runs = result["runs"]
        ratio = median_ms(runs["whole"]["seconds"]) / median_ms(runs["ss_loop"]["seconds"])
        rss = max(runs["whole"]["rss_kib"]) / 1024.0
        lines.append("- %d x %s: census process %.2fx the ss loop (%s); peak RSS %.1f MB (%s); %d generator "
                     "processes built the sockets in %.1f s; the pass saw %s." % (
                         result["namespaces"], format(result["per_namespace"], ","), ratio,
                         "met" if ratio <= 0.3 else "missed", rss, "met" if rss < 40 else "missed",
                         result["generators"], result["build_seconds"], json.dumps(result.get("scan"))))
        for check in result["checks"]:
            lines.append("  - count mismatch: %s" % check)
    lines.append("")
    lines.append("Each namespace costs the census one sock_diag dump (`ss` makes two, one per family), and the kernel "
                 "answers every dump by walking its whole established-socket hash table, every socket of every "
                 "namespace included, whichever namespace asks (the table is shared unless "
                 "net.ipv4.tcp_child_ehash_entries gave a namespace its own when it was made). With N namespaces of "
                 "S sockets that is N walks over N x S sockets, which no netlink tool can avoid: the kernel floor "
                 "column is that walk alone, one bare dump per namespace with nothing parsed, and bounds the ratio "
                 "any census can reach against the ss loop.")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "--runner":
        runner(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7])
    else:
        generator(json.loads(sys.argv[1]))
