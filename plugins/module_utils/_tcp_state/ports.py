# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ports`` detail: ephemeral port use per destination, busiest local ports.

PRIVATE: internal to the netfleet.tcp collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def ratio(count, limit):
    """``count / limit`` rounded to 6 places; None when either is missing or the limit is not positive."""
    if count is None or limit is None or limit <= 0:
        return None
    return round(float(count) / float(limit), 6)


def top_ports(counts, top):
    """``[{port, count}]`` for the ``top`` largest entries of a ``{port: count}`` mapping."""
    entries = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"port": port, "count": count} for port, count in entries[:top] if count]


def ports_detail(destinations, time_wait, close_wait, usable, ephemeral, top):
    """Build the ``ports`` fact from per-destination and per-local-port counts."""
    ranked = sorted(destinations.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))
    return {
        "usable_ports": usable,
        "ephemeral_sockets": ephemeral,
        "destinations_total": len(ranked),
        "destinations": [
            {"address": address, "port": port, "count": count, "share": ratio(count, usable)}
            for (address, port), count in ranked[:top]
        ],
        "top_time_wait_local_ports": top_ports(time_wait, top),
        "top_close_wait_local_ports": top_ports(close_wait, top),
    }
