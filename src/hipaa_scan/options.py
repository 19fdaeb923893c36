"""Every setting of hipaa-scan, declared once: its parameter name, kind, default, help, command-line flags, the
configuration-file key it has (if any) and the commands that take it.

Generated from this table:
- the click commands' parameters (`click_params`, used by commands.py);
- the command-line reader of the pre-commit fast path (`parse_fast`), which reads the `scan` command lines whose
  every option has a kind it can convert exactly as click would, and leaves every other command line to click;
- the configuration schema (`config_schema`), whose `rules` section comes from the options the loaded rules
  declare (rules/base.py `RuleOption`), packs and `--rules-dir` rules included.

This module imports neither click nor jsonschema; `click_params` imports click when it is called.
"""

from __future__ import annotations

import os
import stat

from hipaa_scan.report import FORMATS  # the report registry is the one list of formats

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

FAIL_ON = ["critical", "high", "medium", "low", "info", "never"]
SEVERITIES = ["info", "low", "medium", "high", "critical"]

# Kinds of value. The fast path converts those listed in `_FAST`; an option of another kind sends the command
# line to click.
TEXT = "text"  # any string
CHOICE = "choice"  # one of `choices`
PATH = "path"  # click.Path(): need not exist; if it does, it must be readable
FILE = "file"  # click.Path(dir_okay=False)
EXISTING_FILE = "existing-file"  # click.Path(exists=True, dir_okay=False)
DIR = "dir"  # click.Path(file_okay=False)
COUNT = "count"  # click.IntRange(min=0)
SECONDS = "seconds"  # click.FloatRange(min=0.1)
FLAG = "flag"  # True when given


class Setting:
    """One setting. `flags` are its option strings (none for an argument or a configuration-only key); `config`
    its configuration-file key and `schema` the JSON schema of its value there."""

    __slots__ = ("name", "kind", "flags", "default", "help", "metavar", "multiple", "choices", "show_default",
                 "argument", "nargs", "config", "schema")

    def __init__(self, name: str, kind: str = TEXT, flags: Tuple[str, ...] = (), default: Any = None,
                 help: Optional[str] = None, metavar: Optional[str] = None, multiple: bool = False,
                 choices: Sequence[str] = (), show_default: bool = False, argument: bool = False, nargs: int = 1,
                 config: Optional[str] = None, schema: Optional[Dict[str, Any]] = None) -> None:
        self.name = name
        self.kind = kind
        self.flags = flags
        self.default = default
        self.help = help
        self.metavar = metavar
        self.multiple = multiple
        self.choices = list(choices)
        self.show_default = show_default
        self.argument = argument
        self.nargs = nargs
        self.config = config
        self.schema = schema

    def but(self, **changes: Any) -> "Setting":
        """This setting as one command shows it (a shorter help, fewer choices): the same value and flags."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Setting(**fields)

    def value_when_absent(self) -> Any:
        """What click passes to the command when the option is not given."""
        if self.multiple or self.nargs == -1:
            return ()
        if self.kind == FLAG:
            return False
        return self.default


_SELECTORS = {"type": "array", "items": {"type": "string", "minLength": 1}}

SETTINGS: Dict[str, Setting] = {s.name: s for s in [
    # scan and live: the report
    Setting("fmt", CHOICE, ("--format",), "text", "Report format.", choices=FORMATS, show_default=True),
    Setting("output", FILE, ("--output", "-o"), help="Write the report to FILE instead of stdout (`-`: stdout)."),
    Setting("fail_on", CHOICE, ("--fail-on",), None, choices=FAIL_ON, config="fail-on",
            schema={"enum": SEVERITIES + ["never"]},
            help="Exit 1 when an unsuppressed finding is at or above this severity (default: the configuration's "
                 "fail-on, else high)."),
    Setting("select", TEXT, ("--select",), multiple=True, metavar="IDS", config="select",
            schema={"$ref": "#/$defs/selectors", "description": "Run only these rules: ids, id prefixes or names."},
            help="Run only these rules: ids, id prefixes (HS4) or names; comma-separated, repeatable."),
    Setting("ignore", TEXT, ("--ignore",), multiple=True, metavar="IDS", config="ignore",
            schema={"$ref": "#/$defs/selectors", "description": "Never run these rules."},
            help="Skip these rules (same forms as --select)."),
    Setting("rules_dir", DIR, ("--rules-dir",), multiple=True,
            help="Also load declarative YAML rules from DIR (repeatable)."),
    Setting("category", TEXT, ("--category",), help="SARIF runAutomationDetails.id, to keep several uploads apart."),
    Setting("root", PATH, ("--root",), metavar="DIR",
            help="Repository root SARIF URIs are relative to (default: the nearest folder upward from the working "
                 "directory holding .git, else the working directory)."),
    Setting("no_color", FLAG, ("--no-color",),
            help="No colour (also when NO_COLOR is set or output is not a terminal; FORCE_COLOR colours a report on "
                 "stdout that is not a terminal)."),
    Setting("quiet", FLAG, ("-q", "--quiet"),
            help="Print only findings at or above --fail-on and errors; nothing when clean."),
    # policy: configuration, suppressions and baselines
    Setting("config_path", FILE, ("--config",),
            help="Configuration file (default: .hipaa-scan.yaml or [tool.hipaa-scan] in pyproject.toml, found from "
                 "the working directory upward)."),
    Setting("no_config", FLAG, ("--no-config",),
            help="Read no configuration file (none is looked for; defaults only, plus the command line)."),
    Setting("baseline_path", FILE, ("--baseline",),
            help="Hide the findings recorded in this baseline (see `hipaa-scan baseline create`; default: the "
                 "configuration's baseline)."),
    Setting("show_suppressed", FLAG, ("--show-suppressed",), help="List suppressed findings (with their reasons) too."),
    Setting("strict", FLAG, ("--strict",), help="Report inline suppressions that suppress nothing."),
    # scan: what to read
    Setting("paths", PATH, argument=True, nargs=-1),
    Setting("stdin_filename", TEXT, ("--stdin-filename",), metavar="NAME",
            help="With the path `-`: the name of the file read from stdin, which decides its kind and is the path "
                 "reported."),
    Setting("exclude", TEXT, ("--exclude",), multiple=True, metavar="GLOB", config="exclude",
            schema={"type": "array", "items": {"type": "string"}, "description": "Path globs not scanned."},
            help="Skip paths matching GLOB (repeatable)."),
    Setting("compose_files", EXISTING_FILE, ("-f", "--file"), multiple=True,
            help="Compose file of the project to scan, merged in order as `docker compose -f` does (repeatable). "
                 "Its Dockerfiles and env files are scanned too; PATHS then default to none."),
    Setting("env_files", EXISTING_FILE, ("--env-file",), multiple=True,
            help="Interpolate Compose files with this env file instead of the project's .env (repeatable; a later "
                 "file wins)."),
    Setting("profiles", TEXT, ("--profile",), multiple=True, metavar="NAME",
            help="Only services without profiles or with this profile (repeatable; default: every service)."),
    Setting("jobs", COUNT, ("--jobs", "-j"), 0, metavar="N",
            help="Worker processes for large trees (0: one per CPU from 300 files on; 1: a single process). The "
                 "result is the same either way."),
    # live
    Setting("hosts", TEXT, ("--host",), multiple=True, metavar="URL",
            help="Engine to audit: unix:///path, tcp://host:port or ssh://user@host (repeatable; engines are audited "
                 "concurrently into one report). Default: DOCKER_HOST and the TLS variables."),
    Setting("context", TEXT, ("--context",), metavar="NAME", help="Audit the engine of this Docker CLI context."),
    Setting("all_containers", FLAG, ("--all",), help="Also audit created and stopped containers."),
    Setting("containers", TEXT, ("--container",), multiple=True, metavar="NAME|ID",
            help="Only this container (repeatable)."),
    Setting("labels", TEXT, ("--label",), multiple=True, metavar="KEY[=VALUE]",
            help="Only containers with this label (repeatable; all must match)."),
    Setting("from_inspect", FILE, ("--from-inspect",), multiple=True,
            help="Analyse saved `docker inspect` JSON (one container or a list) instead of an engine (repeatable)."),
    Setting("from_info", FILE, ("--from-info",),
            help="Saved `docker info --format '{{json .}}'` output, for the engine-level checks offline."),
    Setting("evidence_dir", DIR, ("--evidence",),
            help="Write an evidence folder (inspect JSON with environment values masked, engine info, reports, "
                 "SHA-256 manifest). A non-empty DIR gets a new scan-<UTC time> subfolder; nothing is overwritten."),
    Setting("sign_key", FILE, ("--sign-key",), metavar="KEY",
            help="Sign the evidence manifest with this SSH key (ssh-keygen -Y sign, namespace hipaa-scan-evidence): "
                 "MANIFEST.sha256.sig. A public key file uses the ssh-agent's private key. Needs --evidence."),
    Setting("timeout", SECONDS, ("--timeout",), 30.0, show_default=True,
            help="Seconds an engine has to answer each request completely: connecting, the headers and the whole "
                 "answer (a slow or endless answer is cut there)."),
    Setting("audit_timeout", SECONDS, ("--audit-timeout",), 600.0, show_default=True,
            help="Seconds for the whole audit, every request to every engine; containers not inspected by then are "
                 "reported as not audited."),
    # baseline create
    Setting("file", FILE, argument=True),
    Setting("reason", TEXT, ("--reason",),
            help="Why these findings are accepted (shown as the suppression's justification)."),
    Setting("owner", TEXT, ("--owner",), help="Who answers for them."),
    Setting("expires", TEXT, ("--expires",), metavar="YYYY-MM-DD",
            help="After this date the entries stop hiding findings."),
    # explain
    Setting("rule", TEXT, argument=True),
    # the configuration file only
    Setting("severity", config="severity", schema={
        "type": "object", "description": "Severity overrides: rule id or name -> severity.",
        "additionalProperties": {"$ref": "#/$defs/severity"}}),
    Setting("per_path_ignores", config="per-path-ignores", schema={
        "type": "array", "description": "Suppress rules under paths matching a glob, with the reason an auditor will read.",
        "items": {"type": "object", "additionalProperties": False, "required": ["path", "rules", "reason"],
                  "properties": {"path": {"type": "string", "minLength": 1},
                                 "rules": {"$ref": "#/$defs/selectors", "minItems": 1},
                                 "reason": {"type": "string", "minLength": 3}}}}),
    Setting("rules", config="rules", schema={"type": "object", "description": "Rule options, by rule id."}),
    Setting("datastores", config="datastores", schema={
        "type": "array", "description": ("Extra datastores, PHI servers and log collectors: their image names and "
                                         "ports (HS402, HS403, HS501); the package's table is data/datastores.json."),
        "items": {"type": "object", "additionalProperties": False, "required": ["name"],
                  "properties": {"name": {"type": "string", "minLength": 1},
                                 "images": {"type": "array", "items": {"type": "string"}},
                                 "ports": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}},
                                 "distinctive": {"type": "boolean",
                                                 "description": "The ports mark this datastore whatever the image."},
                                 "role": {"enum": ["datastore", "PHI server", "log collector"],
                                          "description": "What the product holds (default: datastore)."},
                                 "replace": {"type": "boolean",
                                             "description": ("Replace the product's images and ports instead of "
                                                             "adding to them; with neither, remove it.")}}}}),
    Setting("baseline", config="baseline", schema={
        "type": "string", "minLength": 1,
        "description": "Baseline file (relative to this configuration file's folder), as --baseline; the command "
                       "line's wins."}),
    Setting("max_file_bytes", config="max-file-bytes", schema={
        "type": "integer", "minimum": 1024, "maximum": 33554432,
        "description": "Files larger than this are refused before they are read (default 5 MiB, at most 32 MiB)."}),
]}

_REPORT = ("fmt", "output", "fail_on", "select", "ignore", "rules_dir", "category", "no_color", "quiet")
_POLICY = ("config_path", "no_config", "baseline_path", "show_suppressed", "strict")

# The parameters of each command, in the order its help lists them; a (name, changes) pair is the setting as that
# command shows it.
COMMANDS: Dict[str, Tuple[Any, ...]] = {
    "scan": ("paths",) + _REPORT + _POLICY + ("exclude", "compose_files", "env_files", "profiles", "jobs",
                                              "stdin_filename", "root"),
    "live": ("hosts", "context", "all_containers", "containers", "labels", "from_inspect", "from_info",
             "evidence_dir", "sign_key", "timeout", "audit_timeout") + _REPORT + _POLICY,
    "baseline create": (
        "file", ("paths", {"kind": PATH}), "reason", "owner", "expires",
        ("config_path", {"help": "Configuration file."}), ("select", {"help": "Only these rules."}),
        ("ignore", {"help": "Not these rules."}), ("exclude", {"help": "Skip paths matching GLOB."}),
        ("rules_dir", {"help": "Also load rules from DIR."})),
    "rules": (("fmt", {"choices": ["text", "json"], "help": None}), ("rules_dir", {"help": "Include rules from DIR."})),
    "explain": ("rule",),
}


def for_command(command: str) -> List[Setting]:
    """The settings `command` takes, as it shows them, in order."""
    out = []
    for entry in COMMANDS[command]:
        if isinstance(entry, tuple):
            out.append(SETTINGS[entry[0]].but(**entry[1]))
        else:
            out.append(SETTINGS[entry])
    return out


# ---- click ----

def click_params(command: str) -> List[Any]:
    """The click parameters of `command`, generated from the table (imports click)."""
    import click

    def click_type(s: Setting) -> Any:
        if s.kind == CHOICE:
            return click.Choice(s.choices)
        if s.kind == PATH:
            return click.Path()
        if s.kind == FILE:
            return click.Path(dir_okay=False)
        if s.kind == EXISTING_FILE:
            return click.Path(exists=True, dir_okay=False)
        if s.kind == DIR:
            return click.Path(file_okay=False)
        if s.kind == COUNT:
            return click.IntRange(min=0)
        if s.kind == SECONDS:
            return click.FloatRange(min=0.1)
        return None

    params: List[Any] = []
    for s in for_command(command):
        if s.argument:
            params.append(click.Argument([s.name], nargs=s.nargs, type=click_type(s)))
        elif s.kind == FLAG:
            params.append(click.Option([*s.flags, s.name], is_flag=True, help=s.help))
        else:
            params.append(click.Option([*s.flags, s.name], type=click_type(s), default=s.default, help=s.help,
                                       metavar=s.metavar, multiple=s.multiple, show_default=s.show_default))
    return params


# ---- the fast path ----

def _path(value: str, dir_okay: bool = True) -> Optional[str]:
    """click.Path() or, with dir_okay=False, click.Path(dir_okay=False): a path that does not exist is accepted as
    it is; one that exists must be readable (and not a directory). None: click reports it."""
    try:
        mode = os.stat(value).st_mode
    except OSError:
        return value
    except ValueError:  # an embedded NUL character
        return None
    if (not dir_okay and stat.S_ISDIR(mode)) or not os.access(value, os.R_OK):
        return None
    return value


def _count(value: str) -> Optional[int]:
    """click.IntRange(min=0), for plain ASCII digits only; click handles signs, spaces and underscores."""
    if not (value.isascii() and value.isdigit()):
        return None
    try:
        return int(value)
    except ValueError:  # more digits than int() accepts from a string
        return None


def _converter(s: Setting) -> Optional[Callable[[str], Any]]:
    """How the fast path reads a value of this setting exactly as click would (None when the value is one click
    should judge), or None when only click reads this kind."""
    if s.kind == TEXT:
        return lambda value: value
    if s.kind == CHOICE:
        return lambda value: value if value in s.choices else None
    if s.kind == PATH:
        return _path
    if s.kind == FILE:
        return lambda value: _path(value, dir_okay=False)
    if s.kind == COUNT:
        return _count
    return None


_FAST_COMMAND = "scan"


def parse_fast(argv: Sequence[str]) -> Optional[Dict[str, Any]]:
    """The keyword arguments click would call the `scan` command with for `argv` (the arguments after the program
    name, starting with "scan"), or None when click should read this command line: another command, help or
    version, an option of a kind only click converts, an option form other than `--name value`, `--name=value`
    and `-x value`, and every value click would reject."""
    if not argv or argv[0] != _FAST_COMMAND:
        return None
    settings = for_command(_FAST_COMMAND)
    by_flag = {flag: s for s in settings for flag in s.flags}
    params = {s.name: s.value_when_absent() for s in settings}
    collected: Dict[str, List[Any]] = {s.name: [] for s in settings if s.multiple}
    paths: List[str] = []
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":  # everything after it is a path, as with click
            paths.extend(args)
            break
        if not arg.startswith("-") or arg == "-":  # `-` is stdin, a path as click reads it
            paths.append(arg)
            continue
        # "--name=value"; a short option only alone ("-o=x" and "-ox" mean other things to click)
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        setting = by_flag.get(name)
        if setting is None:
            return None
        if setting.kind == FLAG:
            if equals:  # click: "Option '--quiet' does not take a value."
                return None
            params[setting.name] = True
            continue
        convert = _converter(setting)
        if convert is None:
            return None
        if not equals:
            following = next(args, None)  # the next argument, whatever it looks like, as with click
            if following is None:  # click: "Option '--output' requires an argument."
                return None
            value = following
        converted = convert(value)
        if converted is None:
            return None
        if setting.multiple:
            collected[setting.name].append(converted)
        else:
            params[setting.name] = converted
    if any(_path(path) is None for path in paths):
        return None
    params["paths"] = tuple(paths)
    for name, values in collected.items():
        if values:
            params[name] = tuple(values)
    return params


def click_required(environ: Any = os.environ, os_name: str = os.name) -> bool:
    """True when click must run whatever the arguments: on Windows click expands wildcards in sys.argv, and a
    non-empty _<PROG>_COMPLETE variable asks click for shell completion instead of a scan."""
    return os_name == "nt" or any(key.startswith("_") and key.endswith("_COMPLETE") and value
                                  for key, value in environ.items())


# ---- the configuration schema ----

def config_schema(rule_options: Iterable[Tuple[str, Sequence[Any]]] = ()) -> Dict[str, Any]:
    """The JSON schema of the configuration file: its keys from the table, and its `rules` section from the options
    the loaded rules declare (`rule_options`: (rule id, its RuleOption declarations) pairs)."""
    properties: Dict[str, Any] = {}
    for s in SETTINGS.values():
        if s.config is not None and s.schema is not None:
            properties[s.config] = dict(s.schema)
    rules: Dict[str, Any] = {}
    for rule_id, declared in rule_options:
        if declared:
            rules[rule_id] = {"type": "object", "additionalProperties": False,
                              "properties": {o.name: o.schema() for o in declared}}
    properties["rules"] = {**properties["rules"], "additionalProperties": False, "properties": rules}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/hipaa-scan/hipaa-scan/schemas/config.schema.json",
        "title": "hipaa-scan configuration (.hipaa-scan.yaml or [tool.hipaa-scan] in pyproject.toml)",
        "type": "object",
        "additionalProperties": False,
        "$defs": {"selectors": _SELECTORS, "severity": {"enum": SEVERITIES}},
        "properties": properties,
    }
