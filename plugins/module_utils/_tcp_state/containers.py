# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which container or pod a process belongs to, read from its cgroup path.

PRIVATE: internal to the netfleet.tcp collection.

No container runtime is asked: the runtimes name the cgroup of each container after
it, and ``/proc/PID/cgroup`` shows that path. Recognised (systemd and cgroupfs drivers,
cgroup v1 and v2):

- Docker: ``docker-<id>.scope``, ``/docker/<id>``;
- containerd: ``cri-containerd-<id>.scope`` (Kubernetes), ``nerdctl-<id>.scope``,
  ``/k8s.io/<id>``;
- CRI-O: ``crio-<id>.scope`` (``crio-conmon-<id>.scope`` is its monitor, not the container);
- Podman: ``libpod-<id>.scope``;
- Kubernetes pods: ``kubepods-...-pod<uid>.slice`` or ``/kubepods/.../pod<uid>/<id>``
  (the pod's UID; its name is only known to the API server);
- systemd-nspawn and other machines registered with systemd-machined:
  ``machine.slice/machine-<name>.scope`` (``\\x2d`` unescaped);
- LXC: ``lxc.payload.<name>``, ``/lxc/<name>``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

_ID = r"([0-9a-f]{64})"
_SCOPES = (
    (re.compile(r"^docker-%s\.scope$" % _ID), "docker"),
    (re.compile(r"^cri-containerd-%s\.scope$" % _ID), "containerd"),
    (re.compile(r"^nerdctl-%s\.scope$" % _ID), "containerd"),
    (re.compile(r"^crio-%s\.scope$" % _ID), "cri-o"),
    (re.compile(r"^libpod-%s\.scope$" % _ID), "podman"),
)
_PARENTS = {"docker": "docker", "k8s.io": "containerd"}
_POD_SLICE = re.compile(r"^kubepods(?:-[a-z]+)*-pod([0-9a-f_]{36})\.slice$")
_POD_DIR = re.compile(r"^pod([0-9a-f-]{36})$")
_BARE_ID = re.compile(r"^%s$" % _ID)
_MACHINE = re.compile(r"^machine-(.+)\.scope$")
_LXC_PAYLOAD = re.compile(r"^lxc\.payload\.(.+)$")


def _unescape(name):
    """systemd unit-name escaping: ``\\xNN`` back to the character."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda match: chr(int(match.group(1), 16)), name)


def _from_segments(segments):
    identity = {"runtime": None, "id": None, "name": None, "pod_uid": None}
    for index, segment in enumerate(segments):
        parent = segments[index - 1] if index else ""
        pod = _POD_SLICE.match(segment) or _POD_DIR.match(segment)
        if pod:
            identity["pod_uid"] = pod.group(1).replace("_", "-")
            identity["runtime"] = identity["runtime"] or "kubernetes"
            continue
        for pattern, runtime in _SCOPES:
            match = pattern.match(segment)
            if match:
                identity.update(runtime=runtime, id=match.group(1))
                break
        else:
            if _BARE_ID.match(segment) and (parent in _PARENTS or identity["pod_uid"]):
                identity.update(runtime=_PARENTS.get(parent, identity["runtime"]), id=segment)
            elif parent == "machine.slice" and _MACHINE.match(segment):
                identity.update(runtime="systemd-nspawn", name=_unescape(_MACHINE.match(segment).group(1)))
            elif _LXC_PAYLOAD.match(segment) or (parent == "lxc" and segment):
                name = _LXC_PAYLOAD.match(segment).group(1) if _LXC_PAYLOAD.match(segment) else segment
                identity.update(runtime="lxc", name=name)
    return identity if identity["runtime"] else None


def parse_cgroup(text):
    """``/proc/PID/cgroup`` text -> ``{runtime, id, name, pod_uid}``, or None for no container.

    The unified (v2, ``0::``) line is read first, then the v1 lines; the first path that
    names a container wins.
    """
    paths = []
    for line in (text or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            paths.insert(0, parts[2])
        else:
            paths.append(parts[2])
    for path in paths:
        identity = _from_segments([segment for segment in path.split("/") if segment])
        if identity:
            return identity
    return None


def container_of(proc, pid):
    """The container identity of a process, or None (no container, gone, or not readable)."""
    try:
        with open(os.path.join(proc, str(pid), "cgroup")) as handle:
            return parse_cgroup(handle.read())
    except (IOError, OSError, UnicodeDecodeError):
        return None
