"""Tricky sysctl.d trees: what the boot loaders and the collection's resolver must agree on.

Each case is ``{"files": {path: text | ("link", target) | ("dir",)}, "expect": {key: value}}``.
Paths are the four sysctl.d directories as a host sees them. ``expect`` holds what systemd-sysctl
leaves in a fresh network namespace for a few telling keys (``None``: the key keeps its value),
written down from systemd 252's src/sysctl/sysctl.c and src/basic/conf-files.c; the corpus test
checks every loader against it and against each other on *all* net.* keys.

Values are chosen to differ from a new namespace's own (fin_timeout 60, keepalive 7200/75/9,
syn_retries 6, arp_* 0), so "applied" and "left alone" can be told apart.
"""

import os

FIN = "net.ipv4.tcp_fin_timeout"
KA_TIME = "net.ipv4.tcp_keepalive_time"
KA_INTVL = "net.ipv4.tcp_keepalive_intvl"
KA_PROBES = "net.ipv4.tcp_keepalive_probes"
SYN = "net.ipv4.tcp_syn_retries"
E, R, UL, L = "/etc/sysctl.d/", "/run/sysctl.d/", "/usr/local/lib/sysctl.d/", "/usr/lib/sysctl.d/"


def materialize(tree, files):
    """Lay a case's ``{path: content}`` out under ``tree``: text, ``("link", target)`` or
    ``("dir",)``; returns ``tree`` as a string."""
    for path, content in files.items():
        full = os.path.join(str(tree), path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "link":
            os.symlink(content[1], full)
        elif isinstance(content, tuple):
            os.makedirs(full)
        else:
            with open(full, "w", newline="") as handle:
                handle.write(content)
    return str(tree)


def _conf(*lines):
    return "\n".join(lines) + "\n"


CASES = {
    "directory_precedence": {
        "files": {
            E + "50-a.conf": _conf("%s = 31" % FIN),
            R + "50-a.conf": _conf("%s = 32" % FIN, "%s = 601" % KA_TIME),
            UL + "60-b.conf": _conf("%s = 21" % KA_INTVL),
            L + "60-b.conf": _conf("%s = 22" % KA_INTVL, "%s = 3" % KA_PROBES),
            L + "10-c.conf": _conf("%s = 33" % FIN, "%s = 3" % SYN),
        },
        # /etc masks /run, /usr/local/lib masks /usr/lib; order by name across directories
        "expect": {FIN: "31", KA_TIME: None, KA_INTVL: "21", KA_PROBES: None, SYN: "3"},
    },
    "masking_links_and_empty_files": {
        "files": {
            E + "60-m.conf": ("link", "/dev/null"),
            L + "60-m.conf": _conf("%s = 34" % FIN),
            R + "61-e.conf": "",
            L + "61-e.conf": _conf("%s = 4" % KA_PROBES),
            UL + "62-x.conf": ("link", "/dev/null"),
            L + "62-x.conf": _conf("%s = 4" % SYN),
        },
        "expect": {FIN: None, KA_PROBES: None, SYN: None},
    },
    "hidden_and_non_conf_files": {
        "files": {
            E + ".hidden.conf": _conf("%s = 35" % FIN),
            L + ".70-x.conf": _conf("%s = 606" % KA_TIME),
            E + "70-y.conf~": _conf("%s = 25" % KA_INTVL),
            E + "70-z.conf.dpkg-old": _conf("%s = 6" % KA_PROBES),
            E + "71-dir.conf": ("dir",),
            R + "72-ok.conf": _conf("%s = 4" % SYN),
        },
        "expect": {FIN: None, KA_TIME: None, KA_INTVL: None, KA_PROBES: None, SYN: "4"},
    },
    "dash_key_cancels_earlier_assignment": {
        "files": {
            L + "10-a.conf": _conf("%s = 36" % FIN, "%s = 602" % KA_TIME),
            E + "20-b.conf": _conf("-%s" % FIN, "-net/ipv4/tcp_keepalive_intvl"),
            R + "15-c.conf": _conf("%s = 26" % KA_INTVL),
            UL + "30-d.conf": _conf("-%s" % SYN),
            E + "40-e.conf": _conf("%s = 2" % SYN),
        },
        "expect": {FIN: None, KA_TIME: "602", KA_INTVL: None, SYN: "2"},
    },
    "dash_space_ignore_errors": {
        "files": {
            E + "10-a.conf": _conf("- %s = 37" % FIN, "-%s=23" % KA_INTVL,
                                   "-   net/ipv4/tcp_keepalive_probes   =   5",
                                   "- net.ipv4.no_such_key = 1", "-\tnet.ipv4.tcp_syn_retries\t=\t5"),
        },
        "expect": {FIN: "37", KA_INTVL: "23", KA_PROBES: "5", SYN: "5"},
    },
    "globs_explicit_keys_and_exclusions": {
        "files": {
            E + "10-explicit.conf": _conf("net.ipv4.conf.all.arp_announce = 1"),
            E + "20-glob.conf": _conf("net.ipv4.conf.*.arp_announce = 2", "-net.ipv4.conf.default.arp_announce",
                                      "net.ipv4.tcp_keepalive_t?me = 603",
                                      "net/ipv4/conf/*/arp_notify = 1"),
        },
        # (conf.default.* is excluded: writing it would also reach lo, which the kernel does itself)
        "expect": {"net.ipv4.conf.all.arp_announce": "1", "net.ipv4.conf.default.arp_announce": None,
                   "net.ipv4.conf.lo.arp_announce": "2", KA_TIME: "603",
                   "net.ipv4.conf.all.arp_notify": "1", "net.ipv4.conf.lo.arp_notify": "1"},
    },
    "glob_order_keeps_first_place_for_a_repeated_value": {
        "files": {
            E + "10-a.conf": _conf("net.ipv4.conf.*.arp_ignore = 1"),
            E + "20-b.conf": _conf("net.ipv4.conf.a*.arp_ignore = 2"),
            E + "30-c.conf": _conf("net.ipv4.conf.*.arp_ignore = 1"),
        },
        # the repeat in 30-c keeps the glob's first place, so 20-b's glob is applied after it
        "expect": {"net.ipv4.conf.all.arp_ignore": "2", "net.ipv4.conf.default.arp_ignore": "1",
                   "net.ipv4.conf.lo.arp_ignore": "1"},
    },
    "glob_star_stays_inside_one_level": {
        "files": {
            E + "10-a.conf": _conf("net.*.arp_filter = 1", "net.ipv4.tcp_keepalive_*l = 27",
                                   "net.ipv4.conf*arp_accept = 1"),
        },
        "expect": {"net.ipv4.conf.all.arp_filter": None, "net.ipv4.conf.lo.arp_filter": None,
                   KA_INTVL: "27", "net.ipv4.conf.all.arp_accept": None},
    },
    "slash_separated_keys": {
        "files": {
            E + "10-a.conf": _conf("net/ipv4/tcp_fin_timeout = 38", "/net/ipv4/tcp_keepalive_time = 604",
                                   "net/ipv4/tcp_syn_retries = 4", "net/ipv4/conf/lo/arp_announce = 2"),
            E + "20-b.conf": _conf("net.ipv4.tcp_syn_retries = 5"),
        },
        "expect": {FIN: "38", KA_TIME: "604", SYN: "5", "net.ipv4.conf.lo.arp_announce": "2"},
    },
    "long_lines": {
        "files": {
            E + "10-long.conf": _conf("%s = 39" % FIN, "# " + "x" * (1024 * 1024 + 10),
                                      "%s = 605" % KA_TIME),
            E + "20-fine.conf": _conf("# " + "y" * 100000, "%s = 24" % KA_INTVL),
        },
        # a line over 1 MiB ends the reading of its file; what came before it stays
        "expect": {FIN: "39", KA_TIME: None, KA_INTVL: "24"},
    },
    "comments_blanks_crlf_and_multi_values": {
        "files": {
            E + "10-a.conf": "; comment\r\n   # indented comment\r\n\r\nnot an assignment\r\n"
                             "%s = 41\r\nnet.ipv4.tcp_rmem = 4096\t\t65536    6291457\r\n"
                             "=5\r\n" % FIN,
        },
        "expect": {FIN: "41", "net.ipv4.tcp_rmem": "4096 65536 6291457"},
    },
}


def machine_wide_case(current):
    """A file mixing one namespace key with machine-wide ones (kernel.*, vm.*, fs.*, and net.*
    keys of the initial namespace only), each set one above the machine's current value: a
    loader restricted to the namespace's net.* keys applies the first and nothing else.
    ``current`` maps those keys to the machine's values (integers, or integers separated by blanks)."""
    lines = ["%s = 42" % FIN]
    for key in sorted(current):
        lines.append("%s = %s" % (key, " ".join(str(int(part) + 1) for part in current[key].split())))
    return {"files": {E + "50-machine-wide.conf": _conf(*lines)}, "expect": {FIN: "42"}}


MACHINE_WIDE_KEYS = ("kernel.printk_ratelimit", "fs.lease-break-time", "vm.stat_interval",
                     "net.core.netdev_max_backlog", "net.ipv4.tcp_max_orphans", "net.ipv4.tcp_mem")
