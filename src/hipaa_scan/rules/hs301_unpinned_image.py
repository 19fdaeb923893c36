"""HS301 unpinned-image: an image referenced by `latest`, with no tag, or by a tag that moves."""

from hipaa_scan.images import UNKNOWN, resolve_defaults, split, tag_kind
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta, shipped_lines

META = meta(
    id="HS301", name="unpinned-image", severity="medium", confidence="high",
    hipaa=["164.312(c)(1)", "164.308(a)(5)(ii)(B)"], cwe=["CWE-1357", "CWE-494"], cis=["CIS Docker 1.6.0 4.2"],
    sources=["dockerfile", "compose", "container"],
    summary=("A base image (after ARG resolution) or compose `image:` uses `latest` or no tag (medium), or a "
             "movable tag such as `alpine`, `7` or `16-alpine` (low)."),
    description=(
        "An image that floats with `latest` changes under you: what runs next week is not what was reviewed, tested "
        "or documented, and a compromised or broken upstream release reaches systems holding ePHI unnoticed. "
        "A movable tag floats too, within a release line, and is reported at low severity: a tag with no version "
        "number (`alpine`, `lts`, `stable`), a major version only (`redis:7`, `node:22-alpine`), a wildcard "
        "(`2.8.x`), or `major.minor` for an image whose releases carry a patch number (listed in the package's "
        "data/patch_versioned_images.json, e.g. `redis:7.2`). Three version numbers, a date or a commit hash "
        "count as pinned, and so does a digest (`@sha256:`). A variable's fallback (`${IMAGE:-app:latest}`) is "
        "judged as the reference that runs when the variable is unset. Not reported: `scratch`, a compose "
        "service that builds its image (`build:`), an unresolved ARG or variable in the tag, and in a "
        "Dockerfile a movable tag on a builder stage that does not ship (the final stage's lineage is judged)."),
    remediation="Pin a version tag, and for production a digest (`redis:7.2.4@sha256:…`); update deliberately.",
)


def judge(ref):
    """(kind, reference as judged): kind is latest, movable or pinned."""
    raw = str(ref).strip()
    if "$" in raw:
        raw = resolve_defaults(raw)
    name, tag, digest = split(raw)
    if digest or not name or name == "scratch" or name.endswith("/"):
        return "pinned", raw  # an ARG without a default leaves `prefix/`: supplied at build time
    if UNKNOWN in name and tag is None:
        return "pinned", raw  # the whole reference may come from a variable
    return tag_kind(name, tag), raw


def unpinned(image):
    return judge(image)[0] == "latest"


def check(res, ctx):
    refs = list(res.base_images)
    if res.image is not None and not res.builds:
        refs.append(res.image)
    shipped = shipped_lines(res)
    seen = set()
    for ref in refs:
        kind, judged = judge(ref.value)
        if kind == "pinned" or (ref.loc.line, str(ref.value)) in seen:
            continue
        seen.add((ref.loc.line, str(ref.value)))
        shown = judged.replace(UNKNOWN, "${…}")
        if kind == "latest":
            tag = split(judged)[1]
            how = "the latest tag" if tag else "no tag (latest)"
            yield Hit(ref.loc, f"{label_at(res, ref.loc)} uses image {shown} with {how}", key=f"image:{ref.value}",
                      evidence=shown)
        elif shipped is None or ref.loc.line in shipped:
            yield Hit(ref.loc, f"{label_at(res, ref.loc)} uses image {shown} with the movable tag "
                      f"{split(judged)[1]!r}, which follows new releases", key=f"image:{ref.value}",
                      evidence=shown, severity="low")
