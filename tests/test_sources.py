"""The sources registry, SourceKind, typed Resource facts, and the module seams they keep (issue 19)."""

import ast
import json
import os
import subprocess
import sys

import pytest

from hipaa_scan.model import Location, Resource
from hipaa_scan.rules import RuleLoadError, load_rules
from hipaa_scan.rules import declarative
from hipaa_scan.sources import registry
from hipaa_scan.sources.container import container_document
from hipaa_scan.sources.engine import engine_document
from hipaa_scan.sources.kinds import KIND_VALUES, MAYBE_COMPOSE, SourceError, SourceKind

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "src", "hipaa_scan")

# -- SourceKind -------------------------------------------------------------------------------------------------


def test_source_kinds_are_the_five_and_read_as_their_plain_text():
    assert [k.value for k in SourceKind] == ["dockerfile", "compose", "env", "container", "engine"]
    for kind in SourceKind:
        # everything output does with a kind gives the plain value, so reports stay byte-identical
        assert str(kind) == f"{kind}" == "%s" % kind == format(kind, "") == kind.value
        assert f"{kind:>12}" == f"{kind.value:>12}"
        assert json.dumps([kind, {kind: 1}]) == json.dumps([kind.value, {kind.value: 1}])
        assert kind == kind.value and hash(kind) == hash(kind.value) and {kind.value: 1}[kind] == 1
        assert ",".join([kind, kind]) == f"{kind.value},{kind.value}"


# -- the registry: names --------------------------------------------------------------------------------------------

NAMES = {
    "Dockerfile": "dockerfile", "dockerfile": "dockerfile", "Containerfile": "dockerfile",
    "containerfile": "dockerfile", "Dockerfile.prod": "dockerfile", "Containerfile.dev": "dockerfile",
    "api.Dockerfile": "dockerfile", "worker.containerfile": "dockerfile", "Dockerfile.yml": "dockerfile",
    "compose.yaml": "compose", "compose.yml": "compose", "docker-compose.yml": "compose",
    "docker-compose.override.yaml": "compose", "Compose.YAML": "compose", "compose.prod.yml": "compose",
    "app.yaml": MAYBE_COMPOSE, "values.yml": MAYBE_COMPOSE, ".env.yaml": MAYBE_COMPOSE, "stack.YML": MAYBE_COMPOSE,
    ".env": "env", ".ENV": "env", ".env.local": "env", ".env.example": "env", "prod.env": "env", "db.ENV": "env",
    "README.md": None, "Dockerfile.dockerignore": None, ".env.dockerignore": None, ".dockerignore": None,
    "dockerfile.txt": None, "env": None, "compose": None, "environment.py": None, "my.envrc": None,
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_file_is_claimed_by_its_name(name):
    kind = registry.kind_by_name(name)
    assert kind == NAMES[name]
    if NAMES[name] in KIND_VALUES:
        assert isinstance(kind, SourceKind)


def test_discovery_asks_the_registry():
    from hipaa_scan.scan import walk

    assert walk.kind_by_name is registry.kind_by_name


def test_every_kind_has_a_registry_line_and_every_file_source_a_parser():
    assert set(registry.SOURCES) == set(SourceKind)
    for kind, source in registry.SOURCES.items():
        if kind in (SourceKind.CONTAINER, SourceKind.ENGINE):  # read from an engine, not from files
            assert source.match_name is None and source.module is None
            continue
        assert callable(source.match_name)
        module = __import__(source.module, fromlist=["parse_source"])
        assert callable(module.parse_source)


# -- the registry: content ------------------------------------------------------------------------------------------

COMPOSE_WITH_INLINE_DOCKERFILE = ("services:\n  app:\n    build:\n      dockerfile_inline: |\n"
                                  "        FROM alpine:3.20\n        USER 10001\n")


@pytest.mark.parametrize("text, kind", [
    ("FROM alpine:3.20\nUSER 10001\n", "dockerfile"),
    ("# syntax=docker/dockerfile:1\n\nfrom alpine\n", "dockerfile"),
    ("ARG BASE=alpine\nFROM ${BASE}\n", "dockerfile"),
    ("services:\n  web:\n    image: nginx\n", MAYBE_COMPOSE),
    (COMPOSE_WITH_INLINE_DOCKERFILE, MAYBE_COMPOSE),  # Compose, though a line starts with FROM
    ("KEY=value\n", None), ("just some text\n", None), ("", None), ("FROMAGE=1\n", None),
])
def test_an_unnamed_file_is_told_by_its_content(text, kind):
    assert registry.sniff(text) == kind


def test_parse_returns_a_document_of_the_kind():
    doc = registry.parse("FROM alpine:3.20\n", "Dockerfile", "dockerfile")
    assert doc.kind == SourceKind.DOCKERFILE and [r.kind for r in doc.resources] == ["dockerfile"]
    doc = registry.parse("services:\n  web:\n    image: nginx:1.25\n", "compose.yaml", "compose")
    assert doc.kind == "compose" and [r.name for r in doc.resources] == ["service:web"]
    doc = registry.parse("A=1\n", ".env", "env")
    assert doc.kind == "env" and [v.name for v in doc.resources[0].env] == ["A"]
    doc = registry.parse(COMPOSE_WITH_INLINE_DOCKERFILE, "given.txt", None)  # sniffed
    assert doc.kind == "compose" and [r.name for r in doc.resources] == ["service:app"]


@pytest.mark.parametrize("text, display, kind", [
    ("kind: Deployment\nspec: {}\n", "deploy.yaml", MAYBE_COMPOSE),  # YAML, not Compose: not a source
    ("services: [a, b]\n", "app.yaml", MAYBE_COMPOSE),  # looks like Compose, is not
    ("--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-A=1\n+A=2\n", ".env.patch", "env"),  # a patch named like an env file
    ("just text\n", "notes", None),
])
def test_parse_gives_none_for_what_is_not_a_source_after_all(text, display, kind):
    assert registry.parse(text, display, kind) is None


@pytest.mark.parametrize("text, display, kind, message", [
    ("RUN true\n", "Dockerfile", "dockerfile", "no FROM instruction"),
    ("name: x\n", "compose.yaml", "compose", "not a compose file: no `services` mapping of services"),
    ("services: [a\n", "compose.yaml", "compose", None),
])
def test_a_broken_source_is_a_source_error(text, display, kind, message):
    with pytest.raises(SourceError) as info:
        registry.parse(text, display, kind)
    if message is not None:
        assert str(info.value) == message


def test_a_target_kind_without_a_parser_is_a_source_error():
    with pytest.raises(SourceError, match="no parser for files of kind 'container'"):
        registry.parse("{}", "x", "container")
    with pytest.raises(SourceError, match="no parser for files of kind 'nope'"):
        registry.parse("{}", "x", "nope")


# -- rules name kinds from the enum -----------------------------------------------------------------------------


def test_every_loaded_rule_names_known_kinds():
    for rule in load_rules(packs=False):
        assert rule.meta.sources and set(rule.meta.sources) <= KIND_VALUES, rule.meta.id


def test_the_rule_schema_names_only_known_kinds():
    with open(os.path.join(PACKAGE, "schemas", "rule.schema.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    assert set(schema["properties"]["sources"]["items"]["enum"]) <= KIND_VALUES
    assert set(schema["properties"]["match"]["items"]["properties"]["sources"]["items"]["enum"]) <= KIND_VALUES


RULE = """id: XX001
name: x-rule
severity: low
confidence: high
hipaa: ["164.312(b)"]
sources: {sources}
summary: s
description: d
remediation: r
message: "{{resource}} {{name}}"
match:
  - env: {{name: "^X$"}}
{match}"""


@pytest.mark.parametrize("sources, match, where, unknown", [
    ("[dokerfile]", "", "sources", "'dokerfile'"),
    ("[compose, Env]", "", "sources", "'Env'"),
    ("[compose, env]", "    sources: [compose, containers]\n", "match/0/sources", "'containers'"),
    ("compose", "", "sources", "'compose'"),  # a string, not a list
])
def test_a_declarative_rule_naming_an_unknown_kind_is_refused(tmp_path, sources, match, where, unknown):
    path = tmp_path / "XX001.yaml"
    path.write_text(RULE.format(sources=sources, match=match))
    with pytest.raises(declarative.RuleFileError) as info:  # a built-in rule file: not schema-checked
        declarative.load_rule_file(str(path), "declarative", check_schema=False)
    assert str(info.value) == (f"{path}: {where}: unknown source kind {unknown} "
                               "(known: compose, container, dockerfile, engine, env)")


def test_a_declarative_rule_naming_known_kinds_loads(tmp_path):
    path = tmp_path / "XX001.yaml"
    path.write_text(RULE.format(sources="[compose, env]", match="    sources: [env]\n"))
    rule = declarative.load_rule_file(str(path), "declarative", check_schema=False)
    assert rule.meta.sources == ("compose", "env")


def test_a_rules_dir_rule_naming_an_unknown_kind_is_one_line_and_exit_2(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "XX001.yaml").write_text(RULE.format(sources="[dokerfile]", match=""))
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "--rules-dir", str(rules),
                           str(tmp_path / "Dockerfile")], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "XX001.yaml" in proc.stderr and "dokerfile" in proc.stderr


class _EntryPoint:
    def __init__(self, name, rules):
        self.name, self.value, self._rules = name, f"{name}_pack:rules", rules

    def load(self):
        return lambda: self._rules


@pytest.mark.parametrize("sources, error", [
    (["compose"], None),
    (["compose", "kubernetes"], "rule pack xp: rule XP001: unknown source kind 'kubernetes'"),
])
def test_a_pack_rule_naming_an_unknown_kind_is_refused(monkeypatch, sources, error):
    from importlib import metadata

    from hipaa_scan.rules import Rule, _pack_rules  # noqa: PLC2701  (the function under test)
    from hipaa_scan.rules.base import meta

    rule = Rule(meta(id="XP001", name="xp-rule", severity="low", confidence="high", hipaa=["164.312(b)"],
                     sources=sources, summary="s", description="d", remediation="r"), lambda res, ctx: iter(()))
    monkeypatch.setattr(metadata, "entry_points", lambda group=None: [_EntryPoint("xp", [rule])])
    if error is None:
        assert [r.meta.id for r in _pack_rules((), (), set())] == ["XP001"]
    else:
        with pytest.raises(RuleLoadError) as info:
            _pack_rules((), (), set())
        assert str(info.value) == error


# -- typed facts ----------------------------------------------------------------------------------------------------


def _resource():
    return Resource(kind=SourceKind.DOCKERFILE, name="stage:0", label="final stage", path="Dockerfile",
                    anchor=Location("Dockerfile", 1, 1, "FROM"))


def test_resource_facts_are_typed_fields_not_a_dict():
    res = _resource()
    assert not hasattr(res, "extra") and not hasattr(res, "__dict__")
    for name in Resource.__slots__:  # every field has its default from the start: no fact is read as missing
        getattr(res, name)
    with pytest.raises(AttributeError):
        res.one_shott = ("job", res.anchor)  # a misspelt fact is an error, not a silent new key
    with pytest.raises(TypeError):
        Resource("env", "env:.env", "env file .env", ".env", res.anchor, extra={"example": True})


def test_resource_fact_defaults():
    res = _resource()
    assert (res.written, res.stage_env, res.one_shot, res.env_file, res.example, res.runtime_env) == \
        ([], [], None, False, False, None)
    assert (res.stages, res.base_image, res.entrypoint, res.cmd, res.env_written, res.stage_lookup) == \
        (None, None, [], [], {}, None)
    assert (res.service, res.built, res.overrides, res.replaced) == (None, None, {}, {})
    assert (res.build, res.logging_options, res.interpolated, res.elsewhere) == (None, None, [], frozenset())
    assert (res.container_id, res.state, res.running, res.image_id, res.engine_label_disable) == \
        ("", "", False, "", False)
    assert (res.security_options_known, res.connection, res.registry, res.server_version, res.api_version,
            res.os) == (False, None, None, None, None, None)
    # mutable defaults are the resource's own
    other = _resource()
    res.written.append("x")
    assert other.written == []


def test_every_resource_field_is_documented():
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text[text.index("### Source facts"):]
    missing = [name for name in Resource.__slots__[Resource.__slots__.index("written"):] if f"`{name}`" not in section]
    assert missing == []


def test_a_container_records_its_facts():
    inspect = {"Id": "c0ffee", "Image": "sha256:abc", "State": {"Status": "running", "Running": True},
               "Config": {"Image": "nginx:1.25", "Labels": {"a": "b"}},
               "HostConfig": {"Privileged": True, "SecurityOpt": ["label=disable", "seccomp=unconfined"]}}
    res = container_document(inspect, "web").resources[0]
    assert (res.kind, res.container_id, res.state, res.running, res.image_id, res.engine_label_disable) == \
        ("container", "c0ffee", "running", True, "sha256:abc", True)
    assert [o.value for o in res.security_opt] == ["seccomp=unconfined"]
    res = container_document({"Id": None, "State": {"Running": "yes"}, "Config": {}}, "odd").resources[0]
    assert (res.container_id, res.running, res.image_id, res.engine_label_disable) == ("", False, "", False)


def test_an_engine_records_its_facts():
    info = {"OperatingSystem": "Debian", "ServerVersion": "24.0.1", "SecurityOptions": ["name=seccomp"],
            "RegistryConfig": {"InsecureRegistryCIDRs": []}}
    connection = {"host": "tcp://h:2375", "scheme": "tcp", "tls": False, "tls_verify": False}
    res = engine_document("h", info, {"Version": "25.0.0", "ApiVersion": "1.44"}, connection).resources[0]
    assert (res.kind, res.server_version, res.api_version, res.os, res.security_options_known) == \
        ("engine", "25.0.0", "1.44", "Debian", True)
    assert res.registry == {"InsecureRegistryCIDRs": []} and res.connection == connection
    res = engine_document("h", {"ServerVersion": 24, "SecurityOptions": "x", "RegistryConfig": []}).resources[0]
    assert (res.server_version, res.api_version, res.os, res.security_options_known, res.registry,
            res.connection) == (None, None, None, False, None, None)
    res = engine_document("h", {"ServerVersion": "23.0"}).resources[0]
    assert res.server_version == "23.0"


# -- seams between modules -------------------------------------------------------------------------------------------


def _modules():
    for folder, _dirs, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
                yield path, dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted


def _imports(path):
    """Every hipaa_scan module a file imports, including under `if TYPE_CHECKING:` and inside functions."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hipaa_scan"):
            yield node, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hipaa_scan"):
                    yield node, alias.name


def test_no_module_imports_another_modules_private_name():
    modules = {dotted for _path, dotted in _modules()}
    found = []
    for path, _dotted in _modules():
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hipaa_scan"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{os.path.relpath(path, ROOT)}: {node.module}.{alias.name}")
                    if f"{node.module}.{alias.name}" in modules:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("hipaa_scan"):
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{os.path.relpath(path, ROOT)}: {aliases[node.value.id]}.{node.attr}")
    assert found == []


def test_the_compose_project_loader_and_the_service_builder_do_not_import_each_other():
    by_module = {dotted: {module for _node, module in _imports(path)} for path, dotted in _modules()}
    assert "hipaa_scan.sources.project" not in by_module["hipaa_scan.sources.services"]
    assert "hipaa_scan.sources.services" in by_module["hipaa_scan.sources.project"]
    assert "hipaa_scan.sources.project" not in by_module["hipaa_scan.sources.projectstate"]
    assert "hipaa_scan.sources.services" not in by_module["hipaa_scan.sources.projectstate"]


def test_the_sources_registry_imports_no_parser_at_start():
    """Name matching runs on every file of a walk: the registry itself must not load a parser (or YAML)."""
    with open(os.path.join(PACKAGE, "sources", "registry.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert sorted(getattr(n, "module", None) or n.names[0].name for n in top) == \
        ["__future__", "hipaa_scan.sources.kinds", "importlib"]
