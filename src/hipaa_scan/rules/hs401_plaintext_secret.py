"""HS401 plaintext-secret: a secret value written in a file or the container's configuration."""

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta
from hipaa_scan.secrets import (URL_LABEL, default_credential, is_placeholder, mask, secret_arguments, secret_name,
                                shape_of)

META = meta(
    id="HS401", name="plaintext-secret", severity="high", confidence="medium",
    hipaa=["164.312(a)(1)", "164.312(a)(2)(iv)", "164.312(d)"], cwe=["CWE-798", "CWE-312"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("A secret written in plain text: by variable name (password, secret, token, API key, private key...) "
             "or by value shape (cloud keys, API tokens, PEM keys, JWTs, URLs with a password)."),
    description=(
        "A credential in a Dockerfile, compose file, env file or container configuration is readable by everyone "
        "with the repository, the image or `docker inspect`, and lives forever in history. It is the key to the "
        "systems that hold ePHI. Placeholders (`${VAR}`, `<...>`, `your_...`, `changeme`, empty, `/run/secrets/...`, "
        "`*_FILE` indirection) are not findings; values that are a vendor default are reported by HS402 instead."),
    remediation=(
        "Remove the value from the file and rotate it. Supply it at run time from a secret store: compose "
        "`secrets:` (read from /run/secrets), `*_FILE` variables, or the orchestrator's secret mechanism; for builds, "
        "`RUN --mount=type=secret`."),
    options={"placeholder_patterns": []},
)

def _extra_placeholders(ctx):
    """The configuration's placeholder patterns, run with RE2 (linear time; checked when the configuration is
    loaded, and compiled once)."""
    patterns = ctx.options.get("placeholder_patterns") or ()
    if not patterns:
        return []
    from hipaa_scan.userre import compile_all

    return list(compile_all(tuple(patterns)))


def _reported_as_build_arg(var, res):
    """An image ENV that is wholly a build arg the compose service passes is located at that build arg, which the
    service's own Resource judges: report it there once, unless only the ENV's name says secret."""
    origin = var.origin or ""
    if not origin.startswith("build-arg:") or res.extra.get("service") is None:
        return False
    return shape_of((var.value or "").strip()) is not None or secret_name(origin.split(":", 1)[1])


def check(res, ctx):
    extra = _extra_placeholders(ctx)
    # ENV of Dockerfile stages that do not ship (or that compose replaces) is written in the file all the same
    variables = list(res.env) + [v for v in res.build_args if v.value] + list(res.extra.get("stage_env", ()))
    example = res.extra.get("example")
    for var in variables:
        value = (var.value or "").strip()
        shape = shape_of(value) if value else None
        if shape is None and (example or not secret_name(var.name)):
            continue  # neither a secret's shape nor a secret's name: the common case, ruled out cheaply first
        if is_placeholder(value, extra) or default_credential(var.name, value) or _reported_as_build_arg(var, res):
            continue
        who = label_at(res, var.loc)
        if shape is not None:
            label, visible = shape
            shown = mask(value, visible)
            if label == URL_LABEL:
                message = f"{who} puts plaintext credentials in the URL in {var.name} ({shown})"
            else:
                message = f"{who} sets {var.name} to a plaintext {label} ({shown})"
            yield Hit(var.loc, message, key=f"env:{var.name}", evidence=f"{var.name}={shown}")
        else:  # a secret's name
            shown = mask(value)
            yield Hit(var.loc, f"{who} sets the secret {var.name} in plain text ({shown})",
                      key=f"env:{var.name}", evidence=f"{var.name}={shown}")
    for i, flag, value in secret_arguments([str(t.value) for t in res.command]):
        if not is_placeholder(value, extra):
            loc = res.command[i].loc
            yield Hit(loc, f"{label_at(res, loc)} passes a plaintext secret on its command line ({flag} {mask(value)})",
                      key=f"command:{flag}", evidence=f"{flag} {mask(value)}")
