"""Unit tests across the supported ansible-core versions.

ansible.module_utils.testing.patch_module_args, which the module tests use, exists from
ansible-core 2.19 on. On 2.17 and 2.18 (the version matrix, .ci/matrix.py) the same helper is
provided here, the way those versions read module arguments: basic._ANSIBLE_ARGS as JSON bytes.
"""

import contextlib
import json
import sys
import types
from unittest import mock

try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:  # ansible-core < 2.19
    import ansible.module_utils
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to AnsibleModule instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        data = json.dumps({"ANSIBLE_MODULE_ARGS": dict(args or {})}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", data):
            yield

    _testing = types.ModuleType("ansible.module_utils.testing")
    _testing.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = _testing
    ansible.module_utils.testing = _testing
