# -*- coding: utf-8 -*-
# Copyright: netfleet.tcp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the plugin unit tests."""

import pytest
from ansible.module_utils.basic import AnsibleModule


@pytest.fixture
def warned(monkeypatch):
    """Every module.warn call of a run (on the controller they go to the display, not the JSON)."""
    calls = []
    original = AnsibleModule.warn

    def warn(self, warning, *args, **kwargs):
        calls.append(warning)
        return original(self, warning, *args, **kwargs)

    monkeypatch.setattr(AnsibleModule, "warn", warn)
    return calls
