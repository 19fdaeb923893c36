"""The entry point `run()`. A `scan` command line that the option table's fast reader understands
(options.parse_fast) runs without importing click: pre-commit starts one per commit, and importing click is a large
part of a small scan's start. Any other command line goes to the click commands (commands.py), generated from the
same table.
"""

from __future__ import annotations

import os
import sys


def run() -> None:
    """Entry point wrapper: an unexpected error is one line and exit 2, never a traceback.

    The cyclic garbage collector stays on: engine.scan_paths turns it off for the scan alone."""
    from hipaa_scan import actions

    try:
        from hipaa_scan import options

        params = None if options.click_required() else options.parse_fast(sys.argv[1:])
        if params is None:
            from hipaa_scan.commands import main

            main(standalone_mode=True)
        else:
            actions.do_scan_standalone(params)
    except KeyboardInterrupt:
        actions.echo_err("hipaa-scan: interrupted")
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - last line of defence
        if os.environ.get("HIPAA_SCAN_DEBUG"):
            raise
        actions.echo_err(f"hipaa-scan: internal error: {type(exc).__name__} (set HIPAA_SCAN_DEBUG=1 for details)")
        sys.exit(2)
