#!/usr/bin/env bash
# Test fleet of network-namespace hosts for netfleet.tcp integration tests.
# Usage: tests/fleet/fleet.sh [-v] {up [N]|down|status|reboot HOST|reset [HOST...]|isolate HOST|restore HOST|exec HOST -- CMD...}
# NETFLEET_FLEET_ID (0-9, default 0) selects the fleet. Details: the docstring of tests/fleet/fleet.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The system python: stdlib only, and no pyenv shim or virtualenv in the way.
python="${NETFLEET_FLEET_PYTHON:-/usr/bin/python3}"
[ -x "$python" ] || python="$(command -v python3)"
exec "$python" "$here/fleet.py" "$@"
