"""The rule catalog: one explicit table of built-in Python rules, the declarative rules shipped in the wheel,
user rule folders (`--rules-dir`) and third-party packs (the `hipaa_scan.rules` entry-point group).

Nothing is registered by import side effect: a built-in module is imported only when its rule is selected.
Python is never imported from a scanned tree; a rules folder holds YAML only.
"""

from __future__ import annotations

import importlib
import os

from hipaa_scan.rules.base import Rule, RuleMeta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

# id -> module under hipaa_scan.rules
BUILTIN: Dict[str, str] = {
    "HS101": "hs101_root_user",
    "HS102": "hs102_privileged",
    "HS103": "hs103_docker_socket",
    "HS104": "hs104_capabilities",
    "HS105": "hs105_security_profile",
    "HS106": "hs106_host_namespace",
    "HS107": "hs107_sensitive_mount",
    "HS108": "hs108_no_new_privileges",
    "HS109": "hs109_userns_remap_disabled",
    "HS110": "hs110_writable_root_filesystem",
    "HS111": "hs111_capabilities_not_dropped",
    "HS112": "hs112_ssh_server",
    "HS113": "hs113_passwordless_sudo",
    "HS114": "hs114_datastore_network",
    "HS201": "hs201_audit_retention",
    "HS203": "hs203_engine_default_logging_disabled",
    "HS204": "hs204_log_rotation",
    "HS301": "hs301_unpinned_image",
    "HS302": "hs302_remote_download",
    "HS303": "hs303_healthcheck",
    "HS304": "hs304_resource_limits",
    "HS306": "hs306_insecure_registry",
    "HS307": "hs307_end_of_life_image",
    "HS401": "hs401_plaintext_secret",
    "HS402": "hs402_default_credentials",
    "HS403": "hs403_datastore_auth",
    "HS404": "hs404_search_security",
    "HS405": "hs405_secret_in_image",
    "HS406": "hs406_secret_in_environment",
    "HS501": "hs501_datastore_port",
    "HS503": "hs503_third_party_tracing",
    "HS504": "hs504_engine_api_unencrypted",
    "HS505": "hs505_datastore_connection_unencrypted",
    "HS506": "hs506_phi_egress_to_llm_vendor",
}


class RuleLoadError(Exception):
    pass


def builtin_rules_dir() -> str:
    """The declarative rules: inside the installed wheel, or the repository's top-level rules/ in a checkout."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    packaged = os.path.join(here, "_rules")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.dirname(here)), "rules")


def _yaml_files(directory: str) -> List[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise RuleLoadError(f"cannot read rules folder {directory}: {exc.strerror or exc}") from None
    return [os.path.join(directory, n) for n in names if n.endswith((".yml", ".yaml"))]


def _id_of_file(path: str) -> str:
    return os.path.basename(path).split(".")[0].split("-")[0].upper()


def _matches(rule_id: str, name: str, selectors: Sequence[str]) -> bool:
    """A selector is a rule id, an id prefix (`HS1`, `HS40`) or a rule name."""
    return any(s and (rule_id.startswith(s.upper()) or name == s) for s in selectors)


def wanted(rule_id: str, name: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    if select and not _matches(rule_id, name, select):
        return False
    return not (ignore and _matches(rule_id, name, ignore))


def load_rules(select: Sequence[str] = (), ignore: Sequence[str] = (), rules_dirs: Iterable[str] = (),
               packs: bool = True) -> List[Rule]:
    """The selected rules, sorted by id. A problem with any of them stops loading (RuleLoadError)."""
    from hipaa_scan.rules import declarative

    rules: List[Rule] = []
    for rule_id, module_name in BUILTIN.items():
        if not _maybe(rule_id, select):
            continue
        module = importlib.import_module(f"hipaa_scan.rules.{module_name}")
        if wanted(rule_id, module.META.name, select, ignore):
            rules.append(Rule(module.META, module.check))
    for path in _yaml_files(builtin_rules_dir()):
        rule = declarative.load_rule_file(path, "declarative", check_schema=False)
        if wanted(rule.meta.id, rule.meta.name, select, ignore):
            rules.append(rule)
    for directory in rules_dirs:
        for path in _yaml_files(directory):
            try:
                rule = declarative.load_rule_file(path, "rules-dir", check_schema=True)
            except declarative.RuleFileError as exc:
                raise RuleLoadError(str(exc)) from None
            if wanted(rule.meta.id, rule.meta.name, select, ignore):
                rules.append(rule)
    if packs and _packs_may_exist():
        rules.extend(_pack_rules(select, ignore, {r.meta.id for r in rules}))
    seen: Dict[str, RuleMeta] = {}
    for rule in rules:
        if rule.meta.id in seen:
            raise RuleLoadError(f"duplicate rule id {rule.meta.id} ({seen[rule.meta.id].origin} and {rule.meta.origin})")
        seen[rule.meta.id] = rule.meta
    rules.sort(key=lambda r: r.meta.id)
    if select and not rules:
        raise RuleLoadError(f"the selection {', '.join(select)} (less {', '.join(ignore) or 'nothing'} ignored) "
                            "matches no rule, so nothing would be checked")
    return rules


def _maybe(rule_id: str, select: Sequence[str]) -> bool:
    """Whether a built-in rule could be selected: by id or prefix, or by a name (which needs its module)."""
    if not select:
        return True
    return any(not s.upper().startswith("HS") or rule_id.startswith(s.upper()) for s in select)


def _packs_may_exist() -> bool:
    """Whether any installed distribution declares a `hipaa_scan.rules` entry point. Reading the entry_points.txt
    files answers that without importing and querying importlib.metadata, a large part of a one-file scan."""
    import sys

    for directory in sys.path:
        try:
            entries = os.scandir(directory or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.endswith((".dist-info", ".egg-info")):
                    try:
                        with open(os.path.join(entry.path, "entry_points.txt"), "rb") as handle:
                            if b"hipaa_scan.rules" in handle.read():
                                return True
                    except OSError:
                        continue
    return False


def _pack_rules(select: Sequence[str], ignore: Sequence[str], taken: Set[str]) -> List[Rule]:
    """Rules from installed packs. The entry-point name is the id prefix the pack owns; it must load to a
    callable returning Rule objects (or to a list of them)."""
    from importlib import metadata

    from hipaa_scan.sources.kinds import unknown_kinds

    try:
        eps = metadata.entry_points(group="hipaa_scan.rules")
    except TypeError:  # Python < 3.10
        eps = metadata.entry_points().get("hipaa_scan.rules", [])  # type: ignore[arg-type]  # (a dict of lists there)
    out: List[Rule] = []
    prefixes: Dict[str, str] = {}
    for ep in sorted(eps, key=lambda e: e.name):
        prefix = ep.name.upper()
        if prefix == "HS" or prefix in prefixes:
            raise RuleLoadError(f"rule pack {ep.value}: prefix {prefix} is already owned")
        prefixes[prefix] = ep.value
        try:
            loaded = ep.load()
            pack = loaded() if callable(loaded) else loaded
        except Exception as exc:  # a broken pack is reported, not fatal to the others
            raise RuleLoadError(f"rule pack {ep.name} failed to load: {type(exc).__name__}: {exc}") from None
        for rule in pack:
            if not isinstance(rule, Rule) or not rule.meta.id.startswith(prefix):
                raise RuleLoadError(f"rule pack {ep.name}: every rule must be a Rule whose id starts with {prefix}")
            if rule.meta.id in taken:
                raise RuleLoadError(f"rule pack {ep.name}: duplicate rule id {rule.meta.id}")
            unknown = unknown_kinds(rule.meta.sources)
            if unknown:
                raise RuleLoadError(f"rule pack {ep.name}: rule {rule.meta.id}: unknown source kind "
                                    f"{', '.join(map(repr, unknown))}")
            if wanted(rule.meta.id, rule.meta.name, select, ignore):
                out.append(Rule(rule.meta.replace(origin=f"pack:{ep.name}"), rule.check))
    return out


def all_rule_ids() -> List[str]:
    return sorted(set(BUILTIN) | {_id_of_file(p) for p in _yaml_files(builtin_rules_dir())})


# -- strict rule references ---------------------------------------------------------------------------------------

_NAMES: Dict[Tuple[str, ...], Dict[str, str]] = {}  # rule folders -> every known rule's id and name (both -> id)


def _known(rules_dirs: Iterable[str] = ()) -> Dict[str, str]:
    """Every rule's id and name the scanner knows (built-in, shipped, --rules-dir, packs), each mapped to its id.
    Loads every built-in module: asked only for a reference that is not plainly an id or prefix of a known id."""
    key = tuple(rules_dirs)
    if key not in _NAMES:
        known: Dict[str, str] = {}
        for rule in load_rules(rules_dirs=key):
            known[rule.meta.id] = rule.meta.id
            known[rule.meta.name] = rule.meta.id
        _NAMES[key] = known
    return _NAMES[key]


_IDS: Dict[Tuple[str, ...], List[str]] = {}


def _cheap_ids(rules_dirs: Tuple[str, ...]) -> List[str]:
    """The ids known without importing a rule module (file names); packs and names need `_known`."""
    if rules_dirs not in _IDS:
        _IDS[rules_dirs] = _file_ids(rules_dirs)
    return _IDS[rules_dirs]


def _file_ids(rules_dirs: Tuple[str, ...]) -> List[str]:
    ids = list(BUILTIN) + [_id_of_file(p) for p in _yaml_files(builtin_rules_dir())]
    for directory in rules_dirs:
        try:
            ids.extend(_id_of_file(p) for p in _yaml_files(directory))
        except RuleLoadError:
            continue
    return ids


def unknown_reference(selector: str, rules_dirs: Iterable[str] = (), prefix: bool = True) -> Optional[str]:
    """None when `selector` names a known rule: its id or name, or (`prefix`) the start of an id (`HS5`). Otherwise
    the one line to show, with the nearest ids and names (difflib) as "did you mean"."""
    dirs = tuple(rules_dirs)
    upper = selector.upper()
    ids = _cheap_ids(dirs)
    if upper in ids or (prefix and any(i.startswith(upper) for i in ids)):
        return None
    known = _known(dirs)
    if selector in known or upper in known or (prefix and any(i.startswith(upper) for i in known.values())):
        return None
    from hipaa_scan.hints import nearest

    close = nearest(selector, known.values(), (k for k in known if k not in known.values()))
    hint = f"; did you mean {' or '.join(close)}?" if close else "; `hipaa-scan rules` lists them"
    return f"no rule {selector!r}{hint}"


def check_references(selectors: Iterable[str], where: str, rules_dirs: Iterable[str] = ()) -> None:
    """Raise RuleLoadError for the first selector that names no rule, `where` naming the option or key."""
    for selector in selectors:
        problem = unknown_reference(selector, rules_dirs)
        if problem:
            raise RuleLoadError(f"{where}: {problem}")
