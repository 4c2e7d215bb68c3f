"""Run sysctl_profile's engine inside a fleet host, as the module does, without ansible in between.

Usage (inside the host, e.g. through ``nsenter`` into its sshd's namespaces):

    python3 sysctl_profile_driver.py COLLECTIONS_DIR PARAMS_JSON [--check] [--die-after-writes N]
    python3 sysctl_profile_driver.py COLLECTIONS_DIR --serve

COLLECTIONS_DIR holds ``ansible_collections/netfleet/tcp``; PARAMS_JSON is the module's options.
Prints one JSON line: ``{"failed": bool, "msg": str, "result": {...}}``. ``--die-after-writes N``
makes the process SIGKILL itself right after its N-th write to /proc/sys: a kill at a known point
of the real code, on the real kernel. This is the same engine call the module makes
(plugins/modules/sysctl_profile.py).

``--serve`` imports once, then reads one JSON command per line on stdin and answers one JSON line:
``{"params": {...}, "check": bool, "kill_after": seconds or null}`` forks a child that runs the
engine (so each run starts from the imported code in a few milliseconds, not a Python start-up);
with ``kill_after`` the child gets SIGKILL that many seconds after the fork, wherever it is.
Answer: ``{"killed": bool, "elapsed": seconds, "out": the child's answer or null}``.
``{"probe": {"keys": [...], "dirs": [...]}}`` answers ``{"values": {key: text}, "dirs": {dir: [names]}}``
read directly from /proc/sys and the file system (no collection code).
"""

import json
import os
import signal
import sys
import time


def _probe(probe):
    values = {}
    for key in probe.get("keys", []):
        path = "/proc/sys/" + "/".join(part.replace("/", ".") for part in key.split("."))
        try:
            with open(path) as handle:
                values[key] = " ".join(handle.read().split())
        except OSError:
            values[key] = None
    dirs = {}
    for directory in probe.get("dirs", []):
        try:
            dirs[directory] = sorted(os.listdir(directory))
        except OSError:
            dirs[directory] = None
    return {"values": values, "dirs": dirs}


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _forked(engine, command):
    read_end, write_end = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: one engine run, its answer on the pipe
        os.close(read_end)
        try:
            out = _one(engine, command["params"], command.get("check", False))
        except BaseException as error:  # pylint: disable=broad-except  # reported, not hidden
            out = {"failed": True, "msg": "crashed: %r" % (error,), "result": {}}
        data = json.dumps(out).encode("utf-8")
        while data:
            data = data[os.write(write_end, data):]
        os._exit(0)
    os.close(write_end)
    if command.get("kill_after") is not None:
        time.sleep(command["kill_after"])
        os.kill(pid, signal.SIGKILL)  # a child that already exited is a zombie until waited for
        _pid, status = os.waitpid(pid, 0)
        data = _read_all(read_end)
    else:
        data = _read_all(read_end)
        _pid, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    out = None
    if not killed and data:
        out = json.loads(data.decode("utf-8"))
    return {"killed": killed, "elapsed": time.monotonic() - start, "out": out}


def _one(engine, params, check, writer=None):
    kwargs = {"writer": writer} if writer is not None else {}
    try:
        result = engine.run(params, check_mode=check, **kwargs)
        return {"failed": False, "msg": "", "result": result}
    except engine.ProfileError as error:
        return {"failed": True, "msg": str(error), "result": error.result}


def serve(engine):
    for line in sys.stdin:
        command = json.loads(line)
        if "probe" in command:
            answer = _probe(command["probe"])
        else:
            answer = _forked(engine, command)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


def main(argv):
    collections = argv[1]
    sys.path.insert(0, collections)
    from ansible_collections.netfleet.tcp.plugins.module_utils import _sysctl_profile as engine
    from ansible_collections.netfleet.tcp.plugins.module_utils._sysctl_keys import write_value

    if argv[2] == "--serve":
        return serve(engine)
    params = json.loads(argv[2])
    die_after = None
    if "--die-after-writes" in argv:
        die_after = int(argv[argv.index("--die-after-writes") + 1])
    writes = []

    def writer(key, text, root):
        write_value(key, text, root)
        writes.append(key)
        if die_after is not None and len(writes) >= die_after:
            os.kill(os.getpid(), signal.SIGKILL)

    out = _one(engine, params, "--check" in argv, writer)
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
