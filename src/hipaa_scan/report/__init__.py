"""The report formats: one registry, `REPORTERS` ({format name: Reporter}), and the only place the format list comes
from (`--format` choices, `scan`, `live`, `live.render` and the evidence folder all read it).

A format is a module of this package with a `write(result, handle, **options)` function; the registry line names
that module (and, when a live audit's report differs from a path scan's, the module for live results). The module
is imported only when its format is used: importing this package costs nothing at start-up.

Options a reporter may be given, each ignored by the formats it does not concern (every `write` takes `**_`):
`color`, `quiet`, `fail_on`, `show_suppressed` (text); `category`, `artifact_paths`, `artifact_lines`, `srcroot`
(SARIF); `run` and `inventory` (a live run, for the live text report).

Adding a format: one module here with `write` (and `finding_encoder`, if worker processes of a large scan may
encode its findings), and one line in REPORTERS.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, FrozenSet, List, Optional, Protocol, TextIO

    from hipaa_scan.model import ScanResult
    from hipaa_scan.scan.stream import Encoder

    class Reporter(Protocol):
        """What the registry holds for a format."""

        name: str  # the --format value
        renders: FrozenSet[str]  # what it can render: "scan" (a path scan's result), "live" (a live run's)
        suffix: str  # the file name suffix of its report in an evidence folder
        evidence: bool  # whether the evidence folder keeps a report in this format

        @property
        def finding_encoder(self) -> Optional[Encoder]:
            """The format module's per-finding encoder (ScanOptions.finding_encoder), or None."""

        def write(self, result: ScanResult, handle: TextIO, run: Any = None, **options: Any) -> None:
            """Write the report of `result` to `handle`; `run`: the live run it came from, if any."""

        def render(self, result: ScanResult, run: Any = None, **options: Any) -> str:
            """The report as one string (what `write` would write)."""

SCAN = "scan"
LIVE = "live"


class Format:
    """A registry entry: a format whose module (`hipaa_scan.report.<module>`) is imported on first use."""

    __slots__ = ("name", "suffix", "renders", "evidence", "_scan", "_live")

    def __init__(self, name: str, suffix: str, scan: Optional[str], live: Optional[str] = None,
                 evidence: bool = False) -> None:
        self.name = name
        self.suffix = suffix
        self._scan = scan
        self._live = live
        self.renders: FrozenSet[str] = frozenset(k for k, m in ((SCAN, scan), (LIVE, live)) if m)
        self.evidence = evidence

    def module(self, kind: str = SCAN) -> Any:
        name = self._live if kind == LIVE else self._scan
        if name is None:
            raise ValueError(f"the {self.name} format does not render a {kind} result")
        return __import__(f"hipaa_scan.report.{name}", fromlist=["write"])

    @property
    def finding_encoder(self) -> Optional[Encoder]:
        encoder: Optional[Encoder] = getattr(self.module(SCAN), "finding_encoder", None)
        return encoder

    def write(self, result: ScanResult, handle: TextIO, run: Any = None, **options: Any) -> None:
        if run is None:
            self.module(SCAN).write(result, handle, **options)
        else:
            self.module(LIVE).write(result, handle, run=run, inventory=run.inventory, **options)

    def render(self, result: ScanResult, run: Any = None, **options: Any) -> str:
        import io

        buffer = io.StringIO()
        self.write(result, buffer, run, **options)
        return buffer.getvalue()


REPORTERS: Dict[str, Reporter] = {
    "text": Format("text", "txt", scan="text", live="livetext", evidence=True),
    "json": Format("json", "json", scan="jsonfmt", live="jsonfmt", evidence=True),
    "sarif": Format("sarif", "sarif", scan="sarif", live="sarif", evidence=True),
    "markdown": Format("markdown", "md", scan="markdown", live="markdown", evidence=True),
    "html": Format("html", "html", scan="htmlfmt", live="htmlfmt", evidence=True),
}

FORMATS: List[str] = list(REPORTERS)  # the --format choices, in the order the help lists them


def names(kind: Optional[str] = None) -> List[str]:
    """The format names, in registry order; with `kind` ("scan" or "live"), those that render such a result."""
    return [name for name, fmt in REPORTERS.items() if kind is None or kind in fmt.renders]


def get(name: str) -> Reporter:
    """The reporter of a format name (KeyError for an unknown one: the CLI only passes registered names)."""
    return REPORTERS[name]
