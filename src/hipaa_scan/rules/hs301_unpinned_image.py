"""HS301 unpinned-image: an image referenced by `latest` or with no tag."""

from hipaa_scan.catalog import image_tag
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta

META = meta(
    id="HS301", name="unpinned-image", severity="medium", confidence="high",
    hipaa=["164.312(c)(1)", "164.308(a)(5)(ii)(B)"], cwe=["CWE-1357", "CWE-494"], cis=["CIS Docker 4.2"],
    sources=["dockerfile", "compose", "container"],
    summary="A base image (after ARG resolution) or compose `image:` uses `latest` or no tag.",
    description=(
        "An image that floats with `latest` changes under you: what runs next week is not what was reviewed, tested "
        "or documented, and a compromised or broken upstream release reaches systems holding ePHI unnoticed."),
    remediation="Pin a version tag, and for production a digest (`redis:7.2.4@sha256:…`); update deliberately.",
)


def unpinned(image):
    ref = str(image).strip()
    if not ref or "$" in ref or ref.lower() == "scratch":
        return False
    tag, digest = image_tag(ref)
    if digest:
        return False
    return tag is None or tag == "latest"


def check(res, ctx):
    refs = list(res.base_images)
    if res.image is not None and not res.builds:
        refs.append(res.image)
    for ref in refs:
        if unpinned(ref.value):
            tag, _ = image_tag(str(ref.value))
            how = "the latest tag" if tag else "no tag (latest)"
            yield Hit(ref.loc, f"{label_at(res, ref.loc)} uses image {ref.value} with {how}", key=f"image:{ref.value}",
                      evidence=str(ref.value))
