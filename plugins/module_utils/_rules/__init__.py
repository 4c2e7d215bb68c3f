# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules sysctl_check, sysctl_profile, the roles and the audit report judge with.

PRIVATE: internal to the netfleet.tcp collection.

One registry (``_registry``): each rule's id, severity, kernels, keys, title,
description, remediation and check, registered where the check is written:

* ``input``      a key or value that cannot be used as given, and the tcp_tw_recycle
                 guards; they judge settings and persisted values alike;
* ``value``      one coherent view of the values against the host (``evaluate()``);
* ``lists``      value rules for the bad advice of published lists, against the values the
                 kernel boots with (``_boot``, per kernel version and memory);
* ``timers``     retransmission limits in the seconds the kernel's backoff gives them, and
                 accept-queue overflow;
* ``forwarding`` ip_forward=1, judged by the list's role and the host's interfaces;
* ``acceptance`` whether the kernel takes a write at all (mode bits), never writing;
* ``more_knobs`` the knobs of _catalog_data_more.py lists get wrong (optmem_max,
                 tcp_moderate_rcvbuf);
* ``persisted``  the boot configuration against the live and desired values;
* ``pressure``   limits filling up now, raised by the audit report.

``_severity`` holds the one severity ranking and the one ``fail_on`` gate. A
finding is ``{id, severity, key, value, message, remediation}`` (plus ``file`` and
``line`` when it is about a persisted line). To add a rule, register it next to its
check in the module of its family and run ``make docs``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netfleet.tcp.plugins.module_utils._rules._helpers import human_bytes, short  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._keys import *  # noqa: F401,F403
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._registry import (  # noqa: F401
    FAMILIES,
    RULES,
    Rule,
    describe,
    finding,
    ids,
    involved_keys,
    rule,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules._severity import (  # noqa: F401
    FAIL_ON,
    SEVERITIES,
    by_severity,
    check_fail_on,
    gate_reached,
    severity_rank,
    should_fail,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.input import (  # noqa: F401
    READING_RULES,
    display_value,
    reading_findings,
    tw_recycle_guards,
    value_refusal,
)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import scope as _scope  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.value import evaluate  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import lists  # noqa: F401  (registers the list rules)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import forwarding  # noqa: F401  (ip_forward)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import acceptance  # noqa: F401  (mode bits)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules import more_knobs  # noqa: F401  (optmem, autotuning)
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.persisted import persisted_findings  # noqa: F401
from ansible_collections.netfleet.tcp.plugins.module_utils._rules.pressure import (  # noqa: F401
    PRESSURE_RULES,
    PRESSURE_SEVERITY,
)
