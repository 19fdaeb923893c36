"""Compose projects as Compose runs them: interpolation, merging, extends, include, profiles, env files and the
Dockerfile behind each service, with every finding at the file and line where the deciding value was written.

Fixtures: fixtures/compose-project/<case>/. Lines are looked up by their text, so comments can move."""

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, ROOT
from hipaa_scan import yamlsrc
from hipaa_scan.catalog import DEFAULT_DATASTORES
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.sources.merge import merge, stamp
from hipaa_scan.sources.project import Spec, load_project

CASES = os.path.join(FIXTURES, "compose-project")
REL = "fixtures/compose-project"
# Variables the fixtures use: the tests decide them, not the shell that runs pytest.
FIXTURE_VARIABLES = ("REDIS_TAG", "CACHE_USER", "PRIVILEGED", "REDIS_PHRASE", "BIND_EMPTY", "DEV_MODE", "NOT_SET",
                     "LEVEL", "FALLBACK_LEVEL", "API_TOKEN", "REQUIRED_SET", "OPTIONAL", "MISSING_VAR", "MUST_HAVE",
                     "QUOTED", "EXPANDED", "APP_TAG", "INHERITED", "DB_PASSWORD", "PG_VERSION", "DB_AUTH",
                     "APP_VERSION", "MINIO_ROOT_PASSWORD", "COMPOSE_FILE", "COMPOSE_PATH_SEPARATOR")
REALISTIC_SECRETS = ("Kx82mQpL0vZr5TnW", "Mn7rT2wQ9zX4cV8b", "8c1f0e9d7b6a5c4d3e2f1a0b9c8d7e6f")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, in_root):
    for name in FIXTURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def path(case, name):
    return f"{REL}/{case}/{name}"


def line_of(case, name, needle, nth=1):
    """The line of `name` in `case` holding `needle` (the nth such line)."""
    with open(os.path.join(CASES, case, name), encoding="utf-8") as handle:
        found = [i for i, line in enumerate(handle, start=1) if needle in line]
    assert len(found) >= nth, f"{needle!r} not in {case}/{name}"
    return found[nth - 1]


def at(rule, case, name, needle, nth=1):
    return (rule, path(case, name), line_of(case, name, needle, nth))


def scan(*paths, **options):
    return scan_paths(list(paths), ScanOptions(**options))


def hits(result, suppressed=False):
    return {(f.rule_id, f.location.path, f.location.line) for f in result.findings if f.suppressed == suppressed}


def project(case, *files, environ=None, **spec):
    directory = os.path.join(CASES, case)
    full = [os.path.join(directory, f) for f in files or ("compose.yaml",)]
    loaded = load_project(Spec(full, directory, roots=(ROOT,), **spec), 5 * 1024 * 1024, {}, environ or {})
    assert not loaded.errors, loaded.errors
    return loaded


def resource(loaded, name):
    return next(r for r in loaded.doc.resources if r.name == name)


def env(res):
    return {v.name: v for v in res.env}


def cli(*args, cwd=ROOT):
    environ = {k: v for k, v in os.environ.items() if k not in FIXTURE_VARIABLES}
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=120)


# -- interpolation ---------------------------------------------------------------------------------------------------

def test_each_interpolation_form():
    loaded = project("interpolation")
    cache = resource(loaded, "service:cache")
    values = {name: var.value for name, var in env(cache).items()}
    assert cache.image.value == "redis:latest"  # ${VAR}
    assert cache.user.value == "root"  # $VAR
    assert cache.privileged.value == "true"  # ${VAR:-default}, unset
    assert [p.host_ip for p in cache.ports] == ["", "127.0.0.1"]  # ${VAR-default} keeps an empty value; :- does not
    assert values["DEBUG"] == "true"  # ${VAR:+alt}, set
    assert values["FLASK_DEBUG"] == ""  # ${VAR+alt}, unset
    assert values["LOG_LEVEL"] == "debug"  # nested defaults
    assert values["GREETING"] == "costs $5"  # $$ escape
    assert values["REQUIRED_SET"] == "yes"  # ${VAR:?err}, set
    assert values["OPTIONAL"] == ""  # ${VAR?err}, set and empty
    assert values["MISSING"] == "${MISSING_VAR}"  # unset, no default: kept as written, not guessed
    assert values["MUST"] == "${MUST_HAVE:?needed}"
    assert values["QUOTED"] == "${REDIS_TAG} stays as written"  # single quotes in .env: literal
    assert values["EXPANDED"] == "tag latest"  # double quotes in .env: expanded
    token = env(cache)["API_TOKEN"]  # wholly one .env variable: located at its .env line
    assert (token.loc.path, token.loc.line) == (path("interpolation", ".env"),
                                                 line_of("interpolation", ".env", "API_TOKEN="))
    missing = line_of("interpolation", "compose.yaml", "MISSING_VAR")
    assert any(f"compose.yaml:{missing}: variable MISSING_VAR is not set" in n for n in loaded.notes)
    assert any("required variable MUST_HAVE is not set" in n for n in loaded.notes)


def test_interpolated_findings_name_the_variable_and_the_file():
    result = scan(os.path.join(CASES, "interpolation"), select=["HS101", "HS102", "HS301", "HS305", "HS401", "HS501"])
    assert not result.errors
    assert hits(result) == {
        at("HS301", "interpolation", "compose.yaml", "image:"),
        at("HS101", "interpolation", "compose.yaml", "user:"),
        at("HS102", "interpolation", "compose.yaml", "privileged:"),
        at("HS401", "interpolation", "compose.yaml", "--requirepass"),
        at("HS501", "interpolation", "compose.yaml", ":6379:6379"),
        at("HS305", "interpolation", "compose.yaml", "DEBUG: ${DEV_MODE"),  # the alt text decides, not the .env
        at("HS401", "interpolation", ".env", "API_TOKEN="),  # the secret is written in .env: reported there, once
    }
    by_rule = {f.rule_id: f for f in result.findings}
    env_line = line_of("interpolation", ".env", "REDIS_TAG=")
    assert f"via REDIS_TAG from {path('interpolation', '.env')}:{env_line}" in by_rule["HS301"].message
    command = at("HS401", "interpolation", "compose.yaml", "--requirepass")
    assert "REDIS_PHRASE from" in next(f.message for f in result.findings
                                     if (f.rule_id, f.location.path, f.location.line) == command)
    assert any("MISSING_VAR" in note for note in result.notes)


def test_a_compose_file_named_on_the_command_line_is_judged_as_its_project(in_root):
    named = os.path.join(CASES, "interpolation", "compose.yaml")
    # as written (named_in_project=False), `${REDIS_TAG}` and `$CACHE_USER` are references...
    alone = scan(named, select=["HS101", "HS301"], named_in_project=False)
    assert hits(alone) == set() and not alone.notes
    # ...named as pre-commit names it, it gets the verdict of `scan .` (issue 16): its project's, interpolated
    result = scan(named, select=["HS101", "HS301"])
    whole = scan(os.path.dirname(named), select=["HS101", "HS301"])
    assert hits(result) == {h for h in hits(whole) if h[1].endswith("interpolation/compose.yaml")}


def test_process_environment_wins_and_its_secrets_stay_references():
    loaded = project("env-precedence", environ={"APP_TAG": "shell", "DB_PASSWORD": "s3cr3t-from-shell"})
    app = resource(loaded, "service:app")
    assert app.image.value == "example/app:shell"
    assert env(app)["DB_URL"].value == "postgresql://app:${DB_PASSWORD}@db/app"
    inherited = env(app)["INHERITED"]  # `KEY` alone: from .env, located there
    assert inherited.value == "from-dotenv" and inherited.loc.path == path("env-precedence", ".env")
    assert env(app)["LEVEL"].value == "dotenv"


def test_env_files_replace_dotenv_and_a_later_one_wins():
    directory = os.path.join(CASES, "env-precedence")
    loaded = project("env-precedence", env_files=[os.path.join(directory, "first.env"),
                                                  os.path.join(directory, "second.env")])
    app = resource(loaded, "service:app")
    assert app.image.value == "example/app:first"
    assert env(app)["LEVEL"].value == "second"
    assert env(app)["INHERITED"].value is None  # .env is not read when env files are given


# -- merging ---------------------------------------------------------------------------------------------------------

MERGE_RULES = ["HS101", "HS102", "HS103", "HS104", "HS303", "HS305", "HS401", "HS403", "HS501"]


def test_override_file_is_merged_with_compose_rules():
    result = scan(os.path.join(CASES, "merge"), select=MERGE_RULES)
    assert not result.errors
    assert hits(result) == {
        at("HS101", "merge", "compose.override.yaml", "user: root"),  # scalar: replaced
        at("HS104", "merge", "compose.override.yaml", "SYS_ADMIN"),  # sequence: appended
        at("HS401", "merge", "compose.override.yaml", "API_SECRET"),  # environment: merged by name
        at("HS303", "merge", "compose.override.yaml", "disable: true"),  # the line that decides
        at("HS501", "merge", "compose.override.yaml", "9000:9000"),  # MinIO only once merged with the base image
        at("HS101", "merge", "compose.yaml", "  store:"),  # MinIO with no user: runs as root by default
    }


def test_each_merge_file_alone_gives_other_answers():
    base = hits(scan(os.path.join(CASES, "merge", "compose.yaml"), select=MERGE_RULES, named_in_project=False))
    assert {"HS102", "HS103", "HS305", "HS403"} <= {rule for rule, _p, _l in base}  # all gone after the merge
    assert at("HS501", "merge", "compose.yaml", "6379:6379") in base  # fixed by !override
    alone = hits(scan(os.path.join(CASES, "merge", "compose.override.yaml"), select=MERGE_RULES,
                      named_in_project=False))
    assert at("HS501", "merge", "compose.override.yaml", "9000:9000") not in alone


def test_merged_model():
    loaded = project("merge", "compose.yaml", "compose.override.yaml")
    app = resource(loaded, "service:app")
    variables = env(app)
    assert variables["LOG_LEVEL"].value == "debug"
    assert variables["LOG_LEVEL"].loc.path == path("merge", "compose.override.yaml")
    assert variables["FEATURE_X"].loc.path == path("merge", "compose.yaml")
    assert app.privileged is None  # !reset
    assert [c.value for c in app.cap_add] == ["CHOWN", "SYS_ADMIN"]
    assert len(app.ports) == 1  # same unique key
    assert [(m.source, m.target) for m in app.mounts] == [("sockproxy", "/var/run/docker.sock")]
    assert [t.value for t in app.command] == ["serve"]  # replaced, not appended
    assert app.logging_driver.value == "syslog" and app.logging_options is None  # other driver: replaced
    cache = resource(loaded, "service:cache")
    assert [(p.host_ip, p.container_port) for p in cache.ports] == [("127.0.0.1", 6379)]  # !override


def _load(text, name):
    data, _ = yamlsrc.load(text)
    stamp(data, name)
    return data


def test_merge_rules_per_field():
    base = _load("""
services:
  s:
    build: ./app
    depends_on: [db]
    labels: [a=1, b=2]
    secrets: [token, {source: key, target: /etc/key}]
    env_file: [one.env, two.env]
    extra_hosts: ["db:10.0.0.1"]
    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}
    x-note: {a: 1}
    healthcheck: {test: [CMD, a], interval: 5s}
    image: a:1
    entrypoint: [a, b]
x-top: {a: 1}
""", "base.yaml")
    over = _load("""
services:
  s:
    build: {dockerfile: Other.Dockerfile}
    depends_on: {cache: {condition: service_healthy}}
    labels: {b: "3"}
    secrets: [{source: other, target: /run/secrets/token}]
    env_file: [two.env, three.env]
    extra_hosts: ["db=10.0.0.2"]
    ulimits: {nofile: 99}
    x-note: {b: 2}
    healthcheck: {test: [CMD, b]}
    image:
    entrypoint: !override [c]
x-top: {b: 2}
""", "override.yaml")
    s = merge(base, over)["services"]["s"]
    assert dict(s["build"]) == {"context": "./app", "dockerfile": "Other.Dockerfile"}
    assert set(s["depends_on"]) == {"db", "cache"}
    assert dict(s["labels"]) == {"a": "1", "b": "3"}
    assert [x if isinstance(x, str) else dict(x) for x in s["secrets"]] == [
        {"source": "other", "target": "/run/secrets/token"}, {"source": "key", "target": "/etc/key"}]
    assert list(s["env_file"]) == ["one.env", "two.env", "three.env"]
    assert s.key_pos["build"].path == "base.yaml" and s["env_file"].item_pos[2].path == "override.yaml"
    assert dict(s["extra_hosts"]) == {"db": "10.0.0.2"}
    assert s["ulimits"]["nofile"] == 99 and s["ulimits"]["nproc"] == 5
    assert dict(s["x-note"]) == {"b": 2}  # extensions are replaced whole
    assert list(s["healthcheck"]["test"]) == ["CMD", "b"] and s["healthcheck"]["interval"] == "5s"
    assert s["image"] == "a:1"  # a null override keeps the value
    assert list(s["entrypoint"]) == ["c"]


# -- extends and include ---------------------------------------------------------------------------------------------

def test_extends_same_file_and_other_file():
    result = scan(os.path.join(CASES, "extends"), select=["HS101", "HS102", "HS401"])
    assert not result.errors
    assert hits(result) == {
        at("HS102", "extends", "compose.yaml", "privileged: true"),
        at("HS101", "extends", "common/services.yaml", "user: root"),
        at("HS401", "extends", "common/worker.env", "WORKER_PASSWORD"),
    }
    privileged = sorted(f.resource for f in result.findings if f.rule_id == "HS102")
    # web extends base: one written `privileged: true`, one finding (issue 15: one finding per written element)
    assert privileged == ["service:base"]
    loaded = project("extends")
    worker = resource(loaded, "service:worker")
    assert worker.image.value == "example/worker:1.0" and worker.read_only.value == "true"
    assert env(worker)["WORKER_PASSWORD"].loc.path == path("extends", "common/worker.env")  # relative to its file


def test_extends_cycle_is_an_error_not_a_hang():
    started = time.monotonic()
    result = scan(os.path.join(CASES, "extends-cycle"))
    assert time.monotonic() - started < 10
    assert [e.kind for e in result.errors] == ["parse"]
    assert "extends cycle" in result.errors[0].message and "other.yaml:c" in result.errors[0].message


def test_include_brings_its_own_env():
    result = scan(os.path.join(CASES, "include"), select=["HS301", "HS403", "HS501"])
    assert not result.errors
    assert hits(result) == {
        at("HS301", "include", "db/compose.yaml", "image:"),
        at("HS403", "include", "db/.env", "DB_AUTH="),  # the value is wholly DB_AUTH: reported where it is written
        at("HS501", "include", "db/compose.yaml", "5432:5432"),
    }
    assert len(result.findings) == 3  # the included file is not also scanned as a project of its own
    auth = next(f for f in result.findings if f.rule_id == "HS403")
    assert f"referenced at {path('include', 'db/compose.yaml')}:" in auth.message


def test_include_cycle_and_conflict_are_errors():
    cycle = scan(os.path.join(CASES, "include-cycle", "a"))
    assert any("include cycle" in e.message for e in cycle.errors)
    conflict = scan(os.path.join(CASES, "include-conflict"))
    assert any("'db' is defined here and in the included" in e.message for e in conflict.errors)


# -- profiles, COMPOSE_FILE, the datastore catalogue -----------------------------------------------------------------

def test_profiles_all_services_by_default_and_profile_narrows():
    directory = os.path.join(CASES, "profiles")
    everything = hits(scan(directory, select=["HS102", "HS104"]))
    assert everything == {at("HS102", "profiles", "compose.yaml", "privileged"),
                          at("HS104", "profiles", "compose.yaml", "SYS_ADMIN")}
    assert hits(scan(directory, select=["HS102", "HS104"], profiles=["debug"])) == {
        at("HS102", "profiles", "compose.yaml", "privileged")}


def test_compose_file_in_dotenv_is_honoured():
    result = scan(os.path.join(CASES, "compose-file"), select=["HS102", "HS104"])
    assert hits(result) == {at("HS104", "compose-file", "prod.yaml", "NET_ADMIN")}  # prod turns privileged off


def test_datastore_catalogue_is_extendable():
    directory = os.path.join(CASES, "datastore")
    assert hits(scan(directory, select=["HS501"])) == set()
    extended = DEFAULT_DATASTORES.extended([{"name": "PhiStore", "images": ["phistore"], "ports": [7070]}])
    assert hits(scan(directory, select=["HS501"], datastores=extended)) == {
        at("HS501", "datastore", "compose.yaml", "7070:7070")}


def test_datastore_catalogue_from_configuration(tmp_path):
    config = tmp_path / "hipaa-scan.yaml"
    config.write_text("datastores:\n  - name: PhiStore\n    images: [phistore]\n    ports: [7070]\n")
    proc = cli("scan", path("datastore", ""), "--config", str(config), "--select", "HS501", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert [f["rule_id"] for f in json.loads(proc.stdout)["findings"]] == ["HS501"]


# -- the Dockerfile behind each service ------------------------------------------------------------------------------

def test_build_verdicts_point_where_the_fix_belongs():
    result = scan(os.path.join(CASES, "build"), select=["HS101", "HS303"])
    assert not result.errors
    assert hits(result) == {
        at("HS303", "build", "app/Dockerfile", "FROM"),  # api: the Dockerfile decides (reported once)
        at("HS101", "build", "compose.yaml", "RUN_AS: root"),  # worker: a build arg decides USER ${RUN_AS}
        at("HS101", "build", "compose.yaml", "user: root"),  # admin: compose user decides
        at("HS303", "build", "compose.yaml", "disable: true"),  # admin: disable counts as none
        at("HS101", "build", "staged/Dockerfile", "AS dev"),  # dev: the target stage ships, not the last one
    }
    assert not hits(result, suppressed=True)
    root = sorted(f.resource for f in result.findings if f.rule_id == "HS101")
    assert root == ["service:admin:image", "service:dev:image", "service:worker:image"]


def test_build_args_resolve_dockerfile_args():
    loaded = project("build")
    assert resource(loaded, "service:worker:image").user.value == "root"
    assert resource(loaded, "service:api:image").user.value == "10001"


def test_a_dockerfile_verdict_compose_overrides_is_suppressed_with_its_reason():
    result = scan(os.path.join(CASES, "build-override"), select=["HS101", "HS303"])
    assert not result.active()
    why = {f.rule_id: f.suppression for f in result.findings}
    assert set(why) == {"HS101", "HS303"} and {s.kind for s in why.values()} == {"project"}
    assert f"{path('build-override', 'compose.yaml')}:{line_of('build-override', 'compose.yaml', 'user:')}" \
        in why["HS101"].justification


# -- a realistic multi-file project ----------------------------------------------------------------------------------

def service_keys(name, *services, rules=("HS108", "HS110", "HS111", "HS304")):
    return {at(rule, "realistic", name, f"  {service}:") for service in services for rule in rules}


DEV = {
    at("HS101", "realistic", "api/Dockerfile", "FROM"),
    at("HS303", "realistic", "api/Dockerfile", "FROM"),
    at("HS305", "realistic", "compose.override.yaml", "FLASK_ENV"),
    at("HS401", "realistic", "compose.yaml", "--requirepass"),  # only once REDIS_PHRASE is interpolated
    at("HS401", "realistic", ".env", "MINIO_ROOT_PASSWORD="),
    at("HS401", "realistic", "config/api.vars", "SESSION_SECRET"),  # read through env_file only
    at("HS501", "realistic", "compose.yaml", "6379:6379"),
    at("HS501", "realistic", "compose.override.yaml", "5432:5432"),
    at("HS501", "realistic", "compose.override.yaml", "9000:9000"),  # only once merged with the MinIO image
    at("HS505", "realistic", "compose.yaml", "DATABASE_URL"),  # postgresql:// without sslmode
    at("HS505", "realistic", "compose.yaml", "REDIS_URL"),  # redis://
} | service_keys("compose.yaml", "api", "worker", "db", "cache", "files") \
  | service_keys("compose.yaml", "files", rules=("HS101",)) \
  | service_keys("compose.yaml", "db", "cache", "files", rules=("HS114",))
# HS101: MinIO with no user runs as root by default; HS114: a flat network, and cache and files publish ports
PROD = {
    at("HS305", "realistic", "compose.prod.yaml", "DEBUG"),
    at("HS401", "realistic", "compose.yaml", "--requirepass"),
    at("HS401", "realistic", ".env", "MINIO_ROOT_PASSWORD="),
    at("HS401", "realistic", "config/api.vars", "SESSION_SECRET"),
    at("HS505", "realistic", "compose.yaml", "DATABASE_URL"),
    at("HS505", "realistic", "compose.yaml", "REDIS_URL"),
} | service_keys("compose.yaml", "api", "worker", "db", "cache", "files") \
  | service_keys("compose.yaml", "files", rules=("HS101",))


def test_realistic_production_project():
    directory = os.path.join(CASES, "realistic")
    result = scan(compose_files=[os.path.join(directory, "compose.yaml"), os.path.join(directory, "compose.prod.yaml")])
    assert not result.errors
    assert hits(result) == PROD
    # compose.prod.yaml sets user and a healthcheck: the Dockerfile's verdicts are not what production runs
    assert hits(result, suppressed=True) == {at("HS101", "realistic", "api/Dockerfile", "FROM"),
                                             at("HS303", "realistic", "api/Dockerfile", "FROM")}
    assert result.files_scanned == 6  # compose.yaml, compose.prod.yaml, .env, api.vars, two Dockerfiles
    assert any("DB_PASSWORD is not set" in note for note in result.notes)


def test_realistic_directory_scan_judges_both_variants():
    result = scan(os.path.join(CASES, "realistic"))
    assert not result.errors
    assert hits(result) == DEV | PROD  # compose.yaml + override (the default), compose.yaml + prod (an overlay)
    assert result.files_scanned == 7


def test_realistic_answer_differs_from_each_file_alone_in_both_directions():
    directory = os.path.join(CASES, "realistic")
    alone = set()
    for name in ("compose.yaml", "compose.override.yaml", "compose.prod.yaml"):
        alone |= hits(scan(os.path.join(directory, name), named_in_project=False))  # each file as written
    merged = hits(scan(compose_files=[os.path.join(directory, "compose.yaml"),
                                      os.path.join(directory, "compose.prod.yaml")]))
    only_after_merge = {at("HS401", "realistic", "compose.yaml", "--requirepass"),
                        at("HS401", "realistic", "config/api.vars", "SESSION_SECRET")}
    assert only_after_merge <= merged and not only_after_merge & alone
    assert at("HS501", "realistic", "compose.override.yaml", "9000:9000") in DEV - alone
    fixed_by_prod = at("HS501", "realistic", "compose.yaml", "6379:6379")
    assert fixed_by_prod in alone and fixed_by_prod not in merged
    # the overlay alone looks incomplete; merged it is not (HS110/HS111 leave a fragment with no image or build)
    assert service_keys("compose.prod.yaml", "api", rules=("HS108", "HS304")) <= alone
    assert not service_keys("compose.prod.yaml", "api") & merged


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_realistic_never_prints_its_secrets(fmt):
    runs = [cli("scan", path("realistic", ""), "--format", fmt, "--show-suppressed"),
            cli("scan", "-f", "compose.yaml", "-f", "compose.prod.yaml", "--format", fmt, "--show-suppressed",
                cwd=os.path.join(CASES, "realistic"))]
    for proc in runs:
        assert proc.returncode == 1, proc.stderr
        for secret in REALISTIC_SECRETS:
            assert secret not in proc.stdout + proc.stderr
            assert secret[:8] not in proc.stdout


def test_cli_files_env_files_and_profiles():
    proc = cli("scan", "-f", "compose.yaml", "--profile", "tools", "--select", "HS102,HS104", "--format", "json",
               cwd=os.path.join(CASES, "profiles"))
    report = json.loads(proc.stdout)
    assert [(f["rule_id"], f["location"]["path"]) for f in report["findings"]] == [("HS104", "compose.yaml")]
    proc = cli("scan", "-f", "compose.yaml", "--env-file", "first.env", "--env-file", "second.env", "--format",
               "json", cwd=os.path.join(CASES, "env-precedence"))
    report = json.loads(proc.stdout)
    assert report["errors"] == [] and any("DB_PASSWORD" in note for note in report["notes"])


# -- locating, suppressing, reading ----------------------------------------------------------------------------------

def test_inline_suppression_in_an_override_file(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    image: example/app:1.0\n")
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  app:\n    # hipaa-scan: ignore[HS101] the image drops privileges itself\n    user: root\n"
        "    # hipaa-scan: ignore[HS102] nothing here to suppress\n    read_only: true\n")
    result = scan(str(tmp_path), select=["HS101", "HS102"], strict=True)
    (finding,) = result.findings
    assert finding.suppression.kind == "inline" and finding.location.line == 4
    assert [e.message for e in result.errors] == ["line 5: unused suppression of HS102"]


def test_env_file_required_and_optional(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: mongo:7.0\n    env_file:\n      - path: missing.env\n        required: false\n"
        "  other:\n    image: mongo:7.0\n    env_file: absent.env\n")
    result = scan(str(tmp_path), select=["HS403"])
    assert {f.resource for f in result.findings} == {"service:db"}  # `other` may get a root password from absent.env
    assert [n for n in result.notes if "absent.env" in n] and not [n for n in result.notes if "missing.env" in n]


def test_files_outside_the_scanned_tree_are_not_read(tmp_path):
    (tmp_path / "outside.env").write_text("SECRET_TOKEN=abcdef123456\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "compose.yaml").write_text(
        "services:\n  app:\n    image: example/app:1.0\n    env_file: ../outside.env\n")
    result = scan(str(tmp_path / "project"))
    assert not [f for f in result.findings if "outside.env" in f.location.path]
    assert any("outside the scanned tree" in note for note in result.notes)


def test_every_file_of_a_project_is_read_once(monkeypatch):
    from hipaa_scan import discover
    from hipaa_scan.scan import plan as projects
    from hipaa_scan.sources import project as project_mod

    reads = []
    real = discover.read_text

    def counting(file, *args, **kwargs):
        reads.append(os.path.abspath(file))
        return real(file, *args, **kwargs)

    for module in (discover, projects, project_mod):
        monkeypatch.setattr(module, "read_text", counting)
    scan(os.path.join(CASES, "realistic"))
    assert reads and len(reads) == len(set(reads)), sorted(reads)
