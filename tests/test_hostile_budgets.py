"""A hostile corpus, generated at test time: small files built to make a scan do exponential, quadratic or unbounded
work, and configuration and baseline files built to crash or stall the command before it scans.

Each case runs under a SIGALRM guard (GUARD seconds): a case that hangs fails instead of stalling the suite. Each
asserts either the one error naming the budget it reached (and the file), or a normal result; and in every tree a
good Dockerfile next to the hostile file is still scanned (HS101 on it), so the rest of the scan goes on.
"""

import json
import os
import subprocess
import sys

import pytest

from guard import hang_guard
from hipaa_scan.engine import ScanOptions, scan_paths

GUARD = int(os.environ.get("HIPAA_SCAN_TEST_GUARD", "30"))  # seconds: far above what a case needs, far below a hang
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9xLpW2"  # a secret-shaped value: must never appear in an error
GOOD = "FROM alpine:3.20\n"  # no USER: HS101


@pytest.fixture(autouse=True)
def guard():
    with hang_guard(GUARD, "a case (a budget does not hold?)"):
        yield


def tree(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    (root / "good").mkdir(exist_ok=True)
    (root / "good" / "Dockerfile").write_text(GOOD)


def scan(root, files, **options):
    tree(root, files)
    result = scan_paths([str(root)], ScanOptions(jobs=1, **options))
    shown = {os.path.relpath(f.location.path, str(root)) if os.path.isabs(f.location.path) else f.location.path
             for f in result.findings}
    assert any(p.endswith("good/Dockerfile") for p in shown), "the good file was not scanned"
    assert not [e for e in result.errors if e.kind in ("internal", "rule")], result.errors
    for error in result.errors:
        assert "\n" not in error.message and SECRET not in error.message
    return result


def errors_of(result):
    return {os.path.basename(os.path.dirname(e.path)) + "/" + os.path.basename(e.path): e.message
            for e in result.errors}


def one_error(result, name, *words):
    errors = errors_of(result)
    assert name in errors, errors
    for word in words:
        assert word in errors[name], errors[name]
    return errors[name]


# -- interpolation -----------------------------------------------------------------------------------------------

DOUBLING = "".join("ENV A=$A$A\n" for _ in range(40))
NESTED = "${A:-" * 60000 + "x" + "}" * 60000


@pytest.mark.parametrize("text, words", [
    ("FROM alpine\nENV A=xy\n" + DOUBLING, ["interpolation budget", "1,048,576"]),
    ("FROM alpine\nENV A=xy\n" + DOUBLING.replace("$A$A", "${A}${A}${A}"), ["interpolation budget"]),
    ("FROM alpine\nARG A=xy\n" + "".join("ARG A=${A}${A}\n" for _ in range(40)), ["interpolation budget"]),
    ("ARG A=xy\n" + "".join("ARG A=$A$A\n" for _ in range(40)) + "FROM alpine\n", ["interpolation budget"]),
    ("FROM alpine\nENV B=" + NESTED + "\n", ["nested deeper than 32"]),
    ("FROM alpine\nUSER " + NESTED + "\n", ["nested deeper than 32"]),
    # many variables, each under the value limit, together over the file's budget
    ("FROM alpine\nENV A=" + "x" * 1000 + "\n" + "".join(f"ENV B{i}=" + "$A" * 1000 + "\n" for i in range(9)),
     ["interpolation budget", "in all"]),
], ids=["env-doubling", "env-tripling-braced", "arg-chain", "global-arg-chain", "nested-default", "nested-user",
        "file-total"])
def test_dockerfile_interpolation_budgets(tmp_path, text, words):
    result = scan(tmp_path, {"bad/Dockerfile": text})
    one_error(result, "bad/Dockerfile", *words)


def test_dockerfile_references_that_resolve_are_not_expanded_past_their_use(tmp_path):
    """`${A:-${A:-...}}` with A set never reads its default: no error, the value is A's."""
    result = scan(tmp_path, {"ok/Dockerfile": "FROM alpine\nENV A=1\nENV B=" + "${A:-" * 20 + "x" + "}" * 20 +
                             "\nUSER 1000\n"})
    assert not result.errors


def test_compose_nested_defaults_and_growth(tmp_path):
    compose = "services:\n  web:\n    image: \"" + NESTED + "\"\n"
    result = scan(tmp_path, {"nest/compose.yaml": compose})
    one_error(result, "nest/compose.yaml", "nested deeper than 32")


def test_project_env_growth_names_the_env_file(tmp_path):
    env = "A=xy\n" + "".join("A=${A}${A}\n" for _ in range(40))
    result = scan(tmp_path, {"grow/.env": env, "grow/compose.yaml": "services:\n  web:\n    image: \"${A}\"\n"})
    one_error(result, "grow/.env", "interpolation budget")


def test_compose_values_reusing_a_large_variable_reach_the_file_budget(tmp_path):
    env = "A=" + "x" * 500_000 + "\n"
    compose = "services:\n  web:\n    image: redis\n    environment:\n" + "".join(
        f"      V{i}: \"${{A}}\"\n" for i in range(40))
    result = scan(tmp_path, {"reuse/.env": env, "reuse/compose.yaml": compose})
    one_error(result, "reuse/compose.yaml", "interpolation budget", "in all")


def test_one_file_included_under_many_environments_shares_the_project_budget(tmp_path):
    files = {"envs/compose.yaml": "include:\n" + "".join(f"  - {{path: x.yaml, env_file: e{i}.env}}\n"
                                                         for i in range(40)) + "services:\n  web:\n    image: redis\n",
             "envs/x.yaml": "x-data: [\"${A}\", \"${A}\", \"${A}\", \"${A}\"]\n"}
    files.update({f"envs/e{i}.env": f"A={i}" + "y" * 900_000 + "\n" for i in range(40)})
    result = scan(tmp_path, files)
    assert any("interpolation budget exceeded: the project's substituted values" in e.message
               for e in result.errors), result.errors


def test_one_large_file_included_under_many_environments_reaches_the_project_node_budget(tmp_path):
    files = {"nodes/compose.yaml": "include:\n" + "".join(f"  - {{path: x.yaml, env_file: e{i}.env}}\n"
                                                          for i in range(12)) + "services:\n  web:\n    image: redis\n",
             "nodes/x.yaml": "x-data: [" + "a, " * 60_000 + "a]\n"}
    files.update({f"nodes/e{i}.env": f"A={i}\n" for i in range(12)})
    result = scan(tmp_path, files)
    one_error(result, "nodes/compose.yaml", "project budget exceeded: more than 500,000 YAML nodes")


def test_one_large_env_file_named_by_many_services(tmp_path):
    files = {"ef/compose.yaml": "services:\n" + "".join(f"  s{i}:\n    image: redis:7\n    env_file: big.env\n"
                                                       for i in range(2000)),
             "ef/big.env": "".join(f"V{i}=v\n" for i in range(100_000))}
    result = scan(tmp_path, files)
    one_error(result, "ef/compose.yaml", "project budget exceeded: more than 500,000 env_file variables")


def test_a_value_naming_one_unset_variable_many_times_is_cheap(tmp_path):
    compose = "services:\n  web:\n    image: redis\n    command: \"" + "$U" * 300_000 + "\"\n"
    result = scan(tmp_path, {"many/compose.yaml": compose})
    assert not [e for e in result.errors if "many/" in e.path]
    assert sum("variable U is not set" in n for n in result.notes) == 1


# -- env files ---------------------------------------------------------------------------------------------------

def test_unterminated_quote_is_linear_and_hides_no_other_line(tmp_path):
    lines = ['FIRST="never closed'] + [f"K{i}=value{i}" for i in range(8000)] + [f"DB_PASSWORD={SECRET}"]
    result = scan(tmp_path, {"quote/.env": "\n".join(lines) + "\n"})
    assert one_error(result, "quote/.env", "line 1,", "unterminated") == 'line 1, column 7: unterminated "-quoted value'
    assert any(f.rule_id == "HS401" and f.location.line == 8002 for f in result.findings)


def test_quotes_closing_on_the_next_line_are_linear(tmp_path):
    text = "".join(f"K{i}='open\n" for i in range(30000)) + "".join(f'D{i}="open\\"\n' for i in range(30000))
    result = scan(tmp_path, {"quotes/.env": text + 'LAST="x"\n'})
    assert not [e for e in result.errors if e.path.endswith("quotes/.env")]


def test_many_bad_lines_are_counted_not_listed(tmp_path):
    # one good line: a file with no NAME=value line at all is judged not to be an env file (discover.env_content)
    result = scan(tmp_path, {"bad/.env": "GOOD=1\n" + "".join(f"K{i} v\n" for i in range(60000))})
    errors = [e.message for e in result.errors if e.path.endswith("bad/.env")]
    assert len(errors) == 21 and "59980 more lines could not be parsed" in errors
    assert "line 2, column 4: expected '=' after the variable name" in errors


def test_malformed_lines_are_named_by_number_never_quoted(tmp_path):
    text = (f"AKIA{SECRET}\n"  # no `=`: the name itself may be the secret
            f"AWS_SECRET_ACCESS_KEY {SECRET}\n"
            f"=={SECRET}\n"
            f"API_TOKEN={SECRET}\n")
    result = scan(tmp_path, {"bad/.env": text})
    messages = sorted(e.message for e in result.errors if e.path.endswith("bad/.env"))
    assert messages == ["line 1, column 18: expected '=' after the variable name",
                        "line 2, column 23: expected '=' after the variable name",
                        "line 3, column 1: expected NAME=value"], messages
    assert any(f.rule_id == "HS401" and f.location.line == 4 for f in result.findings)
    assert not any(SECRET in (e.message + e.path) for e in result.errors)


def test_env_file_errors_inside_a_project_keep_file_and_line(tmp_path):
    files = {
        "proj/compose.yaml": "services:\n  web:\n    image: redis\n    env_file: app.env\n",
        "proj/app.env": f"A=1\nB=2\n-not a variable\nDB_PASSWORD={SECRET}\n",
    }
    result = scan(tmp_path, files)
    assert one_error(result, "proj/app.env") == "line 3, column 1: expected NAME=value"
    assert any(f.rule_id == "HS401" and f.location.path.endswith("app.env") and f.location.line == 4
               for f in result.findings)
    assert not [e for e in result.errors if "could not be loaded" in e.message]


def test_large_crlf_env_file(tmp_path):
    text = "".join(f"VARIABLE_{i}=value-{i}\r\n" for i in range(50_000))
    result = scan(tmp_path, {"crlf/.env": text})
    assert not result.errors


def test_env_value_spans(tmp_path):
    from hipaa_scan.sources.envfile import parse_env_text

    text = 'A=plain # c\nexport B = "two\nlines" tail\nC=\'x\'\nD=\n'
    spans = {v.name: v.span for v in parse_env_text(text, ".env")}
    assert spans == {"A": (1, 3, 1, 8), "B": (2, 13, 3, 6), "C": (4, 4, 4, 5), "D": (5, 3, 5, 3)}


# -- Compose projects: include and extends -----------------------------------------------------------------------

def test_include_fan_out_loads_each_file_once(tmp_path):
    files = {"fan/compose.yaml": "include:\n" + "  - f1.yaml\n" * 10 + "services:\n  web:\n    image: redis\n"}
    for i in range(1, 7):
        files[f"fan/f{i}.yaml"] = "include:\n" + f"  - f{i + 1}.yaml\n" * 10 if i < 6 else "volumes:\n  v: {}\n"
    result = scan(tmp_path, files)
    assert not [e for e in result.errors if "fan/" in e.path], result.errors
    assert any(f.location.path.endswith("fan/compose.yaml") for f in result.findings)


def test_include_of_many_distinct_files_reaches_the_document_budget(tmp_path):
    files = {"many/compose.yaml": "include:\n" + "".join(f"  - d{i}.yaml\n" for i in range(300)) +
             "services:\n  web:\n    image: redis\n"}
    files.update({f"many/d{i}.yaml": f"volumes:\n  v{i}: {{}}\n" for i in range(300)})
    result = scan(tmp_path, files)
    one_error(result, "many/compose.yaml", "project budget exceeded", "256")


def test_include_cycle_is_an_error(tmp_path):
    files = {"cyc/compose.yaml": "include:\n  - a.yaml\nservices:\n  web:\n    image: redis\n",
             "cyc/a.yaml": "include:\n  - b.yaml\n", "cyc/b.yaml": "include:\n  - a.yaml\n"}
    result = scan(tmp_path, files)
    assert any("include cycle" in e.message for e in result.errors)


@pytest.mark.parametrize("entry", ["[{path: []}]", "[{path: ''}]", "[{}]", "[{path: null}]", "[[]]", "['']"])
def test_include_entry_without_a_path(tmp_path, entry):
    result = scan(tmp_path, {"inc/compose.yaml": f"include: {entry}\nservices:\n  web:\n    image: redis\n"})
    one_error(result, "inc/compose.yaml", "names no file")


def test_deep_extends_chain_is_refused(tmp_path):
    services = "".join(f"  s{i}:\n    extends: s{i + 1}\n" for i in range(60)) + "  s60:\n    image: redis\n"
    result = scan(tmp_path, {"ext/compose.yaml": "services:\n" + services})
    one_error(result, "ext/compose.yaml", "extends nested deeper than 32")


def test_many_services_extending_one_chain_resolve_it_once(tmp_path):
    chain = "".join(f"  b{i}:\n    extends: b{i + 1}\n" for i in range(25)) + "  b25:\n    image: redis\n"
    users = "".join(f"  u{i}:\n    extends: b0\n" for i in range(3000))
    result = scan(tmp_path, {"fanin/compose.yaml": "services:\n" + chain + users})
    assert not [e for e in result.errors if "fanin/" in e.path]
    fanin = [f for f in result.findings if f.location.path.endswith("fanin/compose.yaml")]
    # every service is judged (one HS108 per service key), and the one `image: redis` they all inherit is one
    # written element, so one HS301 (issue 15: one finding per element)
    assert sum(f.rule_id == "HS108" for f in fanin) >= 3000
    assert [f.location.line for f in fanin if f.rule_id == "HS301"] == [53]  # b25's `image: redis`


def test_extends_across_files_many_times(tmp_path):
    files = {"xf/compose.yaml": "services:\n" + "".join(
        f"  s{i}:\n    extends: {{file: base.yaml, service: b}}\n" for i in range(2000)),
        "xf/base.yaml": "services:\n  b:\n    image: redis\n    privileged: true\n"}
    result = scan(tmp_path, files)
    # each of the 2000 services is judged (HS108 at its own key); the `privileged: true` they all inherit is one
    # written element in base.yaml, so one HS102 (issue 15: one finding per element)
    assert sum(f.rule_id == "HS108" and f.location.path.endswith("xf/compose.yaml") for f in result.findings) >= 2000
    assert [(f.location.path.rsplit("/", 1)[-1], f.location.line) for f in result.findings
            if f.rule_id == "HS102"] == [("base.yaml", 4)]


# -- YAML --------------------------------------------------------------------------------------------------------

def merge_chain(levels):
    lines = ["x-a0: &a0 {k0: 1}"] + [f"x-a{i}: &a{i} {{<<: *a{i - 1}, k{i}: {i}}}" for i in range(1, levels)]
    return "\n".join(lines) + "\nservices:\n  web:\n    image: redis\n"


def alias_fan(keys, uses):
    env = "x-env: &env\n" + "".join(f"  K{i}: v\n" for i in range(keys))
    return env + "services:\n" + "".join(f"  s{i}:\n    image: redis\n    environment: *env\n" for i in range(uses))


@pytest.mark.parametrize("text, words", [
    (merge_chain(3000), ["YAML node budget exceeded"]),
    ("x-a: &a [" + ", ".join(["x"] * 1000) + "]\nx-b: &b [" + ", ".join(["*a"] * 1000) + "]\n"
     "services:\n  web:\n    image: redis\n    command: *b\n", ["YAML node budget exceeded"]),
    (alias_fan(2000, 2000), ["YAML node budget exceeded"]),
    ("x-m: &m {" + ", ".join(f"k{i}: v" for i in range(1000)) + "}\nservices:\n" + "".join(
        f"  s{i}:\n    <<: [*m, *m, *m]\n    image: redis\n" for i in range(300)), ["YAML node budget exceeded"]),
    ("x: &a {b: *a}\nservices:\n  web:\n    image: redis\n", ["recursive alias", "line 1"]),
    ("services: &s\n  web:\n    image: redis\n    labels: *s\n", ["recursive alias"]),
    ("services:\n  web:\n    image: " + "{a: " * 20000 + "1" + "}" * 20000 + "\n", ["nesting"]),
    ("services:\n  web:\n    image: " + "[" * 20000 + "]" * 20000 + "\n", ["nesting"]),
    ("x-big: &big \"" + "s" * 4_000_000 + "\"\nservices:\n  web:\n    image: redis\n    environment:\n" +
     "".join(f"      V{i}: *big\n" for i in range(100)), ["YAML node budget exceeded"]),
    ("x-big: &big [\"" + "s" * 1_000_000 + "\"]\nservices:\n" +
     "".join(f"  s{i}:\n    image: redis\n    command: *big\n" for i in range(300)), ["YAML node budget exceeded"]),
], ids=["merge-chain", "alias-of-aliases", "alias-fan-out", "merge-list-fan-out", "recursive-alias",
        "recursive-services", "deep-flow-mappings", "deep-flow-lists", "long-scalar-aliases", "long-list-aliases"])
def test_yaml_budgets(tmp_path, text, words):
    result = scan(tmp_path, {"y/compose.yaml": text})
    one_error(result, "y/compose.yaml", *words)


def test_aliases_within_the_budget_are_scanned(tmp_path):
    result = scan(tmp_path, {"ok/compose.yaml": alias_fan(20, 200)})
    assert not [e for e in result.errors if "ok/" in e.path]


def test_very_long_lines(tmp_path):
    files = {"long/compose.yaml": "services:\n  web:\n    image: redis\n    command: \"" + "a" * 4_000_000 + "\"\n",
             "long/.env": "A=" + "b" * 4_000_000 + "\n",
             "longdf/Dockerfile": "FROM alpine\nRUN " + "c" * 4_000_000 + "\n"}
    result = scan(tmp_path, files)
    assert not [e for e in result.errors if "long" in e.path]


@pytest.mark.parametrize("name, text", [
    ("cmd/compose.yaml", "services:\n  web:\n    image: redis\n    command: \"" + "a " * 2_000_000 + "\"\n"),
    ("list/compose.yaml", "services:\n  web:\n    image: redis\n    command: [" + "a, " * 50_000 + "a]\n"),
    ("cmd/Dockerfile", "FROM alpine\nCMD " + "a " * 1_000_000 + "\n"),
    ("exec/Dockerfile", "FROM alpine\nENTRYPOINT [" + '"a", ' * 100_000 + '"a"]\n'),
])
def test_command_word_budget(tmp_path, name, text):
    one_error(scan(tmp_path, {name: text}), name, "command budget exceeded", "10,000 words")


# -- Dockerfiles: work that grows with the file ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "FROM alpine\nENV " + " ".join(f"K{i}=v" for i in range(30000)) + " " + " ".join(f'"Q{i}"=v' for i in range(30000)),
    "FROM alpine AS s0\n" + "".join(f"FROM s{i} AS s{i + 1}\nENV A{i}=1\n" for i in range(20000)),
    "".join(f"FROM alpine AS s{i}\nRUN x\n" for i in range(20000)),
], ids=["many-keys-one-line", "stage-chain", "many-stages"])
def test_dockerfile_shapes_that_were_quadratic(tmp_path, text):
    scan(tmp_path, {"df/Dockerfile": text})


def test_dockerfile_line_budget(tmp_path):
    result = scan(tmp_path, {"lines/Dockerfile": "FROM alpine\n" + "RUN x\n" * 150_000,
                             "heredoc/Dockerfile": "FROM alpine\nRUN <<EOF\n" + "x\n" * 150_000 + "EOF\n"})
    one_error(result, "lines/Dockerfile", "more than 100,000 lines")
    one_error(result, "heredoc/Dockerfile", "more than 100,000 lines")


def test_dockerfile_continuation_join_budget(tmp_path):
    result = scan(tmp_path, {"cont/Dockerfile": "FROM alpine\nRUN " + "\\\n" * 90_000 + "x\n",
                             "contlong/Dockerfile": "FROM alpine\nRUN " + ("y" * 2000 + " \\\n") * 2000 + "x\n"})
    one_error(result, "cont/Dockerfile", "parse budget exceeded")
    one_error(result, "contlong/Dockerfile", "parse budget exceeded")


# -- configuration and baseline files ----------------------------------------------------------------------------

def cli(cwd, *args):
    env = dict(os.environ, XDG_CACHE_HOME=str(cwd / ".cache"))
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=GUARD, env=env)


def bad_config(tmp_path, name, text):
    tree(tmp_path, {name: text})
    proc = cli(tmp_path, "scan", "good")
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("name, text, words", [
    ("pyproject.toml", "[tool.hipaa-scan]\nselect = " + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"]),
    ("pyproject.toml", "[tool.hipaa-scan]\nrules = " + "{a = " * 100 + "1" + "}" * 100 + "\n", ["nested deeper"]),
    (".hipaa-scan.yaml", "select: &a [*a]\n", ["recursive alias"]),
    (".hipaa-scan.yaml", merge_chain(3000).replace("services:\n  web:\n    image: redis\n", ""), ["node budget"]),
    (".hipaa-scan.yaml", "exclude:\n" + "  - 'x'\n" * 200_000, ["limit"]),
    (".hipaa-scan.yaml", "max-file-bytes: 1000000000000\n", ["max-file-bytes"]),
    (".hipaa-scan.yaml", "rules:\n  HS401:\n    placeholder_patterns: ['(a']\n",
     ["rules.HS401.placeholder_patterns[0]", "RE2"]),
    (".hipaa-scan.yaml", "rules:\n  HS401:\n    placeholder_patterns: ['ok', '(?<=a)b']\n",
     ["placeholder_patterns[1]", "RE2"]),
    (".hipaa-scan.yaml", "x: " + "[" * 150 + "]" * 150 + "\n", ["nested deeper"]),
], ids=["toml-deep", "toml-deep-tables", "yaml-recursive", "yaml-merge-bomb", "huge", "max-file-bytes",
        "invalid-pattern", "lookbehind", "yaml-deep"])
def test_bad_configuration_is_one_clean_error(tmp_path, name, text, words):
    line = bad_config(tmp_path, name, text)
    for word in words:
        assert word in line, line


def test_a_large_pyproject_without_our_section_is_no_configuration(tmp_path):
    tree(tmp_path, {"pyproject.toml": "[tool.other]\n" + "# padding\n" * 200_000})
    proc = cli(tmp_path, "scan", "good")
    assert proc.returncode == 1 and "HS101" in proc.stdout, proc.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.hipaa-scan]\nselect = ['HS1']\n" + "# padding\n" * 200_000)
    line = bad_config(tmp_path, "pyproject.toml", (tmp_path / "pyproject.toml").read_text())
    assert "pyproject.toml: file is 2,000,035 bytes, over the 1,048,576-byte limit" in line, line


def test_redos_placeholder_pattern_cannot_hang_the_scan(tmp_path):
    tree(tmp_path, {".hipaa-scan.yaml": "rules:\n  HS401:\n    placeholder_patterns: ['^(a+)+$', '(x|x)*y']\n",
                    "app/.env": "".join(f"PASSWORD_{i}={'a' * 5000}!\n" for i in range(200)) +
                    "".join(f"TOKEN_{i}=Q{'x' * 5000}\n" for i in range(200))})
    proc = cli(tmp_path, "scan", "app", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert len([f for f in json.loads(proc.stdout)["findings"] if f["rule_id"] == "HS401"]) == 400


def test_placeholder_pattern_still_marks_placeholders(tmp_path):
    tree(tmp_path, {".hipaa-scan.yaml": "rules:\n  HS401:\n    placeholder_patterns: ['^FILL[-_]ME']\n",
                    "app/.env": "DB_PASSWORD=fill_me_in\nAPI_TOKEN=Zx81kQ0pL2mN7vB4\n"})
    proc = cli(tmp_path, "scan", "app", "--format", "json", "--select", "HS401")
    found = [f["location"]["line"] for f in json.loads(proc.stdout)["findings"]]
    assert found == [2]


def test_rules_dir_patterns_run_with_re2(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    rule = ("id: ACME001\nname: slow-pattern\nseverity: low\nconfidence: low\nhipaa: ['164.312(b)']\n"
            "sources: [dockerfile]\nsummary: s\ndescription: d\nremediation: r\nmessage: 'slow in {resource}'\n"
            "match:\n  - run: '^(a+)+$'\n")
    (rules / "acme.yaml").write_text(rule)
    tree(tmp_path, {"app/Dockerfile": "FROM alpine\nRUN " + "a" * 100_000 + "!\nRUN aaaa\n"})
    proc = cli(tmp_path, "scan", "app", "--rules-dir", str(rules), "--select", "ACME", "--format", "json")
    assert [f["location"]["line"] for f in json.loads(proc.stdout)["findings"]] == [3], proc.stderr
    (rules / "acme.yaml").write_text(rule.replace("^(a+)+$", "(a)\\1"))
    proc = cli(tmp_path, "scan", "app", "--rules-dir", str(rules))
    assert proc.returncode == 2 and "bad regular expression" in proc.stderr and "RE2" in proc.stderr


def baseline(entries):
    return json.dumps({"hipaa_scan_baseline": 2, "entries": entries})


@pytest.mark.parametrize("text, words", [
    (baseline([{"fingerprint": "a" * 32, "reason": 5}]), ["entries[0].reason must be of type string"]),
    (baseline([{"fingerprint": "a" * 32}, {"fingerprint": "b" * 32, "reason": {"x": 1}}]),
     ["entries[1].reason must be of type string"]),
    (baseline([{"fingerprint": 7}]), ["entries[0].fingerprint must be of type string"]),
    (baseline([{"reason": "r"}]), ["entries[0]", "fingerprint"]),
    (baseline([{"fingerprint": "a", "owner": ["x"]}]), ["entries[0].owner"]),
    ('{"hipaa_scan_baseline": 2, "entries": []' + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}", ["nested"]),
    ('{"hipaa_scan_baseline": 2, "entries": [], "x": ' + "[" * 50 + "]" * 50 + "}", ["nested deeper"]),
    (baseline([{"fingerprint": "a" * 32, "reason": "x" * 100}] * 200_000), ["limit"]),
], ids=["reason-number", "reason-object", "fingerprint-number", "no-fingerprint", "owner-list", "deep", "deeper",
        "huge"])
def test_bad_baseline_is_one_clean_error(tmp_path, text, words):
    tree(tmp_path, {"b.json": text})
    proc = cli(tmp_path, "scan", "good", "--baseline", "b.json")
    assert proc.returncode == 2
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "b.json" in lines[0], lines
    for word in words:
        assert word in lines[0], lines[0]


def test_baseline_reason_reaches_sarif_as_a_string(tmp_path):
    tree(tmp_path, {})
    made = cli(tmp_path, "baseline", "create", "b.json", "good", "--reason", "accepted: PHI-1")
    assert made.returncode == 0, made.stderr
    proc = cli(tmp_path, "scan", "good", "--baseline", "b.json", "--format", "sarif")
    results = json.loads(proc.stdout)["runs"][0]["results"]
    assert results and all(s["justification"] == "accepted: PHI-1" for r in results for s in r["suppressions"])


# -- long lines full of credential contexts, and nested image defaults (found after the branches met) ---------------

@pytest.mark.parametrize("name, text", [
    ("pem/.env", "K=" + "-----BEGIN PRIVATE KEY-----" * 100_000 + "\n"),
    ("url/.env", "K=" + "https://a:" * 200_000 + "\n"),
    ("eq/.env", "A=" + "password=" * 300_000 + "\n"),
    ("hdr/Dockerfile", "FROM alpine:3.20\nRUN " + "-H 'Authorization: " * 100_000 + "\n"),
    ("colons/Dockerfile", "FROM alpine:3.20\nRUN " + "x:" * 1_000_000 + "\n"),
])
def test_a_long_line_of_credential_contexts_stays_cheap_and_is_masked(tmp_path, name, text):
    """Credentials are looked for in a bounded prefix of a text (credentials.MAX_TEXT); what a snippet or an
    evidence string shows of the rest is masked, never shown unread."""
    result = scan(tmp_path, {name: text})
    for f in result.findings:
        assert len(f.snippet or "") <= 240 and len(f.evidence or "") <= 70_000 + 40


def test_an_image_reference_nested_past_the_interpolation_bound_is_not_resolved(tmp_path):
    image = "${A:-" * 70_000 + "x" + "}" * 70_000
    result = scan(tmp_path, {"nested/compose.yaml": f'services:\n  a:\n    image: "{image}"\n'})
    assert "interpolation budget exceeded" in errors_of(result)["nested/compose.yaml"]
    from hipaa_scan.images import UNKNOWN, resolve_defaults
    assert resolve_defaults(image) == UNKNOWN and resolve_defaults("${A:-${B:-redis:7.2.4}}") == "redis:7.2.4"
