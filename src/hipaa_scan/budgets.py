"""The bounds on the work one scanned file may cause, and the error that says one was reached.

Each bound is enforced where the work is done (see docs/security.md for the list). Reaching one is a
BudgetExceeded whose message names the bound, never the file's content; the scan reports it as one error for
that file and goes on with the others.
"""

MAX_COMMAND_WORDS = 10_000  # words of one command, entrypoint or CMD


class BudgetExceeded(Exception):
    """A bound was reached. `path`: the file, when the code that raises knows it better than its caller."""

    path: "str | None" = None


def check_words(count: int, what: str) -> None:
    if count > MAX_COMMAND_WORDS:
        raise BudgetExceeded(f"command budget exceeded: {what} has more than {MAX_COMMAND_WORDS:,} words")
