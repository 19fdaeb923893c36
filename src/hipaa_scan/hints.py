"""The "did you mean" of a reference to a rule that does not exist: one definition for the command line, the
configuration, inline suppressions and baselines."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, List

# a letter typed for the digit it looks like (HS1O1, HSl02): the likeliest slip, so that id alone is offered
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def nearest(selector: str, ids: Iterable[str], names: Iterable[str]) -> List[str]:
    """The known rule ids and names nearest to `selector` (at most two of each), the look-alike id alone first."""
    import difflib

    ids = sorted(set(ids))
    upper = selector.upper()
    same = [i for i in ids if i.upper() == upper.translate(_LOOKALIKE)]
    if same:
        return same
    return difflib.get_close_matches(upper, ids, n=2, cutoff=0.6) + \
        difflib.get_close_matches(selector, sorted(set(names)), n=2, cutoff=0.6)
