# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container and pod identity from /proc/PID/cgroup paths, as each runtime writes them."""

import pytest

from ansible_collections.netfleet.tcp.plugins.module_utils._tcp_state.containers import container_of, parse_cgroup

CID = "4f9a6c3e2b1d0a9f8e7d6c5b4a3928171615141312111009080706050403020a"
POD = "6e1f0c2a-7d3b-4a8e-9f3e-2b1c5d7e9a01"


@pytest.mark.parametrize("text, expected", [
    ("0::/system.slice/docker-%s.scope\n" % CID, {"runtime": "docker", "id": CID, "name": None, "pod_uid": None}),
    ("12:pids:/docker/%s\n1:name=systemd:/docker/%s\n" % (CID, CID),
     {"runtime": "docker", "id": CID, "name": None, "pod_uid": None}),
    ("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/cri-containerd-%s.scope\n"
     % (POD.replace("-", "_"), CID), {"runtime": "containerd", "id": CID, "name": None, "pod_uid": POD}),
    ("0::/kubepods.slice/kubepods-pod%s.slice/crio-%s.scope\n" % (POD.replace("-", "_"), CID),
     {"runtime": "cri-o", "id": CID, "name": None, "pod_uid": POD}),
    ("0::/kubepods/besteffort/pod%s/%s\n" % (POD, CID), {"runtime": "kubernetes", "id": CID, "name": None, "pod_uid": POD}),
    ("0::/k8s.io/%s\n" % CID, {"runtime": "containerd", "id": CID, "name": None, "pod_uid": None}),
    ("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-%s.scope/container\n" % CID,
     {"runtime": "podman", "id": CID, "name": None, "pod_uid": None}),
    ("0::/machine.slice/machine-web\\x2dtest.scope/payload\n",
     {"runtime": "systemd-nspawn", "id": None, "name": "web-test", "pod_uid": None}),
    ("0::/lxc.payload.db1/init.scope\n", {"runtime": "lxc", "id": None, "name": "db1", "pod_uid": None}),
])
def test_runtimes(text, expected):
    assert parse_cgroup(text) == expected


@pytest.mark.parametrize("text", [
    "0::/init.scope\n",
    "0::/system.slice/sshd.service\n",
    "0::/system.slice/crio-conmon-%s.scope\n" % CID,     # CRI-O's monitor, not the container
    "0::/user.slice/%s\n" % CID,                         # an id-like name outside any runtime's tree
    "",
    "garbage without colons\n",
])
def test_no_container(text):
    assert parse_cgroup(text) is None


def test_unified_line_wins_over_v1():
    text = "1:name=systemd:/docker/%s\n0::/kubepods/pod%s/%s\n" % (CID, POD, CID)
    assert parse_cgroup(text)["pod_uid"] == POD


def test_container_of_reads_the_file(tmp_path):
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "cgroup").write_text("0::/system.slice/docker-%s.scope\n" % CID)
    assert container_of(str(tmp_path), 42)["id"] == CID
    assert container_of(str(tmp_path), 43) is None
