"""Integration-test harness for the netfleet.tcp test fleet (API: tests/integration/conftest.py)."""

from .run import Run
from .session import FleetSession, load_fleet_module, machine_sysctls

__all__ = ["FleetSession", "Run", "load_fleet_module", "machine_sysctls"]
