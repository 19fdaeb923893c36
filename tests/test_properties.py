"""Property-based tests: parsers never raise anything but their own error on any input, and round-trip what they
can."""

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipaa_scan.sources.compose import parse_port_spec
from hipaa_scan.sources.dockerfile import DockerfileError, parse_dockerfile
from hipaa_scan.sources.envfile import EnvFileError, parse_env_text
from hipaa_scan.secrets import SECRET_SHAPES
from hipaa_scan.sources.interpolate import interpolate

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
SAFE_VALUES = st.text(alphabet=string.ascii_letters + string.digits + "-_./:@+=", max_size=30)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=400))
def test_env_parser_raises_only_its_own_error(text):
    try:
        for var in parse_env_text(text, ".env"):
            assert var.loc.line >= 1
    except EnvFileError:
        pass


ENV_PROBLEM = re.compile(r"line \d+, column \d+: (expected NAME=value|expected '=' after the variable name|"
                         r"unterminated [\"']-quoted value)|\d+ more lines could not be parsed")


@FAST
@given(st.text(alphabet=st.sampled_from(list("AB=_ #'\"\\\n\rx$")), max_size=300) | st.text(max_size=300))
def test_env_parser_recording_problems_never_raises_nor_quotes(text):
    """With a problems list the parser reads every line; each problem says which line and what was expected, in
    our words only (never a name or value from the file)."""
    problems = []
    variables = parse_env_text(text, ".env", problems)
    for problem in problems:
        assert ENV_PROBLEM.fullmatch(str(problem)), str(problem)
    lines = len(text.splitlines())
    assert all(1 <= v.loc.line <= lines for v in variables)
    for var in (v for v in variables if v.value is not None):  # `NAME` alone has no value, so no span
        first, column, last, end = var.span
        assert var.loc.line == first <= last <= lines and column >= 1 and end >= 1


@FAST
@given(st.lists(st.tuples(NAMES, SAFE_VALUES), max_size=8), st.sampled_from(["", "export "]),
       st.sampled_from(["plain", "double", "single"]))
def test_env_parser_round_trips_simple_files(pairs, prefix, quoting):
    def render(value):
        return {"plain": value, "double": f'"{value}"', "single": f"'{value}'"}[quoting]

    text = "".join(f"# comment\n{prefix}{name}={render(value)}\n" for name, value in pairs)
    parsed = parse_env_text(text, ".env")
    assert [(v.name, v.value) for v in parsed] == list(pairs)
    assert [v.loc.line for v in parsed] == [2 * i + 2 for i in range(len(pairs))]


@FAST
@given(st.text(max_size=200), st.dictionaries(NAMES, SAFE_VALUES, max_size=5))
def test_interpolation_never_raises_and_is_identity_without_dollars(text, env):
    result, used, missing = interpolate(text, env.get)
    if "$" not in text:
        assert result == text and not used and not missing
    assert set(missing) <= set(used)


@FAST
@given(NAMES, SAFE_VALUES, SAFE_VALUES)
def test_interpolation_forms(name, value, default):
    env = {name: value}
    assert interpolate(f"${{{name}}}", env.get)[0] == value
    assert interpolate(f"${name}", env.get)[0] == value
    assert interpolate(f"${{{name}:-{default}}}", {}.get)[0] == default
    assert interpolate(f"${{{name}-{default}}}", {name: ""}.get)[0] == ""
    assert interpolate(f"${{{name}:-{default}}}", {name: ""}.get)[0] == default
    assert interpolate(f"${{{name}:+{default}}}", env.get)[0] == (default if value else "")
    assert interpolate(f"$${name}", env.get)[0] == f"${name}"
    _, _, missing = interpolate(f"${{{name}:?must be set}}", {}.get)
    assert missing == [name]


@FAST
@given(st.text(max_size=40))
def test_port_parser_never_raises(spec):
    parsed = parse_port_spec(spec)
    if parsed is not None:
        host_ip, host, container, proto = parsed
        assert isinstance(container, int)


@FAST
@given(st.one_of(st.none(), st.sampled_from(["127.0.0.1", "0.0.0.0", "[::1]", "[::]", "10.0.0.5"])),
       st.one_of(st.none(), st.integers(1, 65535)), st.integers(1, 65535), st.sampled_from(["", "/tcp", "/udp"]))
def test_port_parser_reads_every_short_form(ip, host, container, proto):
    spec = str(container) + proto
    if host is not None:
        spec = f"{host}:{spec}"
        if ip is not None:
            spec = f"{ip}:{spec}"
    host_ip, host_port, container_port, protocol = parse_port_spec(spec)
    assert container_port == container
    assert protocol == (proto.lstrip("/") or "tcp")
    assert host_port == (str(host) if host is not None else None)
    assert (host_ip or None) == ((ip.strip("[]") if ip else None) if host is not None else None)


INSTRUCTIONS = st.sampled_from(["FROM", "RUN", "USER", "ENV", "ARG", "COPY", "ADD", "HEALTHCHECK", "CMD",
                                "ENTRYPOINT", "EXPOSE", "WORKDIR", "LABEL", "ONBUILD", "FROBNICATE"])
ARGS = st.text(alphabet=string.ascii_letters + string.digits + " -_=$/{}:\"'[],.\\<", max_size=30)


@FAST
@given(st.lists(st.tuples(INSTRUCTIONS, ARGS), max_size=15))
def test_dockerfile_model_never_raises_unexpectedly(lines):
    text = "\n".join(f"{ins} {arg}" for ins, arg in lines) + "\n"
    try:
        doc = parse_dockerfile(text, "Dockerfile")
    except DockerfileError:
        return
    (res,) = doc.resources
    assert res.anchor.line >= 1
    for value in res.base_images + res.run:
        assert 1 <= value.loc.line <= len(text.splitlines())


_SCALARS = ["", "abc", "1", "-1", "+1", ".5", ".inf", "-.Inf", ".NaN", "yes", "No", "on", "OFF", "true", "False",
            "null", "~", "Null", "0x1F", "0o17", "1_000", "1e3", "1:20", "190:20:30", "redis:7", "8080:80",
            "127.0.0.1:6379:6379", "'1'", '"true"', "y", "n", "Y", "0", "00", "6379", "${X:-1}", "nulls", "tru",
            "-x", "+x", ".x", "~x", "oN", "2001-12-14x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_SCALARS), st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)), min_size=1, max_size=6))
def test_yaml_scalars_get_the_tags_pyyaml_safe_loader_gives(values):
    """yamlsrc answers most scalars' tags without PyYAML's resolver (yamlsrc._Loader): every scalar, plain or
    quoted, must be given the tag the stock safe loader's resolver gives it."""
    import yaml

    from hipaa_scan import yamlsrc

    text = "".join(f"k{i}: {v}\n" if i % 2 else f"k{i}: {yaml.safe_dump(v).strip().removesuffix('...').strip()}\n"
                   for i, v in enumerate(values))

    def tags(loader):
        try:
            node = yaml.compose(text, Loader=loader)
        except yaml.YAMLError as exc:
            return type(exc).__name__
        return [(k.tag, k.value, v.tag, v.value if isinstance(v, yaml.ScalarNode) else None)
                for k, v in node.value] if isinstance(node, yaml.MappingNode) else node and node.tag

    assert tags(yamlsrc._Loader) == tags(yamlsrc._Base)


@pytest.mark.parametrize("label", [label for label, _pattern, _visible in SECRET_SHAPES])
def test_every_secret_shape_passes_the_literal_prefilter(label):
    """shape_of and the credential search test a few literals before any regular expression: every secret shape must
    contain one of them, or it would never be found."""
    from hipaa_scan.secrets import is_filler, may_hold_credential, may_hold_secret_shape, shape_of

    pattern, visible = next((p, v) for name, p, v in SECRET_SHAPES if name == label)
    # hypothesis cannot generate \b: drop it, and keep the texts the real pattern finds
    examples = st.from_regex(pattern.pattern.replace(r"\b", ""), fullmatch=True).filter(pattern.search)

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(examples, st.sampled_from(["", " ", "KEY=", "token: "]))
    def found(token, prefix):
        assert may_hold_secret_shape(prefix + token)
        assert may_hold_credential(prefix + token)
        # a shape filled with a few characters over and over (`AKIA0000000000000000`) is a placeholder
        assert shape_of(token) is not None or is_filler(pattern.search(token).group(0), visible)

    found()


@FAST
@given(st.lists(st.sampled_from(list("ab -=\t\n\r\x0b\xa0#$;|&\"'\\") + ["--x", "''", '""']), max_size=24).map("".join))
def test_shell_words_are_split_as_shlex_splits_them(value):
    """split_words splits plain and quoted words itself (shlex is slow): the same words as shlex.split (POSIX),
    and str.split where shlex cannot parse the value."""
    import shlex

    from hipaa_scan.sources.dockerfile import split_words

    try:
        expected = shlex.split(value, posix=True)
    except ValueError:
        expected = value.split()
    assert split_words(value) == expected


def test_shell_word_splitting_of_hostile_values_ends():
    """Long runs before an unclosed quote once made the quote pattern backtrack without end (a hang in a scan):
    these must split, as shlex does, and promptly (the alarm turns a hang into a failure)."""
    import shlex
    import signal

    from hipaa_scan.sources.dockerfile import split_words

    values = ["a" * 20000 + "'", "'" + "a" * 20000, "\"'" * 10000, "'a" * 10000, "a " * 10000 + '"',
              "x'y\" " * 4000, "ENV=" + "b" * 20000 + '"c']
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("split_words did not finish"))
    signal.alarm(20)
    try:
        for value in values:
            try:
                expected = shlex.split(value, posix=True)
            except ValueError:
                expected = value.split()
            assert split_words(value) == expected
    finally:
        signal.alarm(0)
