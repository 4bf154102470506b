"""Fixtures for the operations suite (`scripts/test.sh ops`, pytest with `--import-mode=importlib`):
the scripts under `ops/` and the configuration files of the deployment run as an operator runs
them, against the real PostgreSQL (a database of their own, created and dropped through the
superuser socket URL services.sh exports), a Redis server of their own, real `metachat serve`
processes and the real Prometheus tools.

The interop suite's helpers (`metachat_process`, `restclient`) are reused from Tests/Interop: its
conftest is loaded here under the name `conftest` those helpers import. This suite's own helpers
live in `ops_support`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEROP = REPO_ROOT / "Tests" / "Interop"

_spec = importlib.util.spec_from_file_location("conftest", INTEROP / "conftest.py")
assert _spec is not None and _spec.loader is not None
_interop = importlib.util.module_from_spec(_spec)
sys.modules["conftest"] = _interop
_spec.loader.exec_module(_interop)
sys.path.insert(0, str(INTEROP))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import metachat_api  # noqa: E402,F401 - a session fixture the tests use
from ops_support import database, make_database, redis  # noqa: E402,F401 - fixtures
