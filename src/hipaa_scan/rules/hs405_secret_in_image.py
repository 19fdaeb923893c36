"""HS405 secret-baked-into-image: credentials copied into an image or passed as build arguments."""

import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta, user_placeholders
from hipaa_scan.secrets import default_credential, is_placeholder, may_hold_credential, secret_name

META = meta(
    id="HS405", name="secret-baked-into-image", severity="high", confidence="medium",
    hipaa=["164.312(a)(1)", "164.308(a)(5)(ii)(D)"], cwe=["CWE-538", "CWE-312"], cis=["CIS Docker 1.6.0 4.10"],
    sources=["dockerfile"],
    summary=("COPY/ADD of .env files, private keys or credential files into an image; secret-named build ARGs; "
             "credentials written in RUN (headers, `-u user:pw`, URL userinfo, .npmrc/.netrc/.pypirc bodies), LABEL, "
             "HEALTHCHECK or ONBUILD."),
    description=(
        "Everything copied into a layer, and every build argument, stays in the image for anyone who can pull it, "
        "even if a later step deletes the file. Every RUN command is kept in the image history (`docker history`), "
        "and LABEL, HEALTHCHECK and ONBUILD in its configuration (`docker inspect`): a token in a `curl -H`, a "
        "password in a URL or a credential file written by `echo` or a heredoc ships with the image. Image "
        "registries are rarely guarded like ePHI stores. Build variables public by design are not secrets: "
        "`NEXT_PUBLIC_*`, `VITE_*`, `REACT_APP_*` and the like end up in code shipped to browsers, as do site "
        "keys and Sentry DSNs; nor is a certificate copied into a CA trust store (`/etc/ssl/certs`, "
        "`/usr/local/share/ca-certificates`)."),
    remediation=(
        "Exclude such files with .dockerignore and mount secrets at build time (`RUN --mount=type=secret,id=...`, "
        "read from /run/secrets) or at run time; never pass secrets as build arguments, labels or in commands; "
        "rotate any credential an image was ever built with."),
)

SECRET_FILE = lazy(
    r"(^|/)(\.env(\.[\w.\-]+)?|[\w.\-]+\.env|id_(rsa|dsa|ecdsa|ed25519)|[\w.\-]+\.(pem|key|p12|pfx|jks|keystore|kdbx)|"
    r"\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.dockercfg|credentials(\.json)?|service[-_]?account[\w\-]*\.json|"
    r"secrets?(\.[\w]+)?|\.aws/credentials|\.ssh(/.*)?|htpasswd|\.htpasswd)$", re.IGNORECASE)
NOT_SECRET_FILE = lazy(
    r"(\.example|\.sample|\.template|\.tmpl|\.defaults|\.dist|\.pub|public[\w\-]*\.pem)$|"
    # a certificate in PEM form (a CA, a chain, a server certificate), named so and not as a key
    r"(^|/)(?![^/]*(key|priv))([^/]*[-_.])?(ca|cacert|cert|certs|certificate|chain|fullchain|bundle|rootca|root-ca|"
    r"intermediate|trust|truststore)([-_.][^/]*)?\.pem$", re.IGNORECASE)


# Where certificates go to be trusted: a PEM file copied there is a CA or server certificate, not a key
TRUST_STORE = lazy(r"^/(usr/local/share/ca-certificates|usr/share/ca-certificates|etc/ssl/certs|etc/pki/ca-trust|"
                   r"etc/pki/tls/certs|etc/ca-certificates)(/|$)")
CERTIFICATE_FILE = lazy(r"\.(pem|crt|cer)$", re.IGNORECASE)
# Build variables that the build writes into code shipped to browsers, public by design: `NEXT_PUBLIC_*`, `VITE_*`,
# `REACT_APP_*`..., a captcha's site key, a browser error reporter's DSN
PUBLIC_BUILD_VARIABLE = lazy(r"^(NEXT_PUBLIC|VITE|REACT_APP|NUXT_PUBLIC|NUXT_ENV|EXPO_PUBLIC|GATSBY|VUE_APP|"
                             r"PUBLIC|STORYBOOK)_|(^|_)SITE_?KEY$|(^|_)SENTRY_DSN$", re.IGNORECASE)


def check(res, ctx):
    for copy in res.copies:
        instruction, sources, flags = copy.value[:3]
        dest = copy.value[3] if len(copy.value) > 3 else ""
        if "from" in flags:  # copied from another stage, not the build context
            continue
        for source in sources:
            clean = source.rstrip("/")
            if CERTIFICATE_FILE.search(clean) and TRUST_STORE.match(dest):
                continue  # added to the trust store: a certificate
            if SECRET_FILE.search(clean) and not NOT_SECRET_FILE.search(clean):
                yield Hit(copy.loc, f"{label_at(res, copy.loc)} copies {source} into the image with {instruction}",
                          key=f"copy:{source}", evidence=f"{instruction} {source}")
    for arg in res.build_args:
        # a default that is a literal secret is HS401's finding (the value written in the file): one per line
        if secret_name(arg.name) and not _literal_secret(arg) and not PUBLIC_BUILD_VARIABLE.search(arg.name):
            yield Hit(arg.loc, f"{label_at(res, arg.loc)} takes the secret {arg.name} as a build argument, kept in "
                               "image history",
                      key=f"arg:{arg.name}", evidence=f"ARG {arg.name}")
    # RUN (history), LABEL, HEALTHCHECK, ONBUILD (configuration) of the stages that ship; the other stages' texts are
    # in the file only, which HS401 reports
    baked = [w for w in res.written if w.baked and ((w.name is not None and secret_name(w.name))
                                                                    or may_hold_credential(w.value))]
    if not baked:
        return
    from hipaa_scan.rules.inline import groups  # only when some text may hold a credential

    extra = user_placeholders(ctx)
    seen: dict = {}
    for group in groups(baked, extra):
        where = group.where
        key = f"{where}:{group.what()}"
        seen[key] = seen.get(key, 0) + 1
        yield Hit(group.loc, f"{label_at(res, group.loc)} bakes {group.credential} into the image in {where} "
                             f"({group.detail()})",
                  key=key if seen[key] == 1 else f"{key}#{seen[key]}", evidence=f"{where}: {group.what()} "
                                                                                f"{group.masked()}")


def _literal_secret(arg):
    value = (arg.value or "").strip()
    return bool(value) and not is_placeholder(value) and default_credential(arg.name, value) is None
