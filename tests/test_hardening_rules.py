"""Issue 18 part A, what a fixture's `# expect:` marker cannot state: the hardening and isolation rules on live
containers (inspect JSON), their messages and severities, the signals that keep them quiet (one-shot jobs,
fragments, development environments, builder stages, privileged containers), HS114 across a Compose project's
files, HS202's host-only logging for services with an audit or PHI role, and the declarative `when`/`severity`."""

import json
import subprocess
import sys

from conftest import ROOT
from hipaa_scan.engine import ScanOptions, scan_documents, scan_paths
from hipaa_scan.sources.container import container_document


def scan(tmp_path, files, rule):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = scan_paths([str(tmp_path)], ScanOptions(select=[rule]))
    assert not result.errors, result.errors
    return sorted((str(f.location.path).rsplit("/", 1)[-1], f.location.line, f.severity, f.message)
                  for f in result.findings if not f.suppressed)


def inspect(name="api", env=(), cmd=("sleep", "3600"), **host):
    return {"Id": "0" * 64, "Name": f"/{name}", "Image": "sha256:" + "1" * 64,
            "Config": {"Image": "acme/api:1.0.0", "Env": list(env), "Cmd": list(cmd), "User": "10001"},
            "HostConfig": host, "State": {"Running": True, "Status": "running"}}


def live(rule, *containers):
    docs = [container_document(c) for c in containers]
    result = scan_documents(docs, ScanOptions(select=[rule]))
    return sorted((f.resource, f.location.key, f.severity, f.message) for f in result.findings)


# -- HS110 / HS111 ------------------------------------------------------------------------------------------------


def test_hs110_message_says_what_to_write(tmp_path):
    got = scan(tmp_path, {"compose.yaml": "services:\n  api:\n    image: acme/api:1.0.0\n"}, "HS110")
    assert got == [("compose.yaml", 2, "low", 'service "api" does not set `read_only: true`, so its root file system '
                    "is writable: write `read_only: true` and a `tmpfs:` or volume for each path it writes")]


def test_hs110_and_hs111_live(tmp_path):
    writable = inspect("writable", ReadonlyRootfs=False, CapDrop=None)
    hardened = inspect("hardened", ReadonlyRootfs=True, CapDrop=["ALL"], CapAdd=["NET_BIND_SERVICE"])
    partial = inspect("partial", ReadonlyRootfs=True, CapDrop=["NET_RAW", "MKNOD"])
    privileged = inspect("privileged", ReadonlyRootfs=True, Privileged=True)
    assert live("HS110", writable, hardened, partial, privileged) == [
        ("container:writable", "HostConfig.ReadonlyRootfs", "low",
         'container "writable" has a writable root file system (ReadonlyRootfs is false): run it with `--read-only` '
         "and tmpfs or volumes for the paths it writes")]
    assert live("HS111", writable, hardened, partial, privileged) == [
        ("container:partial", "HostConfig.CapDrop[0]", "low",
         'container "partial" drops only NET_RAW, MKNOD, so it keeps Docker\'s default capabilities: run it with '
         "`--cap-drop ALL` and `--cap-add` for each one it needs"),
        ("container:writable", None, "low",
         'container "writable" drops no capability, so it keeps Docker\'s default capabilities: run it with '
         "`--cap-drop ALL` and `--cap-add` for each one it needs"),
    ]


def test_hs110_hs111_one_finding_per_service_through_an_anchor(tmp_path):
    text = ("x-base: &base\n  image: acme/api:1.0.0\n  read_only: false\n"
            "services:\n  a:\n    <<: *base\n  b:\n    <<: *base\n")
    got = scan(tmp_path, {"compose.yaml": text}, "HS110")
    assert [(line, sev) for _f, line, sev, _m in got] == [(3, "low")]  # the written line, once
    got = scan(tmp_path, {"compose.yaml": text}, "HS111")
    assert [line for _f, line, _s, _m in got] == [5, 7]  # one per service, at the service


def test_low_hardening_findings_do_not_fail_under_the_default_fail_on(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: acme/api:1.0.0\n    user: '10001'\n"
                                           "    logging:\n      driver: json-file\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", str(tmp_path), "--select",
                           "HS110,HS111,HS204", "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    report = json.loads(proc.stdout)
    assert sorted(f["rule_id"] for f in report["findings"]) == ["HS110", "HS111", "HS204"]
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", str(tmp_path), "--select", "HS110",
                           "--fail-on", "low", "-q"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1


# -- HS112 / HS113 ------------------------------------------------------------------------------------------------


def test_ssh_and_sudo_in_a_devcontainer_are_not_reported(tmp_path):
    text = ("FROM mcr.microsoft.com/devcontainers/base:bookworm\n"
            "RUN apt-get update && apt-get install -y openssh-server\n"
            "RUN echo 'vscode ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/vscode\n")
    assert scan(tmp_path, {".devcontainer/Dockerfile": text}, "HS112") == []
    assert scan(tmp_path, {".devcontainer/Dockerfile": text}, "HS113") == []
    got = scan(tmp_path / "prod", {"Dockerfile": text.replace("mcr.microsoft.com/devcontainers/base", "debian")},
               "HS113")
    assert got == [("Dockerfile", 3, "medium", "final stage (FROM debian:bookworm) writes a passwordless sudo rule "
                    "(NOPASSWD): its user can become root without a password")]


def test_hs112_one_finding_per_image_at_the_install_line(tmp_path):
    text = ("FROM ubuntu:24.04\nRUN apt-get update\nRUN apt-get install -y openssh-server\n"
            "RUN yum install -y dropbear\nCMD [\"/usr/sbin/sshd\", \"-D\"]\n")
    got = scan(tmp_path, {"Dockerfile": text}, "HS112")
    assert [(line, sev) for _f, line, sev, _m in got] == [(3, "medium")]
    assert got[0][3].endswith("installs an SSH server (openssh-server) and starts it")


def test_hs112_client_packages_and_words_are_not_servers(tmp_path):
    for run in ("apk add --no-cache openssh-client git", "apt-get install -y openssh-sftp-server-doc",
                "pip install sshd-config-parser", "apt-get install -y git ssh-askpass",
                "echo install openssh-server later"):
        text = f"FROM alpine:3.20.3\nRUN {run}\nUSER 10001\nCMD [\"app\"]\n"
        assert scan(tmp_path, {"Dockerfile": text}, "HS112") == [], run


def test_hs112_live_container_starting_sshd():
    got = live("HS112", inspect("bastion", cmd=("/usr/sbin/sshd", "-D")), inspect("api", cmd=("gunicorn", "app")))
    assert got == [("container:bastion", "Config.Cmd[0]", "medium",
                    'container "bastion" starts an SSH daemon (/usr/sbin/sshd -D)')]


# -- HS114 --------------------------------------------------------------------------------------------------------


def test_hs114_override_file_making_the_network_internal_is_read_as_one_project(tmp_path):
    base = ("services:\n  web:\n    image: acme/web:1.0.0\n    ports: ['80:80']\n    networks: [front, back]\n"
            "  db:\n    image: postgres:16.4\n    networks: [back]\nnetworks:\n  front: {}\n  back: {}\n")
    got = scan(tmp_path, {"compose.yaml": base}, "HS114")
    assert got == [("compose.yaml", 8, "medium",
                    'service "db" (PostgreSQL) shares every network it is on (back) with services that publish ports '
                    "(web), and none is `internal: true`: put it on an internal back-end network")]
    override = "networks:\n  back:\n    internal: true\n"
    assert scan(tmp_path, {"compose.override.yaml": override}, "HS114") == []


def test_hs114_datastore_alone_with_no_publisher_is_not_reported(tmp_path):
    text = "services:\n  db:\n    image: postgres:16.4\n    ports: ['5432:5432']\n  redis:\n    image: redis:7.2.5\n"
    got = scan(tmp_path, {"compose.yaml": text}, "HS114")
    # redis shares `default` with db, which publishes; db's only neighbour publishes nothing
    assert [(line, msg.split(" shares")[0]) for _f, line, _s, msg in got] == [(5, 'service "redis" (Redis)')]


# -- HS204 --------------------------------------------------------------------------------------------------------


def test_hs204_live_reads_the_merged_log_options():
    bare = inspect("bare", LogConfig={"Type": "json-file", "Config": {}})
    rotated = inspect("rotated", LogConfig={"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}})
    local = inspect("local", LogConfig={"Type": "local", "Config": {}})
    unlimited = inspect("unlimited", LogConfig={"Type": "local", "Config": {"max-size": "-1"}})
    assert live("HS204", bare, rotated, local, unlimited) == [
        ("container:bare", "HostConfig.LogConfig.Type", "low",
         'container "bare" logs with the `json-file` driver without `max-size`, so its log grows until the disk is '
         "full: set `--log-opt max-size=10m --log-opt max-file=5`, or `log-opts` in the engine's daemon.json"),
        ("container:unlimited", "HostConfig.LogConfig.Type", "low",
         'container "unlimited" logs with the `local` driver with `max-size: -1` (unlimited), so its log grows '
         "until the disk is full: set `--log-opt max-size=10m --log-opt max-file=5`, or `log-opts` in the "
         "engine's daemon.json"),
    ]


# -- HS202 host-only logging ----------------------------------------------------------------------------------------


def test_hs202_host_only_logging_needs_a_declared_role_and_is_low():
    role = inspect("audit", env=("AUDIT_LOG_ENABLED=true",), LogConfig={"Type": "json-file", "Config": {}})
    label = inspect("phi", LogConfig={"Type": "local", "Config": {}})
    label["Config"]["Labels"] = {"com.acme.role": "phi-store"}
    plain = inspect("plain", env=("AUDIT_LOG_RETENTION_DAYS=2555",), LogConfig={"Type": "json-file"})
    shipped = inspect("shipped", env=("AUDIT_LOG_ENABLED=true",), LogConfig={"Type": "fluentd"})
    off = inspect("off", env=("AUDIT_LOG_ENABLED=false",), LogConfig={"Type": "json-file"})
    got = live("HS202", role, label, plain, shipped, off)
    assert [(r, sev) for r, _k, sev, _m in got] == [("container:audit", "low"), ("container:off", "high"),
                                                   ("container:phi", "low")]
    assert got[0][3] == ('container "audit" has an audit or PHI role but logs with the `json-file` driver, which '
                         "keeps its logs on the host: not shipped off the host (use syslog, journald forwarding, "
                         "fluentd, awslogs, gelf, splunk or a collector)")


def test_rules_dir_alternative_with_when_and_severity(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ACME100.yaml").write_text(
        "id: ACME100\nname: debug-in-phi-service\nseverity: high\nconfidence: high\nhipaa: ['164.312(a)(1)']\n"
        "sources: [compose]\nsummary: s.\ndescription: d.\nremediation: r.\nmessage: '{resource} debug'\n"
        "match:\n  - env: {name: '^DEBUG$', value: '^1$'}\n    severity: medium\n"
        "    when:\n      - label: {name: 'role$', value: 'phi'}\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    image: x:1\n    labels: {acme.role: phi}\n    environment: {DEBUG: '1'}\n"
        "  b:\n    image: x:1\n    environment: {DEBUG: '1'}\n", encoding="utf-8")
    result = scan_paths([str(tmp_path / "compose.yaml")], ScanOptions(select=["ACME100"], rules_dirs=[str(rules)]))
    assert [(f.resource, f.severity) for f in result.findings] == [("service:a", "medium")]
    (rules / "ACME100.yaml").write_text((rules / "ACME100.yaml").read_text().replace("label:", "labels:"))
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", str(tmp_path / "compose.yaml"),
                           "--rules-dir", str(rules)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "ACME100.yaml" in proc.stderr
