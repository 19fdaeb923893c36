"""`hipaa-scan scan` command lines read without click, for a faster start (pre-commit runs one per commit).

Importing click is a large part of a small scan's start (docs/performance.md). `parse_scan` understands a subset of what the click
`scan` command accepts and returns the parameters click would pass to that command. For any other command line it
returns None, and the caller runs click, which then does what it always does, including its error messages. So
the subset leaves out help and version, the options of `scan` not listed in `_OPTIONS` below, option forms other
than `--name value`, `--name=value` and `-x value`, and every value click would reject.

tests/test_fastcli.py compares the results with click's own parsing, and checks that an option added to the click
command is refused here until this table handles it.
"""

import os
import stat

from hipaa_scan.cli import FAIL_ON, FORMATS


def _text(value):
    return value


def _choice(choices):
    return lambda value: value if value in choices else None


def _count(value):
    """click.IntRange(min=0), for plain ASCII digits only; click handles signs, spaces and underscores."""
    if not (value.isascii() and value.isdigit()):
        return None
    try:
        return int(value)
    except ValueError:  # more digits than int() accepts from a string
        return None


def _path(value, dir_okay=True):
    """click.Path() or, with dir_okay=False, click.Path(dir_okay=False): a path that does not exist is accepted as
    it is; one that exists must be readable (and not a directory). click reports the others."""
    try:
        mode = os.stat(value).st_mode
    except OSError:
        return value
    except ValueError:  # an embedded NUL character
        return None
    if (not dir_okay and stat.S_ISDIR(mode)) or not os.access(value, os.R_OK):
        return None
    return value


def _file(value):
    return _path(value, dir_okay=False)


# Option string -> (name of the command's parameter, conversion). The conversion returns the value click would
# pass, or None when click should handle the command line; a conversion of None marks a flag (True when given).
_OPTIONS = {
    "--format": ("fmt", _choice(FORMATS)),
    "--output": ("output", _file),
    "-o": ("output", _file),
    "--fail-on": ("fail_on", _choice(FAIL_ON)),
    "--select": ("select", _text),
    "--ignore": ("ignore", _text),
    "--exclude": ("exclude", _text),
    "--category": ("category", _text),
    "--config": ("config_path", _file),
    "--baseline": ("baseline_path", _file),
    "--no-color": ("no_color", None),
    "-q": ("quiet", None),
    "--quiet": ("quiet", None),
    "--show-suppressed": ("show_suppressed", None),
    "--strict": ("strict", None),
    "--jobs": ("jobs", _count),
    "-j": ("jobs", _count),
}

# Options that may be repeated; their values are collected in order into a tuple. Any other option given twice
# keeps its last value.
_MULTIPLE = ("select", "ignore", "exclude")

# Every parameter of the click `scan` command, with the value click passes when it is not given. The options left
# to click (-f/--file, --env-file, --profile, --rules-dir) always have this value here.
DEFAULTS: dict[str, object] = {
    "paths": (), "fmt": "text", "output": None, "fail_on": None, "select": (), "ignore": (), "rules_dir": (),
    "category": None, "no_color": False, "quiet": False, "config_path": None, "baseline_path": None,
    "show_suppressed": False, "strict": False, "exclude": (), "compose_files": (), "env_files": (), "profiles": (),
    "jobs": 0,
}


def parse_scan(argv):
    """The keyword arguments click would call the `scan` command with for `argv` (the arguments after the program
    name, starting with "scan"), or None when this is not a command line this module handles."""
    if not argv or argv[0] != "scan":
        return None
    params = dict(DEFAULTS)
    collected: dict[str, list[str]] = {name: [] for name in _MULTIPLE}
    paths = []
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":  # everything after it is a path, as with click
            paths.extend(args)
            break
        if not arg.startswith("-"):
            paths.append(arg)
            continue
        # "--name=value"; a short option only alone ("-o=x" and "-ox" mean other things to click)
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in _OPTIONS:
            return None
        dest, convert = _OPTIONS[name]
        if convert is None:
            if equals:  # click: "Option '--quiet' does not take a value."
                return None
            params[dest] = True
            continue
        if not equals:
            value = next(args, None)  # the next argument, whatever it looks like, as with click
            if value is None:  # click: "Option '--output' requires an argument."
                return None
        value = convert(value)
        if value is None:
            return None
        if dest in collected:
            collected[dest].append(value)
        else:
            params[dest] = value
    if any(_path(path) is None for path in paths):
        return None
    params["paths"] = tuple(paths)
    for name, values in collected.items():
        if values:
            params[name] = tuple(values)
    return params


def click_required(environ=os.environ, os_name=os.name):
    """True when click must run whatever the arguments: on Windows click expands wildcards in sys.argv, and a
    non-empty _<PROG>_COMPLETE variable asks click for shell completion instead of a scan."""
    return os_name == "nt" or any(key.startswith("_") and key.endswith("_COMPLETE") and value
                                  for key, value in environ.items())
