"""Baselines: a JSON file of accepted findings, keyed by fingerprint (never by line), so a legacy repository can
adopt the scanner and see only new findings. Entries may carry a reason, an owner and an expiry date; an expired
entry stops hiding its finding, and an entry that matches nothing any more is reported so the file can shrink.
No message, snippet or value is stored: only rule, path, resource, element and fingerprint.

Format 2 fingerprints name the exact element of a finding (scan/pipeline.py): a format 1 file, whose fingerprints
were shared by distinct findings, is refused with one line saying how to recreate it, never matched silently.
Entries name known rules; an entry is stale only if its rule ran and it matched nothing.
"""

from __future__ import annotations

import json
import os

from hipaa_scan import __version__
from hipaa_scan.model import Finding, Suppression

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as _dt  # at run time, each function that uses it imports it: a scan without a baseline does not
    from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

FORMAT = 2


class BaselineError(Exception):
    pass


def create(findings: Iterable[Finding], reason: Optional[str], owner: Optional[str], expires: Optional[str]) -> Dict[str, Any]:
    import datetime as _dt

    entries = []
    seen = set()
    for f in findings:
        if f.suppression is not None or f.fingerprint in seen:
            continue
        seen.add(f.fingerprint)
        entry: Dict[str, Any] = {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.location.path,
                                 "resource": f.resource}
        if f.element is not None:  # the key path the fingerprint hashes (redacted), for the people who read the file
            entry["element"] = "/".join(f.element[0]) + f"#{f.element[1]}"
        if reason:
            entry["reason"] = reason
        if owner:
            entry["owner"] = owner
        if expires:
            entry["expires"] = expires
        entries.append(entry)
    return {"hipaa_scan_baseline": FORMAT, "tool_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "entries": entries}


def parse_date(text: str) -> _dt.date:
    import datetime as _dt

    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise BaselineError(f"expiry {text!r} is not a date (YYYY-MM-DD)") from None


MAX_BASELINE_BYTES = 16 * 1024 * 1024  # about 80,000 entries
MAX_BASELINE_DEPTH = 8  # a baseline nests three levels; anything deeper is not one


def load(path: str) -> Dict[str, Any]:
    """The baseline at `path`, read as carefully as a scanned file (size limit, nesting, JSON Schema): each problem
    is one BaselineError naming the file and, for an entry, its index and field, never its values."""
    from hipaa_scan.config import depth_over
    from hipaa_scan.discover import read_bounded

    if not os.path.exists(path):
        raise BaselineError(f"{path}: no such baseline file")
    raw = read_bounded(path, MAX_BASELINE_BYTES, BaselineError)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a readable baseline ({type(exc).__name__})") from None
    except RecursionError:
        raise BaselineError(f"{path}: not a readable baseline (nested too deeply)") from None
    if isinstance(data, dict) and isinstance(data.get("hipaa_scan_baseline"), int) and \
            not isinstance(data.get("hipaa_scan_baseline"), bool) and data["hipaa_scan_baseline"] < FORMAT:
        raise BaselineError(f"{path}: baseline format {data['hipaa_scan_baseline']} predates the fingerprints of "
                            f"this version (format {FORMAT}, one per element); re-run `hipaa-scan baseline create "
                            f"{os.path.basename(path)}` to record them")
    if not isinstance(data, dict) or data.get("hipaa_scan_baseline") != FORMAT or \
            not isinstance(data.get("entries"), list):
        raise BaselineError(f"{path}: not a hipaa-scan baseline (format {FORMAT})")
    if depth_over(data, MAX_BASELINE_DEPTH):
        raise BaselineError(f"{path}: not a hipaa-scan baseline (nested deeper than {MAX_BASELINE_DEPTH} levels)")
    _validate(data, raw, path)
    for entry in data["entries"]:
        if "expires" in entry:
            parse_date(entry["expires"])
    return data


def _validate(data: Dict[str, Any], raw: bytes, path: str) -> None:
    """Against schemas/baseline.schema.json (jsonschema, imported only here); a file that validated once is
    remembered by its SHA-256 in the user's cache directory, as configurations are."""
    from hipaa_scan.cache import cache_path, write_cache
    from hipaa_scan.model import sha256

    schema_path = os.path.join(os.path.dirname(__file__), "schemas", "baseline.schema.json")
    with open(schema_path, "rb") as handle:
        schema_bytes = handle.read()
    marker = cache_path("valid-baseline", sha256(schema_bytes + b"\0" + raw).hexdigest())
    if os.path.exists(marker):
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(schema_bytes))
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])), None)
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        if error.validator == "type":
            what = f"must be of type {error.validator_value}"
        elif error.validator == "required":
            what = "misses a required field (" + ", ".join(
                f for f in error.validator_value if isinstance(error.instance, dict) and f not in error.instance) + ")"
        else:
            what = f"does not match the baseline format ({error.validator})"
        raise BaselineError(f"{path}: {where or '(top level)'} {what}")
    write_cache(marker, "")


def mark(data: Dict[str, Any], findings: Iterable[Finding], path: str,
         today: Optional[_dt.date] = None) -> Tuple[Set[str], Set[str]]:
    """Suppress the findings the baseline accepts; return the fingerprints it matched, and those of them whose
    entry has expired (a scan split across processes marks each part, then adds up the notes)."""
    import datetime as _dt

    today = today or _dt.date.today()
    entries = {e["fingerprint"]: e for e in data["entries"]}
    matched: Set[str] = set()
    expired: Set[str] = set()
    for f in findings:
        entry = entries.get(f.fingerprint)
        if entry is None or f.suppression is not None:
            continue
        matched.add(f.fingerprint)
        if "expires" in entry and parse_date(str(entry["expires"])) < today:
            expired.add(f.fingerprint)
            continue
        why = entry.get("reason") or f"accepted in baseline {os.path.basename(path)} ({data.get('created', '?')})"
        if entry.get("owner"):
            why += f"; owner {entry['owner']}"
        f.suppression = Suppression("baseline", why)
    return matched, expired


def check_rules(data: Dict[str, Any], path: str, known: Callable[[str], Optional[str]]) -> None:
    """Every entry's rule is one the scanner knows: `known(rule_id)` is None, or the error's text (with a "did you
    mean")."""
    for index, entry in enumerate(data["entries"]):
        rule_id = entry.get("rule_id")
        problem = known(rule_id) if rule_id else None
        if problem:
            raise BaselineError(f"{path}: entries[{index}].rule_id: {problem}")


def notes(data: Dict[str, Any], path: str, matched: Set[str], expired: Set[str],
          ran: Optional[Set[str]] = None) -> List[str]:
    """What the baseline says of its entries. An entry is stale when it matched nothing and its rule ran (`ran`:
    the ids of the rules that ran; None: all): with `--select HS501`, the other rules' entries are not stale."""
    out = []
    if expired:
        out.append(f"{len(expired)} baseline entr{'y has' if len(expired) == 1 else 'ies have'} expired and no longer "
                   f"hide findings ({path})")
    stale = {e["fingerprint"] for e in data["entries"]
             if ran is None or not e.get("rule_id") or e["rule_id"] in ran} - matched
    if stale:
        out.append(f"{len(stale)} baseline entr{'y matches' if len(stale) == 1 else 'ies match'} no finding any "
                   f"more; recreate {path} to shrink it")
    return out
