import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "fixtures")
sys.path.insert(0, HERE)

from engine import docker_engine  # noqa: E402,F401  (session fixture: a private Docker engine)


@pytest.fixture
def in_root(monkeypatch):
    """Run from the repository root, so reported paths are relative to it."""
    monkeypatch.chdir(ROOT)
    return ROOT
