"""Issue 16, item 7: which engine a live audit talks to, chosen as the Docker CLI chooses (--host > --context >
DOCKER_HOST > DOCKER_CONTEXT > the current context of ~/.docker/config.json > the default socket), said on stderr
and in the report and evidence; and the configuration file a live audit used (or --no-config)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from engine import docker_engine  # noqa: F401  (the shared private engine)
from hipaa_scan.live.errors import LiveError
from hipaa_scan.live.targets import DEFAULT_HOST, resolve_targets


def _context(config_dir, name, host):
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "meta.json").write_text(json.dumps({"Name": name, "Metadata": {},
                                                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))


@pytest.fixture
def cli_config(tmp_path):
    """A Docker CLI folder with three contexts and `prod` as the current one."""
    config = tmp_path / "docker"
    for name in ("prod", "stage", "flag"):
        _context(config, name, f"unix:///run/{name}.sock")
    (config / "config.json").write_text(json.dumps({"currentContext": "prod"}))
    return config


PRECEDENCE = [
    # (hosts, --context, environment, expected URL, expected origin)
    (("unix:///run/h.sock",), None, {"DOCKER_HOST": "unix:///run/e.sock", "DOCKER_CONTEXT": "stage"},
     "unix:///run/h.sock", "--host"),
    ((), "flag", {"DOCKER_HOST": "unix:///run/e.sock", "DOCKER_CONTEXT": "stage"},
     "unix:///run/flag.sock", "context flag (--context)"),
    ((), None, {"DOCKER_HOST": "unix:///run/e.sock", "DOCKER_CONTEXT": "stage"}, "unix:///run/e.sock", "DOCKER_HOST"),
    ((), None, {"DOCKER_CONTEXT": "stage"}, "unix:///run/stage.sock", "context stage (DOCKER_CONTEXT)"),
    ((), None, {}, "unix:///run/prod.sock", "context prod (currentContext in {config}/config.json)"),
    ((), None, {"DOCKER_CONTEXT": "default"}, DEFAULT_HOST, "context default (DOCKER_CONTEXT)"),
]


@pytest.mark.parametrize("hosts, context, env, url, origin", PRECEDENCE)
def test_the_docker_cli_precedence(cli_config, hosts, context, env, url, origin):
    [target] = resolve_targets(hosts, context, {"DOCKER_CONFIG": str(cli_config), **env})
    assert (target.url, target.origin) == (url, origin.format(config=cli_config))


def test_no_current_context_is_the_default_socket(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"auths": {}}))
    [target] = resolve_targets((), None, {"DOCKER_CONFIG": str(tmp_path)})
    assert (target.url, target.origin) == (DEFAULT_HOST, "default")
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert resolve_targets((), None, {"DOCKER_CONFIG": str(tmp_path)})[0].url == DEFAULT_HOST


def test_a_current_context_that_does_not_exist_is_one_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "gone"}))
    with pytest.raises(LiveError, match="^no Docker context named 'gone'"):
        resolve_targets((), None, {"DOCKER_CONFIG": str(tmp_path)})


def _live(*args, home, cwd, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    full.update(HOME=str(home), **(env or {}))
    return subprocess.run([sys.executable, "-m", "hipaa_scan", "live", *args], capture_output=True, text=True,
                          cwd=cwd, env=full, timeout=180)


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is needed")
def test_docker_context_use_is_honoured(docker_engine, tmp_path):  # noqa: F811
    """`docker context create` and `docker context use`, run for real with HOME in tmp_path: the audit goes to the
    current context's engine (through the SDK's context API), DOCKER_CONTEXT wins over it, and the engine audited
    is named on stderr, in the text report and in the evidence."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["HOME"] = str(home)

    def docker(*args):
        subprocess.run(["docker", *args], env=env, check=True, capture_output=True, timeout=60)

    docker("context", "create", "audit", "--docker", f"host={docker_engine.host}")
    docker("context", "create", "nowhere", "--docker", f"host=unix://{tmp_path}/none.sock")
    docker("context", "use", "audit")
    config = json.loads((home / ".docker" / "config.json").read_text())
    assert config["currentContext"] == "audit"
    proc = _live("--format", "text", "--no-color", "--evidence", str(tmp_path / "ev"), home=home, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    chosen = f"chosen by context audit (currentContext in {home}/.docker/config.json)"
    assert f"hipaa-scan: audited the Docker engine at {docker_engine.host} ({chosen})" in proc.stderr.splitlines()
    assert chosen in proc.stdout  # the engine's line of the text report
    manifest = json.loads((tmp_path / "ev" / "manifest.json").read_text())
    assert [(h["host"], h["origin"]) for h in manifest["hosts"]] == [
        (docker_engine.host, f"context audit (currentContext in {home}/.docker/config.json)")]
    assert manifest["config"] is None
    # DOCKER_CONTEXT names another context: it wins over the current one
    proc = _live("--format", "json", home=home, cwd=tmp_path, env={"DOCKER_CONTEXT": "nowhere"})
    assert proc.returncode == 2 and f"unix://{tmp_path}/none.sock" in proc.stderr  # the error names the engine
    # and DOCKER_HOST wins over both
    proc = _live("--format", "json", home=home, cwd=tmp_path,
                 env={"DOCKER_CONTEXT": "nowhere", "DOCKER_HOST": docker_engine.host})
    assert proc.returncode in (0, 1) and f"at {docker_engine.host} (chosen by DOCKER_HOST)" in proc.stderr


def test_a_stray_configuration_is_named_and_no_config_ignores_it(docker_engine, tmp_path):  # noqa: F811
    """A .hipaa-scan.yaml in the working folder changes a live audit: the audit says so (stderr, report, evidence:
    its path and SHA-256); --no-config audits without it."""
    home = tmp_path / "home"
    home.mkdir()
    stray = tmp_path / ".hipaa-scan.yaml"
    stray.write_text("ignore: [HS109]\n")
    digest = hashlib.sha256(stray.read_bytes()).hexdigest()
    env = {"DOCKER_HOST": docker_engine.host}
    proc = _live("--format", "json", "--evidence", str(tmp_path / "a"), home=home, cwd=tmp_path, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    assert f"hipaa-scan: configuration {stray} (sha256 {digest}); --no-config to audit without it" \
        in proc.stderr.splitlines()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["config"] == {"path": str(stray), "sha256": digest}
    with_config = {f["rule_id"] for f in json.loads(proc.stdout)["findings"]}
    proc = _live("--format", "json", "--no-config", "--evidence", str(tmp_path / "b"), home=home, cwd=tmp_path,
                 env=env)
    assert proc.returncode in (0, 1), proc.stderr
    assert "hipaa-scan: configuration " not in proc.stderr
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["config"] is None
    without = {f["rule_id"] for f in json.loads(proc.stdout)["findings"]}
    assert "HS109" not in with_config and "HS109" in without  # userns-remap: off on the private engine
    proc = _live("--no-config", "--config", str(stray), home=home, cwd=tmp_path, env=env)
    assert proc.returncode == 2 and "--config and --no-config contradict each other" in proc.stderr


def test_scan_no_config(tmp_path):
    (tmp_path / ".hipaa-scan.yaml").write_text("ignore: [HS101]\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")

    def ids(*args):
        proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "--format", "json", *args, "."],
                              cwd=tmp_path, capture_output=True, text=True)
        return sorted({f["rule_id"] for f in json.loads(proc.stdout)["findings"]})

    assert "HS101" not in ids()
    assert "HS101" in ids("--no-config")

