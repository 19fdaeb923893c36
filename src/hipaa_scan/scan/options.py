"""What a scan runs with (ScanOptions): plain data, read by the plan, the pipeline and the executors."""

from __future__ import annotations

from hipaa_scan.catalog import DEFAULT_DATASTORES, Datastores

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Sequence

    from hipaa_scan.scan.stream import Encoder


class ScanOptions:
    """What to scan with: rule selection and options, suppressions, limits. Keyword arguments set any of the
    attributes below; the rest keep their defaults."""

    def __init__(self, **settings: Any) -> None:
        self.select: Sequence[str] = ()
        self.ignore: Sequence[str] = ()
        self.excludes: Sequence[str] = ()
        self.rules_dirs: Sequence[str] = ()
        self.rule_options: Dict[str, Dict[str, Any]] = {}  # rule id -> option -> value
        self.severity_overrides: Dict[str, str] = {}
        self.datastores: Datastores = DEFAULT_DATASTORES
        self.max_file_bytes = 5 * 1024 * 1024
        self.per_path_ignores: Sequence[Dict[str, Any]] = ()  # config suppressions: {path, rules, reason}
        self.strict = False  # report unused inline suppressions
        self.fail_on: Optional[str] = None  # the configuration file's fail_on, when it sets one (the command line wins)
        self.baseline: Optional[Dict[str, Any]] = None  # loaded baseline data
        self.baseline_path = ""
        self.config_path: Optional[str] = None  # the configuration file read, if any, and its SHA-256 (config.Config)
        self.config_sha256: Optional[str] = None
        self.compose_files: Sequence[str] = ()  # -f: these files, merged, are the one Compose project to scan
        self.env_files: Sequence[str] = ()  # --env-file: interpolation variables instead of the project's .env
        self.profiles: Sequence[str] = ()  # --profile: only services without profiles or with one of these
        # named files are judged inside the Compose project of their folder (scan.plan.named); False: as written
        # (the rule fixtures, which test one file at a time)
        self.named_in_project = True
        self.jobs = 0  # worker processes for large trees; 0: one per CPU from PARALLEL_MIN_FILES files, 1: none
        # When the report is known before the scan (JSON, SARIF): how it writes one finding. Worker processes then
        # store that text instead of the finding, and the parent only copies it (see stream.Spilled).
        self.finding_encoder: Optional[Encoder] = None
        for name, value in settings.items():
            if not hasattr(self, name):
                raise TypeError(f"ScanOptions has no setting {name!r}")
            setattr(self, name, value)
