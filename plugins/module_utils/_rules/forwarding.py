# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwarding rule: ip_forward=1 from a list, judged by what the list is for and what the host has.

PRIVATE: internal to the netfleet.tcp collection.

Routers, VPN servers, container hosts and Kubernetes nodes need net.ipv4.ip_forward=1;
a web or database server does not, and with it on it routes packets its neighbours
send it (Documentation/networking/ip-sysctl.rst ip_forward: writing it also resets
every interface's configuration to router defaults, RFC 1812). The rule stays silent
when the host already forwards (the list changes nothing), or when the list itself
shows a routing role: bridge netfilter keys (Kubernetes, Docker), per-interface or IPv6
forwarding, connection tracking. Otherwise the host decides the severity: with no
interface besides loopback, or one, there is nothing to route between (warning); with
several (bridges, tunnels, veth pairs, a second NIC) it may be a router, so the finding
only says what the setting does (info).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import integer
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import K_FORWARD
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import checked, finding

_ROUTING_KEYS = re.compile(r"^(net\.bridge\.|net\.netfilter\.|net\.nf_conntrack_max$)")
_FORWARDING = re.compile(r"^net\.ipv[46]\.conf\.[^.]+\.forwarding$")
_SHOWN = 6


def routing_intent(keys, values):
    """The keys of a list that show it is meant for a host that routes (bridge netfilter, forwarding, conntrack)."""
    shown = []
    for key in sorted(keys):
        if _ROUTING_KEYS.match(key) or (_FORWARDING.match(key) and integer(values, key) == 1):
            shown.append(key)
    return shown


def _interfaces(context):
    names = (context or {}).get("interfaces")
    if not isinstance(names, (list, tuple)):
        return None
    return [str(name) for name in names if name != "lo"]


@checked("ip-forward-not-router", "warning", "ip_forward=1 on a host that does not route",
         "ip_forward=1 makes the host route packets between its interfaces, and back out of the "
         "one they came in on, for anyone who sends it traffic for another address; writing it "
         "also resets every interface to router defaults. Routers, VPN servers, container hosts "
         "and Kubernetes nodes need it. Judged only when the list turns it on (the host does not "
         "forward now) and sets no key of a routing role (net.bridge.*, *.forwarding, "
         "net.netfilter.*): a warning where the host has at most one interface besides "
         "loopback, so nothing to route between; info where it has several, as a router may.",
         keys=(K_FORWARD,), listed_only=True)
def _rule_ip_forward(values, context):
    context = context or {}
    if integer(values, K_FORWARD) != 1:
        return []
    live = (context.get("sysctl_live") or {}).get(K_FORWARD)
    listed = context.get("settings_live")
    interfaces = _interfaces(context)
    if live is None or live.strip() == "1" or listed is None or interfaces is None:
        return []
    if routing_intent(listed, values):
        return []
    if len(interfaces) <= 1:
        where = "only %s besides loopback" % interfaces[0] if interfaces else "no interface besides loopback"
        return [finding(
            "ip-forward-not-router", K_FORWARD, values.get(K_FORWARD),
            "ip_forward=1 turns this host into a router, and it has %s: nothing to route between, "
            "but it will forward what neighbours send it for other addresses and takes router "
            "defaults on every interface." % where,
            "Remove net.ipv4.ip_forward from the list for servers that do not route (the default "
            "is 0); keep it in the lists of routers, VPN servers, container hosts and Kubernetes nodes.")]
    names = ", ".join(interfaces[:_SHOWN]) + (", ..." if len(interfaces) > _SHOWN else "")
    return [finding(
        "ip-forward-not-router", K_FORWARD, values.get(K_FORWARD),
        "ip_forward=1 makes this host route between its %d interfaces (%s) for anyone who sends "
        "it traffic: right for a router, VPN server, container host or Kubernetes node, needless "
        "on a plain server, and nothing else in the list shows a routing role." % (len(interfaces), names),
        "Keep net.ipv4.ip_forward=1 only where the host routes (containers, VPN, NAT); remove it "
        "from lists for plain servers.", severity="info")]
