"""Behaviour of the rule classes fixed for issue 15 that a fixture's `# expect:` marker cannot state: severities,
messages and the data catalogues the rules read."""

import os

from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.images import catalogue, tag_kind


def scan(tmp_path, name, text, rule, **write):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    for other, body in write.items():
        (tmp_path / other.replace("__", "/")).write_text(body, encoding="utf-8")
    result = scan_paths([str(path)], ScanOptions(select=[rule]))
    assert not result.errors, result.errors
    return sorted((f.location.line, f.severity, f.message) for f in result.findings)


def test_movable_tags_are_low_and_latest_stays_medium(tmp_path):
    got = scan(tmp_path, "compose.yaml", "services:\n  a:\n    image: redis:7\n  b:\n    image: redis\n"
               "  c:\n    image: node:latest\n  d:\n    image: redis:7.2.4\n", "HS301")
    assert got == [
        (3, "low", "service \"a\" uses image redis:7 with the movable tag '7', which follows new releases"),
        (5, "medium", 'service "b" uses image redis with no tag (latest)'),
        (7, "medium", 'service "c" uses image node:latest with the latest tag'),
    ]


def test_a_fallback_reference_is_judged_as_the_one_that_runs(tmp_path):
    got = scan(tmp_path, "compose.yaml", "services:\n  a:\n    image: ${IMG:-acme/app:latest}\n", "HS301")
    # the named compose file is judged as its project (issue 16), whose messages say where a value came from
    assert got == [(3, "medium", 'service "a" uses image acme/app:latest with the latest tag (value via IMG is unset)')]


def test_major_minor_is_movable_only_for_images_with_patch_releases():
    assert tag_kind("redis", "7.2") == "movable"
    assert tag_kind("node", "22.4-alpine") == "movable"
    assert tag_kind("postgres", "16.4") == "pinned"
    assert tag_kind("ubuntu", "22.04") == "pinned"
    assert tag_kind("acme/app", "2019-latest") == "movable"
    assert tag_kind("acme/app", "2.8.x-jre") == "movable"
    assert tag_kind("acme/app", "20240105") == "pinned"
    data = catalogue("patch_versioned_images.json")
    assert data["source"] and "redis" in data["images"] and "postgres" not in data["images"]


def test_files_named_like_env_files_are_judged_by_content(tmp_path):
    """A diff, a template or a text with no NAME=value line is not an env file: no parse error (exit 2), nothing
    scanned; a shell script's assignments are scanned and its code is not a syntax error."""
    files = {
        ".env.patch": "diff --git a/.env b/.env\n--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-LOG_LEVEL=info\n+LOG_LEVEL=debug\n",
        "backup.env.patch": "--- .env.orig\n+++ .env\n@@ -1 +1 @@\n-A=1\n+A=2\n",
        "app.env.j2": "DB_HOST={{ db_host }}\n{% if tls %}\nPGSSLMODE=verify-full\n{% endif %}\n",
        "web.env.erb": "RAILS_ENV=<%= rails_env %>\n",
        "notes.env": "This folder's variables are documented in README.\n",
        ".env.sh": "#!/bin/sh\nif [ -z \"$STAGE\" ]; then\n  STAGE=dev\nfi\nexport DB_PASSWORD=Zx9vQ2mLp7Rt4wKs\n",
        ".env.orig": "DB_PASSWORD=Zx9vQ2mLp7Rt4wKs\n",
        "go.env": "LOG_FORMAT={{.Time}} {{.Level}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS401"]))
    assert not result.errors, result.errors
    got = sorted((os.path.basename(f.location.path), f.location.line, f.rule_id) for f in result.findings)
    assert got == [(".env.orig", 1, "HS401"), (".env.sh", 5, "HS401")]
    assert result.files_scanned == 3  # .env.sh, .env.orig and go.env


def test_a_broken_env_file_is_still_an_error(tmp_path):
    (tmp_path / ".env").write_text("A=1\nB='never closed\n", encoding="utf-8")
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS401"]))
    assert [e.kind for e in result.errors] == ["parse"] and "unterminated" in result.errors[0].message


def test_an_inline_tls_switch_in_run_names_the_command(tmp_path):
    got = scan(tmp_path, "Dockerfile", "FROM node:22.4.1-slim\nRUN npm ci && \\\n    NODE_TLS_REJECT_UNAUTHORIZED=0 node x.js\n"
               "USER node\n", "HS502")
    assert got == [(2, "high", "final stage (FROM node:22.4.1-slim) runs a build command with TLS verification off: "
                                "NODE_TLS_REJECT_UNAUTHORIZED=0")]


def test_sensitive_mount_messages_say_why(tmp_path):
    got = scan(tmp_path, "compose.yaml", "services:\n  a:\n    image: acme/a:1.0.0\n    volumes:\n"
               "      - /:/host:ro\n      - /etc/nginx:/etc/nginx\n      - /etc/nginx:/n:ro\n", "HS107")
    assert got == [
        (5, "high", 'service "a" mounts the host path / (read-only, holds /etc/shadow)'),
        (6, "high", 'service "a" mounts the host path /etc/nginx (read-write)'),
    ]


def test_a_one_shot_service_says_why_its_dockerfile_is_not_judged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM acme/api:1.4.2\nUSER 10001\nCMD [\"app\", \"upgrade\"]\n")
    (tmp_path / "compose.yaml").write_text("services:\n  schema:\n    build: ./app\n    restart: \"no\"\n")
    result = scan_paths(["."], ScanOptions(select=["HS303"]))
    assert [(f.location.line, f.suppression.kind, f.suppression.justification) for f in result.findings] == [
        (1, "project", 'not what the Compose project runs: service "schema" overrides it at compose.yaml:4')]


def test_the_nonroot_catalogue_names_its_source_and_each_entry_a_user():
    data = catalogue("nonroot_images.json")
    assert "2026" in data["source"]
    assert all(entry["image"] and entry["user"] for entry in data["images"])
    from hipaa_scan.images import runs_nonroot
    assert runs_nonroot("docker.elastic.co/elasticsearch/elasticsearch:8.14.1")
    assert runs_nonroot("cgr.dev/chainguard/python:latest") and not runs_nonroot("cgr.dev/chainguard/python:latest-dev")
    assert not runs_nonroot("gcr.io/distroless/static:latest") and runs_nonroot("gcr.io/distroless/static:nonroot")
    assert runs_nonroot("acme/base:1.0", ["acme/base"]) and not runs_nonroot("postgres:16.4")
