import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "fixtures")
sys.path.insert(0, HERE)

from engine import docker_engine  # noqa: E402,F401  (session fixture: a private Docker engine)

# The user's own folders, as they were before the session isolated them (test_hygiene.py checks they stay untouched).
ISOLATED = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
REAL = {name: os.environ.get(name) for name in ISOLATED}


@pytest.fixture(autouse=True, scope="session")
def private_home(tmp_path_factory):
    """HOME, XDG_CACHE_HOME and XDG_CONFIG_HOME point into the session's temporary folder for the whole run, and so
    for every process a test starts: nothing a test runs reads or writes the developer's home (hipaa-scan's cache,
    a Docker CLI configuration, pre-commit's store)."""
    home = tmp_path_factory.mktemp("home")
    os.environ.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"))
    try:
        yield home
    finally:
        for name, value in REAL.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def in_root(monkeypatch):
    """Run from the repository root, so reported paths are relative to it."""
    monkeypatch.chdir(ROOT)
    return ROOT
