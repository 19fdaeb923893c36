"""HS113 passwordless-sudo: a Dockerfile writes a NOPASSWD sudoers entry."""

from __future__ import annotations

from hipaa_scan.jobs import development_environment
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit, Location
from hipaa_scan.rules.base import label_at, meta, shorten, ships

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS113", name="passwordless-sudo", severity="medium", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-269"], cis=["CIS Docker 1.6.0 4.1"],
    sources=["dockerfile", "compose"],
    summary="A RUN instruction writes a `NOPASSWD` sudoers entry: the image's user becomes root without a password.",
    description=(
        "Switching to an unprivileged USER protects nothing when that user may run any command as root without a "
        "password: an intruder who reaches the application's account is root in the container at once, with every "
        "file, volume and capability it holds. Least privilege is part of the access control standard (CIS Docker "
        "Benchmark 4.1; NIST SP 800-190 4.1.2). One finding per RUN line that writes `NOPASSWD:` (echo, tee, a "
        "heredoc, sed) or COPY heredoc that holds it, in a stage that ships, and one per Compose `build.dockerfile_inline` that writes it; a builder "
        "stage that does not ship, and development-environment images (`.devcontainer/`), are not reported."),
    remediation=(
        "Do not install sudo in a runtime image. Do as root at build time what needs root, then switch to the "
        "unprivileged USER; if one command must run as root at run time, allow that command only, with a password "
        "or from an entrypoint that drops privileges (gosu, su-exec)."),
)

NOPASSWD = lazy(r"\bNOPASSWD\s*:")


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if development_environment(res.path, res.base_image or ""):
        return
    for text in res.written:
        if text.place == "build.dockerfile_inline" and NOPASSWD.search(text.value):
            yield Hit(text.loc, f"{res.label} builds an image that writes a passwordless sudo rule (NOPASSWD): its "
                                "user can become root without a password", key="dockerfile_inline:nopasswd",
                      evidence="NOPASSWD in build.dockerfile_inline")
    for stage in res.stages or ():  # `COPY <<EOF /etc/sudoers.d/app`: a heredoc written into the image
        for ins in stage.instructions:
            if ins.name in ("COPY", "ADD") and any(NOPASSWD.search(body) for body in ins.heredocs):
                loc = Location(res.path, ins.line, 1, ins.name)
                if ships(res, loc):
                    yield Hit(loc, f"{label_at(res, loc)} copies a passwordless sudo rule (NOPASSWD) into the image: "
                                   "its user can become root without a password", key=f"{ins.name}:nopasswd",
                              evidence=shorten(ins.value))
    for run in res.run:
        if NOPASSWD.search(run.value) and ships(res, run.loc):
            yield Hit(run.loc, f"{label_at(res, run.loc)} writes a passwordless sudo rule (NOPASSWD): its user can become root "
                               "without a password", key=f"run:{shorten(run.value, 60)}", evidence=shorten(run.value))
