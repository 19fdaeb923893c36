#!/usr/bin/env python3
"""Generate a deterministic synthetic corpus for the hipaa-scan speed benchmark.

    python tests/benchmarks/gen_corpus.py OUTDIR --files N [--seed S] [--kind mixed]

The corpus looks like a monorepo (``services/<name>/...``, ``apps/...``,
``deploy/<env>/...``) holding:

* about 45% Dockerfiles (multi-stage, ARG/ENV, RUN with continuations,
  sometimes USER / HEALTHCHECK, 20-60 lines), named ``Dockerfile`` or
  ``<variant>.Dockerfile``;
* about 50% Compose files (``compose.yaml`` / ``docker-compose.yml``, 2-8
  services among redis, postgres, minio, etcd, elasticsearch and app services,
  environment lists and mappings, short and long port syntax, volumes,
  sometimes anchors and merge keys, 30-150 lines);
* about 5% env files (``.env`` / ``<name>.env`` with comments, ``export``,
  quotes, placeholders and fake secret-looking values).

Roughly half of the files are misconfigured in several ways so that a
scanner has real findings; the rest are written the careful way.

``--files 1`` writes a single ~35-line ``Dockerfile`` (``--kind mixed`` or
``--kind dockerfile``); ``--kind compose --files 1`` writes a single
``compose.yaml``.  Other kinds (``dockerfile``, ``compose``, ``env``) restrict
a larger corpus to one file type.

The output depends only on (files, seed, kind): the same arguments give
byte-identical trees.  Stdlib only.
"""

from __future__ import annotations

import argparse
import random
import shutil
import string
import sys
from pathlib import Path

SHARE_DOCKERFILE = 0.45
SHARE_COMPOSE = 0.50
# the rest (about 5%) are env files

WORDS = (
    "patient", "records", "claims", "billing", "imaging", "portal", "auth",
    "audit", "scheduler", "notify", "lab", "pharmacy", "ehr", "fhir", "intake",
    "consent", "triage", "referral", "telehealth", "payments", "eligibility",
    "reporting", "analytics", "ingest", "export", "gateway", "identity",
    "messaging", "documents", "search", "dicom", "hl7", "vitals", "care",
)
SUFFIXES = ("api", "worker", "svc", "web", "sync", "jobs", "bridge", "core")
ENVIRONMENTS = ("dev", "staging", "prod", "qa", "local")
DOCKERFILE_VARIANTS = ("dev", "prod", "worker", "test", "migrate", "debug")

ALNUM = string.ascii_letters + string.digits


def token(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def fake_secret(rng: random.Random) -> str:
    """A value that looks like a credential to a secret detector (never real)."""
    kind = rng.randrange(5)
    if kind == 0:
        return "sk-" + token(rng, 48)
    if kind == 1:
        return "AKIA" + token(rng, 16, string.ascii_uppercase + string.digits)
    if kind == 2:
        return "ghp_" + token(rng, 36)
    if kind == 3:
        return token(rng, 40, string.ascii_letters + string.digits + "/+")
    return "xoxb-" + "-".join(token(rng, 12, string.digits) for _ in range(2)) + "-" + token(rng, 24)


def weak_password(rng: random.Random) -> str:
    return rng.choice(("postgres", "password", "changeme", "admin123", "minioadmin",
                       "secret", "Passw0rd!", "letmein", "hunter2", "example"))


def placeholder(rng: random.Random, var: str) -> str:
    return rng.choice(("changeme", "<your-key-here>", f"${{{var}}}", "TODO", "xxx",
                       "replace-me", "", f"${{{var}:?must be set}}"))


# --------------------------------------------------------------------------
# Dockerfiles
# --------------------------------------------------------------------------

PY_BUILDERS = ("python:3.11-slim", "python:3.12-slim-bookworm", "python:3.10")
NODE_BUILDERS = ("node:20-alpine", "node:18-bullseye", "node:22-slim")
GO_BUILDERS = ("golang:1.22", "golang:1.21-alpine")
RUNTIMES_CLEAN = (
    "gcr.io/distroless/base-debian12:nonroot",
    "debian:12.5-slim",
    "alpine:3.19",
    "python:3.11-slim@sha256:" + "a3c1f0" * 10 + "beef",
    "cgr.dev/chainguard/static:latest@sha256:" + "0d9e7b" * 10 + "cafe",
)
RUNTIMES_BAD = ("ubuntu", "ubuntu:latest", "debian:latest", "centos:7", "node", "python:latest")
APT_PKGS = ("curl", "ca-certificates", "git", "build-essential", "libpq-dev", "gcc",
            "openssl", "tzdata", "gnupg", "unzip", "jq", "netcat-openbsd", "wget")


def _run_apt(rng: random.Random, bad: bool) -> list[str]:
    pkgs = rng.sample(APT_PKGS, rng.randint(2, 6))
    lines = ["RUN apt-get update \\"]
    if bad and rng.random() < 0.5:
        lines.append("    && apt-get upgrade -y \\")
    flag = "" if bad else " --no-install-recommends"
    lines.append(f"    && apt-get install -y{flag} \\")
    for p in pkgs:
        pin = "" if bad else "=" + rng.choice(("7.88.1-10+deb12u5", "1.2.3-1", "2.4.*"))
        lines.append(f"        {p}{pin} \\")
    lines.append("    && rm -rf /var/lib/apt/lists/*")
    return lines


def _builder_stage(rng: random.Random, lang: str, bad: bool) -> list[str]:
    out: list[str] = []
    if lang == "python":
        base = rng.choice(PY_BUILDERS)
        out += [f"FROM {base} AS builder", "ARG PIP_INDEX_URL", "ARG APP_VERSION=0.0.0",
                "ENV PYTHONDONTWRITEBYTECODE=1 \\", "    PYTHONUNBUFFERED=1", "WORKDIR /src"]
        out += _run_apt(rng, bad)
        out += ["COPY requirements.txt .",
                "RUN pip install " + ("" if bad else "--no-cache-dir ") + "--upgrade pip \\",
                "    && pip install " + ("" if bad else "--no-cache-dir --require-hashes ")
                + "-r requirements.txt \\",
                "    && pip wheel --wheel-dir /wheels -r requirements.txt",
                "COPY . ."]
    elif lang == "node":
        base = rng.choice(NODE_BUILDERS)
        out += [f"FROM {base} AS deps", "ARG NPM_TOKEN", "WORKDIR /app",
                "COPY package.json package-lock.json ./",
                "RUN npm ci " + ("" if bad else "--ignore-scripts ") + "\\",
                "    && npm cache clean --force",
                "", f"FROM {base} AS builder", "WORKDIR /app",
                "COPY --from=deps /app/node_modules ./node_modules", "COPY . .",
                "ENV NODE_ENV=production", "RUN npm run build \\", "    && npm prune --production"]
    else:
        base = rng.choice(GO_BUILDERS)
        out += [f"FROM {base} AS builder", "ARG TARGETOS=linux", "ARG TARGETARCH=amd64",
                "WORKDIR /src", "COPY go.mod go.sum ./", "RUN go mod download", "COPY . .",
                "RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \\",
                "    go build -trimpath -ldflags='-s -w' \\", "    -o /out/app ./cmd/server"]
    return out


def _misconfig_lines(rng: random.Random, name: str) -> list[str]:
    choices = [
        [f"ENV DATABASE_PASSWORD={weak_password(rng)}"],
        [f"ENV API_KEY={fake_secret(rng)}"],
        [f"ARG AWS_SECRET_ACCESS_KEY={fake_secret(rng)}"],
        ["RUN curl -sSL https://get.example.com/install.sh | sh"],
        ["RUN wget --no-check-certificate https://downloads.example.org/agent.tgz \\",
         "    && tar xzf agent.tgz -C /opt"],
        [f"ADD https://releases.example.com/{name}/bundle.tar.gz /opt/"],
        ["RUN chmod -R 777 /app"],
        ["EXPOSE 22"],
        ["RUN echo 'root:root' | chpasswd"],
        ["ENV PHI_DEBUG_LOGGING=true \\", "    TLS_VERIFY=false"],
        ["COPY id_rsa /root/.ssh/id_rsa"],
        ["RUN apt-get install -y sudo openssh-server"],
        ["ENV NODE_TLS_REJECT_UNAUTHORIZED=0"],
    ]
    picks = rng.sample(choices, rng.randint(2, 4))
    return [line for group in picks for line in group]


def _runtime_stage(rng: random.Random, lang: str, bad: bool, name: str, healthcheck: bool) -> list[str]:
    base = rng.choice(RUNTIMES_BAD if bad else RUNTIMES_CLEAN)
    port = rng.choice((8000, 8080, 3000, 5000, 9000))
    out = [f"FROM {base}", f'LABEL org.opencontainers.image.title="{name}" \\',
           '      org.opencontainers.image.vendor="Example Health"',
           "ARG APP_VERSION", "ENV APP_VERSION=${APP_VERSION} \\", f"    PORT={port}",
           "WORKDIR /app"]
    if lang == "python":
        out += ["COPY --from=builder /wheels /wheels",
                "RUN pip install " + ("" if bad else "--no-cache-dir ") + "/wheels/* \\",
                "    && rm -rf /wheels", "COPY --from=builder /src /app"]
        cmd = f'CMD ["gunicorn", "-b", "0.0.0.0:{port}", "app.wsgi:application"]'
    elif lang == "node":
        out += ["COPY --from=builder /app/dist ./dist",
                "COPY --from=builder /app/node_modules ./node_modules"]
        cmd = 'CMD ["node", "dist/server.js"]'
    else:
        out += ["COPY --from=builder /out/app /app/app"]
        cmd = 'ENTRYPOINT ["/app/app"]'
    if bad:
        out += _misconfig_lines(rng, name)
    out.append(f"EXPOSE {port}")
    if healthcheck:
        out += ["HEALTHCHECK --interval=30s --timeout=5s --retries=3 \\",
                f"    CMD wget -qO- http://127.0.0.1:{port}/healthz || exit 1"]
    if bad:
        if rng.random() < 0.4:
            out.append("USER root")
    else:
        if rng.random() < 0.85:
            out.append(rng.choice(("USER 10001:10001", "USER nonroot", "USER app")))
    out.append(cmd)
    return out


def dockerfile(rng: random.Random, name: str, bad: bool, target_lines: int | None = None) -> str:
    """A Dockerfile of about 20-60 lines (or close to ``target_lines``)."""
    lang = rng.choice(("python", "python", "node", "go"))
    healthcheck = rng.random() < (0.25 if bad else 0.6)
    header = [f"# syntax=docker/dockerfile:1.{rng.randint(4, 7)}",
              f"# {name}: container image", ""]
    builder = _builder_stage(rng, lang, bad)
    runtime = _runtime_stage(rng, lang, bad, name, healthcheck)
    lines = header + builder + [""] + runtime
    want = target_lines if target_lines is not None else rng.randint(20, 60)
    # pad with realistic, harmless content until close to the wanted length
    fillers = [
        "# keep layers small: one RUN per concern",
        f'LABEL com.example.team="{rng.choice(WORDS)}"',
        "ENV LANG=C.UTF-8 \\\n    LC_ALL=C.UTF-8",
        "ENV TZ=UTC",
        "ARG BUILD_DATE",
        "# see docs/runbook.md for the release process",
        "COPY config/ /app/config/",
        "VOLUME [\"/app/data\"]",
        "STOPSIGNAL SIGTERM",
    ]
    i = 0
    while len("\n".join(lines).splitlines()) < want and i < len(fillers):
        lines.insert(len(lines) - 1, fillers[i])  # before CMD / ENTRYPOINT
        i += 1
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Compose files
# --------------------------------------------------------------------------

def _ports(rng: random.Random, container: int, bad: bool) -> list[str]:
    host = container if rng.random() < 0.6 else container + rng.randint(1, 50)
    style = rng.randrange(3)
    if style == 0:  # short syntax, quoted
        bind = "" if bad else "127.0.0.1:"
        return ["    ports:", f'      - "{bind}{host}:{container}"']
    if style == 1:  # short syntax, unquoted, maybe a second mapping
        lines = ["    ports:", f"      - {'' if bad else '127.0.0.1:'}{host}:{container}"]
        if rng.random() < 0.3:
            lines.append(f'      - "{host + 1000}:{container + 1}/udp"')
        return lines
    lines = ["    ports:", f"      - target: {container}", f'        published: "{host}"']
    if not bad:
        lines.append("        host_ip: 127.0.0.1")
    lines += ["        protocol: tcp", "        mode: host"]
    return lines


def _environment(rng: random.Random, pairs: list[tuple[str, str]]) -> list[str]:
    if rng.random() < 0.5:
        out = ["    environment:"]
        for k, v in pairs:
            out.append(f'      - {k}={v}' if rng.random() < 0.7 else f'      - "{k}={v}"')
        return out
    out = ["    environment:"]
    for k, v in pairs:
        if v == "" or v[0] in "*&!%@`{[|>'\"" or ": " in v or " #" in v:
            v = '"' + v.replace('"', '\\"') + '"'
        elif v.lower() in ("true", "false", "yes", "no", "on", "off") or v.isdigit():
            v = f'"{v}"'
        out.append(f"      {k}: {v}")
    return out


def _secret_value(rng: random.Random, var: str, bad: bool) -> str:
    if bad:
        return rng.choice((weak_password(rng), fake_secret(rng)))
    return rng.choice((f"${{{var}:?set in the secret store}}", f"${{{var}}}"))


def _hardening(rng: random.Random, bad: bool) -> list[str]:
    if bad:
        options = [
            ["    privileged: true"], ["    network_mode: host"], ["    pid: host"],
            ["    user: root"], ["    cap_add:", "      - ALL"],
            ["    security_opt:", "      - seccomp:unconfined"],
            ["    volumes:", "      - /var/run/docker.sock:/var/run/docker.sock"],
            ["    restart: always"],
        ]
        picks = rng.sample(options, rng.randint(0, 2))
    else:
        options = [
            ["    read_only: true"], ["    cap_drop:", "      - ALL"],
            ["    security_opt:", "      - no-new-privileges:true"],
            ['    user: "10001:10001"'], ["    restart: unless-stopped"],
            ["    mem_limit: 512m", "    pids_limit: 200"],
        ]
        picks = rng.sample(options, rng.randint(1, 3))
    # the same key twice is invalid YAML for a mapping: keep the first occurrence
    seen: set[str] = set()
    out: list[str] = []
    for group in picks:
        key = group[0].split(":")[0].strip()
        if key not in seen:
            seen.add(key)
            out += group
    return out


def _merge_volumes(lines: list[str], extra: list[str]) -> list[str]:
    """Append volume entries, reusing an existing ``volumes:`` key if there is one."""
    if not extra:
        return lines
    if "    volumes:" in lines:
        idx = lines.index("    volumes:") + 1
        while idx < len(lines) and lines[idx].startswith("      - "):
            idx += 1
        return lines[:idx] + extra + lines[idx:]
    return lines + ["    volumes:"] + extra


def _svc_redis(rng, name, bad, anchor):
    lines = [f"  {name}:", f"    image: redis:{'latest' if bad else '7.2.4-alpine'}"]
    if anchor:
        lines.append("    <<: *default-service")
    if bad:
        lines.append("    command: redis-server --protected-mode no")
    else:
        lines += ["    command: >-", '      redis-server --requirepass "${REDIS_PASSWORD:?}"',
                  "      --appendonly yes"]
    lines += _ports(rng, 6379, bad)
    lines += _hardening(rng, bad)
    lines = _merge_volumes(lines, [f"      - {name}-data:/data"])
    lines += ["    healthcheck:", '      test: ["CMD", "redis-cli", "ping"]',
              "      interval: 10s", "      timeout: 3s", "      retries: 5"] if rng.random() < 0.6 else []
    return lines, [f"{name}-data"]


def _svc_postgres(rng, name, bad, anchor):
    lines = [f"  {name}:", f"    image: postgres:{'latest' if bad else '16.2-bookworm'}"]
    if anchor:
        lines.append("    <<: *default-service")
    env = [("POSTGRES_USER", rng.choice(("postgres", "app", "ehr"))),
           ("POSTGRES_DB", rng.choice(WORDS)),
           ("POSTGRES_PASSWORD", _secret_value(rng, "POSTGRES_PASSWORD", bad))]
    if bad and rng.random() < 0.5:
        env.append(("POSTGRES_HOST_AUTH_METHOD", "trust"))
    if not bad and rng.random() < 0.5:
        env = [e for e in env if e[0] != "POSTGRES_PASSWORD"] + [
            ("POSTGRES_PASSWORD_FILE", "/run/secrets/db_password")]
    lines += _environment(rng, env)
    lines += _ports(rng, 5432, bad)
    lines += _hardening(rng, bad)
    lines = _merge_volumes(lines, [f"      - {name}-data:/var/lib/postgresql/data",
                                   "      - ./initdb:/docker-entrypoint-initdb.d:ro"])
    if not bad and any(k == "POSTGRES_PASSWORD_FILE" for k, _ in env):
        lines += ["    secrets:", "      - db_password"]
    return lines, [f"{name}-data"]


def _svc_minio(rng, name, bad, anchor):
    lines = [f"  {name}:", f"    image: minio/minio:{'latest' if bad else 'RELEASE.2024-05-10T01-41-38Z'}"]
    if anchor:
        lines.append("    <<: *default-service")
    lines.append('    command: server /data --console-address ":9001"')
    env = [("MINIO_ROOT_USER", "minioadmin" if bad else "${MINIO_ROOT_USER:?}"),
           ("MINIO_ROOT_PASSWORD", "minioadmin" if bad else "${MINIO_ROOT_PASSWORD:?}")]
    if rng.random() < 0.4:
        env.append(("MINIO_BROWSER", "on" if bad else "off"))
    lines += _environment(rng, env)
    lines += _ports(rng, 9000, bad)
    lines += [f'      - "{"" if bad else "127.0.0.1:"}9001:9001"']
    lines += _hardening(rng, bad)
    lines = _merge_volumes(lines, [f"      - {name}-data:/data"])
    return lines, [f"{name}-data"]


def _svc_etcd(rng, name, bad, anchor):
    lines = [f"  {name}:", f"    image: quay.io/coreos/etcd:{'latest' if bad else 'v3.5.13'}"]
    if anchor:
        lines.append("    <<: *default-service")
    env = [("ETCD_NAME", name), ("ETCD_DATA_DIR", "/etcd-data"),
           ("ETCD_LISTEN_CLIENT_URLS", "http://0.0.0.0:2379" if bad else "https://0.0.0.0:2379"),
           ("ETCD_ADVERTISE_CLIENT_URLS", f"{'http' if bad else 'https'}://{name}:2379")]
    if bad:
        env.append(("ALLOW_NONE_AUTHENTICATION", "yes"))
    else:
        env += [("ETCD_CLIENT_CERT_AUTH", "true"), ("ETCD_TRUSTED_CA_FILE", "/certs/ca.pem"),
                ("ETCD_CERT_FILE", "/certs/server.pem"), ("ETCD_KEY_FILE", "/certs/server-key.pem")]
    lines += _environment(rng, env)
    lines += _ports(rng, 2379, bad)
    lines += _hardening(rng, bad)
    extra = [f"      - {name}-data:/etcd-data"]
    if not bad:
        extra.append("      - ./certs:/certs:ro")
    lines = _merge_volumes(lines, extra)
    return lines, [f"{name}-data"]


def _svc_elasticsearch(rng, name, bad, anchor):
    lines = [f"  {name}:",
             f"    image: docker.elastic.co/elasticsearch/elasticsearch:{'8.13.0' if not bad else '7.10.2'}"]
    if anchor:
        lines.append("    <<: *default-service")
    env = [("discovery.type", "single-node"), ("ES_JAVA_OPTS", "-Xms512m -Xmx512m"),
           ("xpack.security.enabled", "false" if bad else "true")]
    if bad:
        env.append(("ELASTIC_PASSWORD", weak_password(rng)))
    else:
        env += [("xpack.security.http.ssl.enabled", "true"),
                ("ELASTIC_PASSWORD", "${ELASTIC_PASSWORD:?}")]
    lines += _environment(rng, env)
    lines += _ports(rng, 9200, bad)
    lines += ["    ulimits:", "      memlock:", "        soft: -1", "        hard: -1"]
    lines += _hardening(rng, bad)
    lines = _merge_volumes(lines, [f"      - {name}-data:/usr/share/elasticsearch/data"])
    return lines, [f"{name}-data"]


def _svc_app(rng, name, bad, anchor, deps):
    lines = [f"  {name}:"]
    if rng.random() < 0.5:
        lines += ["    build:", "      context: .", "      dockerfile: Dockerfile"]
        if rng.random() < 0.4:
            lines += ["      args:", f"        APP_VERSION: \"{rng.randint(1, 9)}.{rng.randint(0, 20)}.0\""]
    else:
        tag = "latest" if bad else f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        lines.append(f"    image: registry.example.com/{name}:{tag}")
    if anchor:
        lines.append("    <<: *default-service")
    env = [("LOG_LEVEL", rng.choice(("info", "debug", "warning"))),
           ("PORT", str(rng.choice((8000, 8080, 3000))))]
    db_password = weak_password(rng) if bad else "${DB_PASSWORD}"
    sslmode = "disable" if bad else "require"
    env += [("DATABASE_URL", f"postgres://app:{db_password}@db:5432/app?sslmode={sslmode}"),
           ("API_KEY", _secret_value(rng, "API_KEY", bad))]
    if bad and rng.random() < 0.6:
        env.append(("PHI_LOG_BODIES", "true"))
    if rng.random() < 0.5:
        env.append(("FEATURE_FLAGS", "audit,export"))
    if not bad:
        env.append(("TLS_MIN_VERSION", "1.2"))
    lines += _environment(rng, env)
    if rng.random() < 0.3:
        lines += ["    env_file:", "      - .env"]
    lines += _ports(rng, int(dict(env)["PORT"]), bad)
    if deps:
        lines.append("    depends_on:")
        lines += [f"      - {d}" for d in deps]
    lines += _hardening(rng, bad)
    lines = _merge_volumes(lines, ["      - ./config:/app/config:ro"])
    if rng.random() < 0.5:
        lines += ["    logging:", "      driver: json-file", "      options:",
                  '        max-size: "10m"', '        max-file: "3"']
    if rng.random() < 0.4:
        lines += ["    deploy:", "      resources:", "        limits:",
                  "          cpus: \"0.50\"", "          memory: 256M"]
    return lines, []


BACKING = (("redis", _svc_redis), ("postgres", _svc_postgres), ("minio", _svc_minio),
           ("etcd", _svc_etcd), ("elasticsearch", _svc_elasticsearch))


def compose(rng: random.Random, project: str, bad: bool) -> str:
    """A Compose file with 2-8 services and about 30-150 lines."""
    target_lines = rng.randint(30, 150)
    max_services = rng.randint(2, 8)
    n_backing = rng.randint(1, min(4, max_services - 1))
    use_anchor = rng.random() < 0.3
    lines: list[str] = [f"# {project}: local stack"]
    if rng.random() < 0.3:
        lines.insert(0, 'version: "3.8"')
    if use_anchor:
        lines += ["x-default-service: &default-service", "  restart: unless-stopped",
                  "  logging:", "    driver: json-file", "  networks:", "    - backend", ""]
    if rng.random() < 0.3:
        lines += [f"name: {project}"]
    lines.append("services:")
    volumes: list[str] = []
    backing_names: list[str] = []
    used: set[str] = set()
    plan_ = [("backing", kind, fn) for kind, fn in rng.sample(BACKING, n_backing)]
    plan_ += [("app", None, None)] * (max_services - n_backing)
    for i, (role, kind, fn) in enumerate(plan_):
        if i >= 2 and len(lines) >= target_lines:
            break
        if role == "backing":
            name = kind
            svc, vols = fn(rng, name, bad, use_anchor and rng.random() < 0.7)
            backing_names.append(name)
        else:
            name = f"{rng.choice(WORDS)}-{rng.choice(SUFFIXES)}"
            while name in used:
                name += f"-{i}"
            deps = rng.sample(backing_names, rng.randint(0, len(backing_names)))
            svc, vols = _svc_app(rng, name, bad, use_anchor and rng.random() < 0.7, deps)
        used.add(name)
        lines += svc
        volumes += vols
    if volumes:
        lines += ["", "volumes:"] + [f"  {v}:" for v in volumes]
    if use_anchor:
        lines += ["", "networks:", "  backend:", "    driver: bridge"]
    if any(ln.strip() == "- db_password" for ln in lines):
        lines += ["", "secrets:", "  db_password:", "    file: ./secrets/db_password.txt"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# env files
# --------------------------------------------------------------------------

def envfile(rng: random.Random, project: str, bad: bool) -> str:
    lines = [f"# {project} environment", "# Copy to .env.local and fill in real values", ""]
    entries = [
        ("APP_ENV", rng.choice(ENVIRONMENTS)),
        ("LOG_LEVEL", rng.choice(("info", "debug"))),
        ("DB_HOST", "db"), ("DB_PORT", "5432"), ("DB_USER", "app"),
        ("DB_PASSWORD", weak_password(rng) if bad else placeholder(rng, "DB_PASSWORD")),
        ("OPENAI_API_KEY", "sk-" + token(rng, 48) if bad else placeholder(rng, "OPENAI_API_KEY")),
        ("AWS_ACCESS_KEY_ID", fake_secret(rng) if bad else ""),
        ("AWS_SECRET_ACCESS_KEY", token(rng, 40) if bad else "<your-key-here>"),
        ("REDIS_URL", "redis://:%s@redis:6379/0" % (weak_password(rng) if bad else "${REDIS_PASSWORD}")),
        ("JWT_SECRET", fake_secret(rng) if bad else "changeme"),
        ("SMTP_HOST", "smtp.example.com"), ("FEATURE_AUDIT_LOG", "true" if not bad else "false"),
        ("PHI_ENCRYPTION_KEY", token(rng, 32) if bad else ""),
    ]
    picks = rng.sample(entries, rng.randint(8, len(entries)))
    for i, (k, v) in enumerate(picks):
        r = rng.random()
        prefix = "export " if r < 0.2 else ""
        if r < 0.4:
            value = f'"{v}"'
        elif r < 0.55:
            value = f"'{v}'"
        else:
            value = v
        line = f"{prefix}{k}={value}"
        if rng.random() < 0.15:
            line += "  # rotated quarterly"
        lines.append(line)
        if i % 4 == 3:
            lines.append("")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------

def _project_dirs(rng: random.Random, count: int) -> list[str]:
    dirs: list[str] = []
    seen: set[str] = set()
    while len(dirs) < count:
        name = f"{rng.choice(WORDS)}-{rng.choice(SUFFIXES)}"
        top = rng.choices(("services", "apps", "platform/services", "tools"), (70, 15, 10, 5))[0]
        d = f"{top}/{name}"
        if d in seen:
            d = f"{d}-{len(dirs):04d}"
        seen.add(d)
        dirs.append(d)
    return dirs


def _candidate_paths(rng: random.Random, kind: str, project: str) -> list[str]:
    name = project.rsplit("/", 1)[-1]
    if kind == "dockerfile":
        return [f"{project}/Dockerfile",
                f"{project}/docker/{rng.choice(DOCKERFILE_VARIANTS)}.Dockerfile",
                f"{project}/{rng.choice(DOCKERFILE_VARIANTS)}.Dockerfile",
                f"{project}/build/Dockerfile",
                f"{project}/cmd/{rng.choice(SUFFIXES)}/Dockerfile"]
    if kind == "compose":
        first = rng.choice(("compose.yaml", "docker-compose.yml"))
        other = "docker-compose.yml" if first == "compose.yaml" else "compose.yaml"
        env = rng.choice(ENVIRONMENTS)
        return [f"{project}/{first}", f"deploy/{env}/{name}/{first}",
                f"{project}/deploy/{env}/{first}", f"{project}/{other}",
                f"{project}/examples/{rng.choice(SUFFIXES)}/{first}"]
    env = rng.choice(ENVIRONMENTS)
    first_two = [f"{project}/.env", f"{project}/{env}.env"]
    rng.shuffle(first_two)
    return first_two + [f"{project}/config/{env}.env", f"deploy/{env}/{name}/.env"]


def plan(files: int, seed: int, kind: str) -> list[tuple[str, str, bool, str]]:
    """Return (relative path, file kind, misconfigured, project name) for every file."""
    rng = random.Random(seed)
    if files == 1 and kind in ("mixed", "dockerfile"):
        return [("Dockerfile", "dockerfile", True, "intake-api")]
    if files == 1 and kind == "compose":
        return [("compose.yaml", "compose", True, "intake-api")]
    if files == 1 and kind == "env":
        return [(".env", "env", True, "intake-api")]
    if kind == "mixed":
        n_docker = round(files * SHARE_DOCKERFILE)
        n_compose = round(files * SHARE_COMPOSE)
        n_env = files - n_docker - n_compose
        kinds = ["dockerfile"] * n_docker + ["compose"] * n_compose + ["env"] * n_env
    else:
        kinds = [kind] * files
    rng.shuffle(kinds)
    projects = _project_dirs(rng, max(1, (files * 10) // 22))
    used: set[str] = set()
    out: list[tuple[str, str, bool, str]] = []
    for i, k in enumerate(kinds):
        project = rng.choice(projects)
        for path in _candidate_paths(rng, k, project):
            if path not in used:
                break
        else:  # every usual place is taken: a numbered sub-directory is always free
            base = _candidate_paths(rng, k, project)[0]
            head, _, tail = base.rpartition("/")
            path = f"{head}/variants/v{i}/{tail}"
        used.add(path)
        out.append((path, k, rng.random() < 0.55, project.rsplit("/", 1)[-1]))
    return out


def generate(outdir: Path, files: int, seed: int, kind: str = "mixed") -> dict[str, int]:
    if files < 1:
        raise ValueError("--files must be at least 1")
    entries = plan(files, seed, kind)
    counts = {"dockerfile": 0, "compose": 0, "env": 0, "lines": 0}
    for index, (rel, k, bad, project) in enumerate(entries):
        # one generator per file: a file's text depends only on the seed, its index and path
        rng = random.Random(f"{seed}:{index}:{rel}")
        if k == "dockerfile":
            text = dockerfile(rng, project, bad, target_lines=35 if files == 1 else None)
        elif k == "compose":
            text = compose(rng, project, bad)
        else:
            text = envfile(rng, project, bad)
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counts[k] += 1
        counts["lines"] += text.count("\n")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path, help="directory to write the corpus into")
    ap.add_argument("--files", type=int, default=100, help="number of files (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--kind", choices=("mixed", "dockerfile", "compose", "env"), default="mixed",
                    help="file mix (default mixed: 45%% Dockerfile, 50%% compose, 5%% env)")
    ap.add_argument("--force", action="store_true",
                    help="delete OUTDIR first if it exists and is not empty")
    args = ap.parse_args(argv)

    if args.outdir.exists() and any(args.outdir.iterdir()):
        if not args.force:
            print(f"error: {args.outdir} is not empty (use --force to replace it)", file=sys.stderr)
            return 2
        shutil.rmtree(args.outdir)
    args.outdir.mkdir(parents=True, exist_ok=True)
    counts = generate(args.outdir, args.files, args.seed, args.kind)
    print(f"wrote {args.files} files to {args.outdir} "
          f"(dockerfile={counts['dockerfile']} compose={counts['compose']} env={counts['env']}, "
          f"{counts['lines']} lines, seed={args.seed}, kind={args.kind})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
