"""Planted secrets: unique random credentials of every shape, written in every place people write them, and no
8-character piece of any of them in any output, report file, evidence file, spill file or stderr.

The corpus is generated at test time (a new random set each run; the seed is printed on failure). Each secret is
(public prefix, random body): only the body must never show, the prefix (`ghp_`, `sk-`) is a public token type.
"""

from __future__ import annotations

import glob
import json
import os
import random
import string
import subprocess
import sys

import pytest

from engine import docker_engine  # noqa: F401  (the shared private engine)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = int(os.environ.get("HIPAA_SCAN_PLANT_SEED") or random.SystemRandom().randrange(1 << 32))
PIECE = 8

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"


class Planted:
    """Every secret planted so far: name -> (prefix, body)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.secrets = {}

    def _body(self, n: int, alphabet: str = ALNUM) -> str:
        # each body holds upper case, lower case and digits, so that no two runs of it are alike by chance
        while True:
            body = "".join(self.rng.choice(alphabet) for _ in range(n))
            if alphabet != ALNUM or (any(c.isupper() for c in body) and any(c.islower() for c in body)
                                     and any(c.isdigit() for c in body)):
                return body

    def add(self, name: str, prefix: str, body: str) -> str:
        assert name not in self.secrets, name
        self.secrets[name] = (prefix, body)
        return prefix + body

    # -- shapes -------------------------------------------------------------------------------------------------
    def aws_key_id(self, name):
        return self.add(name, "AKIA", self._body(16, UPPER_DIGITS))

    def aws_secret(self, name):
        return self.add(name, "", self._body(40, B64))

    def github(self, name):
        return self.add(name, "ghp_", self._body(36))

    def github_pat(self, name):
        return self.add(name, "github_pat_", self._body(22) + "_" + self._body(59))

    def gitlab(self, name):
        return self.add(name, "glpat-", self._body(20))

    def slack(self, name):
        return self.add(name, "xoxb-", f"{self.rng.randrange(10**11, 10**12)}-{self.rng.randrange(10**12, 10**13)}-"
                        + self._body(24))

    def slack_webhook(self, name):
        return self.add(name, "https://hooks.slack.com/services/",
                        f"T{self._body(10, UPPER_DIGITS)}/B{self._body(10, UPPER_DIGITS)}/{self._body(24)}")

    def stripe(self, name):
        return self.add(name, "sk_live_", self._body(24))

    def google(self, name):
        return self.add(name, "AIza", self._body(35))

    def openai(self, name):
        return self.add(name, "sk-proj-", self._body(48))

    def anthropic(self, name):
        return self.add(name, "sk-ant-api03-", self._body(80))

    def jwt(self, name):
        return self.add(name, "eyJ", self._body(20) + ".eyJ" + self._body(30) + "." + self._body(43))

    def npm(self, name):
        return self.add(name, "npm_", self._body(36))

    def password(self, name, punctuation="!%^*-_+=.,~"):
        body = self._body(14) + "".join(self.rng.choice(punctuation) for _ in range(3)) + self._body(5)
        return self.add(name, "", body)

    def url_password(self, name):
        """A password with `@` and `/` in it, as people write them into URLs."""
        return self.add(name, "", self._body(6) + "@" + self._body(5) + "/" + self._body(6))

    def pem(self, name, kind="RSA PRIVATE KEY", lines=4):
        body_lines = [self._body(64, B64) for _ in range(lines)]
        self.secrets[name] = ("", "\n".join(body_lines))
        return f"-----BEGIN {kind}-----\n" + "\n".join(body_lines) + f"\n-----END {kind}-----"

    # -- the check ----------------------------------------------------------------------------------------------
    def pieces(self):
        for name, (_prefix, body) in self.secrets.items():
            for line in body.split("\n"):
                for i in range(0, max(1, len(line) - PIECE + 1)):
                    piece = line[i:i + PIECE]
                    if len(piece) == PIECE:
                        yield name, piece

    def leaks(self, where: str, text: str):
        variants = {text, text.replace('\\"', '"').replace("\\\\", "\\").replace("\\/", "/")}
        if "\\u" in text:
            try:
                variants.add(json.loads(json.dumps(text)))
            except ValueError:
                pass
        found = []
        for name, piece in self.pieces():
            if any(piece in v for v in variants):
                found.append(f"{where}: {name} ({piece!r})")
        return found


def _dockerfile(p: Planted) -> str:
    tok = p.gitlab("df-run-header")
    pw = p.password("df-run-user", "!%^*-_+=.,~")
    idx = p.password("df-pip-index", "!*-_.~")
    gh = p.github("df-git-clone")
    npm = p.npm("df-heredoc-npmrc")
    cont = p.openai("df-continued-bearer")
    env_tok = p.stripe("df-env")
    legacy = p.password("df-env-legacy", "!%^*-_+=.,~")
    literal = p.password("df-env-prefix-literal", "!%^*-_+=.,~")
    label = p.password("df-label", "!%^*-_+=.,~")
    health = p.password("df-healthcheck", "!%^*-_+=.,~")
    arg = p.npm("df-arg-default")
    comment = p.github("df-comment-after-formfeed")
    global_arg = p.password("df-global-arg", "!%^*-_+=.,~")
    continued_env = p.password("df-env-continued", "!%^*-_+=.,~")
    onbuild = p.password("df-onbuild", "!%^*-_+=.,~")
    add_url = p.password("df-add-url", "-_.~")
    return (
        f"ARG GLOBAL_TOKEN={global_arg}\n"
        "FROM python:3.12-slim AS build\n"
        f"ARG NPM_TOKEN={arg}\n"
        "RUN echo one\x0ctwo\u2028three\n"  # a form feed and U+2028 inside a line: not line breaks for the parser
        f"# cache key {comment}\n"
        f'RUN curl -fsSL -H "PRIVATE-TOKEN: {tok}" https://gitlab.example.com/install.sh | sh\n'
        f"RUN curl -u deploy:{pw} https://artifacts.example.com/pkg.tgz -o /tmp/p.tgz\n"
        f"RUN pip install --index-url https://build:{idx}@pypi.example.com/simple app\n"
        f"RUN git clone https://{gh}@github.com/acme/private.git /src\n"
        "RUN <<EOF\n"
        f"echo '//registry.npmjs.org/:_authToken={npm}' > ~/.npmrc\n"
        "EOF\n"
        'RUN curl -H "Authorization: Bearer \\\n'
        f'    {cont}" https://api.example.com/x | bash\n'
        "FROM python:3.12-slim\n"
        f"ENV API_TOKEN={env_tok} LOG_LEVEL=info\n"
        "ENV A=1 \\\n"
        f"    DB_PASSWORD={continued_env} \\\n"
        "    B=2\n"
        f"ONBUILD RUN curl -u ci:{onbuild} https://x.example.com/i.sh | sh\n"
        f"ADD https://ci:{add_url}@files.example.com/f.tgz /tmp/\n"
        f"ENV SECRET_KEY my\\ {legacy}\n"
        "ARG PREFIX\n"
        f"ENV AUTH_TOKEN=${{PREFIX}}-{literal}\n"
        f"LABEL com.example.db-password={label} maintainer=ops\n"
        f"HEALTHCHECK CMD curl -fsS -u admin:{health} http://localhost:8080/health || exit 1\n"
        'CMD ["python", "app.py"]\n'
    )


def _env_file(p: Planted, crlf: bool = False) -> str:
    pem = p.pem("env-firebase-key", "PRIVATE KEY").replace("\n", "\\n")
    quoted = p.password("env-escaped-quote", "!%^*-_+=.,~")
    half = len(quoted) // 2
    dollar = p.password("env-escaped-dollar", "!%^*-_+=.,~")
    jdbc = p.password("env-jdbc", "!*-_.~")
    lines = [
        "# application settings",
        f"DB_PASSWORD={p.password('env-plain', '-_.~')}",
        f'API_TOKEN="{quoted[:half]}\\"{quoted[half:]}"',
        f"SESSION_SECRET='{p.password('env-single', '!%^*-_+=.,~')}'",
        f'FIREBASE_PRIVATE_KEY="{pem}\\n"',
        f'SIGNING_SECRET="{dollar[:5]}\\${dollar[5:]}"',
        f"export STRIPE_KEY={p.stripe('env-export-stripe')}  # live key",
        f"JDBC_URL=jdbc:postgresql://db:5432/app?user=app&password={jdbc}&sslmode=disable",
        f"SLACK_HOOK={p.slack_webhook('env-slack-webhook')}",
        f"GOOGLE_MAPS={p.google('env-google')}",
        f"AWS_ACCESS_KEY_ID={p.aws_key_id('env-aws-id')}",
        f"AWS_SECRET_ACCESS_KEY={p.aws_secret('env-aws-secret')}",
        f'MULTILINE_SECRET="{p.password("env-multi-1", "!%^*-_+=.,~")}',
        f'{p.password("env-multi-2", "!%^*-_+=.,~")}"',
        f"DATABASE_URL=postgres://app:{p.url_password('env-url-at-slash')}@db:5432/app",
        f"ANTHROPIC={p.anthropic('env-anthropic')}",
        "NODE_ENV=production",
    ]
    return ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")


def _compose(p: Planted) -> str:
    dollar = p.password("c-dollar-dollar", "!%^*-_+=.,~")
    quote = p.password("c-single-quote", "!%^*-_+=.,~")
    yaml_escape = p.password("c-yaml-escape", "!%^*-_+=.,~")
    part_a = p.password("c-default-part", "!%^*-_+=.,~")
    part_b = p.password("c-default-rest", "!%^*-_+=.,~")
    cont_a = p.password("c-continued-1", "!%^*-_+=.,~")
    cont_b = p.password("c-continued-2", "!%^*-_+=.,~")
    folded = p.pem("c-literal-pem", "EC PRIVATE KEY", 3)
    ssh = p.pem("c-openssh", "OPENSSH PRIVATE KEY", 3)
    jwt = p.jwt("c-jwt")
    vault = p.password("c-vault-header", "!%^*-_+=.,~")
    jupyter = p.password("c-jupyter-token", "!*-_.~")
    requirepass = p.password("c-requirepass", "!%^*-_+=.,~")
    hc = p.gitlab("c-healthcheck-header")
    lbl = p.password("c-label", "!%^*-_+=.,~")
    xblock = p.password("c-x-block", "!%^*-_+=.,~")
    cfg = p.slack("c-configs-content")
    flow = p.github("c-flow-mapping")
    listed = p.password("c-list-form", "!%^*-_+=.,~")
    return (
        "include:\n"
        "  - other/compose.yaml\n"
        "x-creds:\n"
        f"  password: {xblock}\n"
        "x-env: &shared\n"
        f"  SHARED_SECRET: {p.password('c-anchor', '!%^*-_+=.,~')}\n"
        "services:\n"
        "  api:\n"
        "    image: acme/api:1.2.3\n"
        "    env_file:\n"
        "      - .env\n"
        "      - ./envs/${DB_PASSWORD}.env\n"  # a path built from a secret (.env's DB_PASSWORD)
        "    environment:\n"
        f'      APP_SECRET: "{dollar[:6]}$${dollar[6:]}"\n'
        f"      SECRET_PHRASE: '{quote[:6]}''{quote[6:]}'\n"
        f'      ESCAPED_TOKEN: "{yaml_escape[:4]}\\x{ord(yaml_escape[4]):02x}{yaml_escape[5:]}"\n'
        f"      DEFAULTED_TOKEN: ${{UNSET_VARIABLE_X:-{part_a}}}{part_b}\n"
        f"      CONTINUED_PASSWORD: {cont_a}\n"
        f"        {cont_b}\n"
        "      TLS_KEY: |\n" + "".join(f"        {line}\n" for line in folded.split("\n")) +
        "      DEPLOY_KEY: >\n" + "".join(f"        {line}\n" for line in ssh.split("\n")) +
        f"      JWT: {jwt}\n"
        "      NODE_ENV: development\n"
        f"    command: [\"sh\", \"-c\", \"curl -H 'X-Vault-Token: {vault}' https://vault:8200/v1/x && "
        f"jupyter lab --ServerApp.token={jupyter}\"]\n"
        "    labels:\n"
        f"      com.example.api-password: {lbl}\n"
        "    healthcheck:\n"
        f'      test: ["CMD-SHELL", "curl -fsS -H \'PRIVATE-TOKEN: {hc}\' http://localhost/health"]\n'
        "  cache:\n"
        "    image: redis:7\n"
        f"    command: redis-server --requirepass {requirepass}\n"
        "  flow:\n"
        "    image: node:20\n"
        f"    environment: {{API_KEY: {flow}, NODE_ENV: development}}\n"
        "  listed:\n"
        "    image: node:20\n"
        "    build:\n"
        "      context: .\n"
        "      args:\n"
        f"        - NPM_TOKEN={p.npm('c-build-arg')}\n"
        "    labels:\n"
        f"      - \"com.example.token={p.password('c-label-list', '!%^*-_+=.,~')}\"\n"
        f"    entrypoint: [\"app\", \"--password={p.password('c-entrypoint', '!%^*-_+=.~')}\"]\n"

        "    environment:\n"
        f"      - DB_PASS={listed}\n"
        "  anchored:\n"
        "    image: node:20\n"
        "    environment:\n"
        "      <<: *shared\n"
        f"      DOCKER_AUTH_CONFIG: '{{\"auths\": {{\"r.example.com\": {{\"auth\": \"{p.aws_secret('c-docker-auth')}\"}}}}}}'\n"
        "  db:\n"
        "    image: postgres:latest\n"
        "    environment:\n"
        "      POSTGRES_PASSWORD: postgres\n"
        "configs:\n"
        "  app:\n"
        f"    content: |\n      slack_token = \"{cfg}\"\n"
    )


def _remote_compose(p: Planted) -> str:
    """Include and extends URLs with credentials: the project cannot be loaded, and its error names the URL."""
    return ("include:\n"
            f"  - https://deploy:{p.password('r-include-url', '-_.~')}@config.example.com/base.yaml\n"
            "services:\n"
            "  api:\n"
            "    image: acme/api:1.0\n"
            "    extends:\n"
            f"      file: https://ci:{p.password('r-extends-url', '-_.~')}@config.example.com/common.yaml\n"
            "      service: base\n")


def _other_compose(p: Planted) -> str:
    return ("services:\n"
            "  worker:\n"
            "    image: acme/worker:1.0\n"
            "    environment:\n"
            f"      WORKER_TOKEN: {p.github_pat('inc-included-file')}\n")


def build_tree(root, p: Planted):
    os.makedirs(os.path.join(root, "app", "other"))
    files = {
        "app/Dockerfile": _dockerfile(p),
        "app/.env": _env_file(p),
        "app/compose.yaml": _compose(p),
        "app/other/compose.yaml": _other_compose(p),
        "remote/compose.yaml": _remote_compose(p),
        "app/compose.override.yaml": ("services:\n  api:\n    environment:\n"
                                      f"      OVERRIDE_KEY: {p.password('c-override', '!%^*-_+=.,~')}\n"),
        "broken/.env": f"GOOD=1\n{p.aws_key_id('broken-env-line')}\nLATER_TOKEN={p.github('broken-env-later')}\n",
        "broken/compose.yaml": f"services:\n  x:\n    image: a\n    environment: [\n      TOKEN: {p.openai('broken-yaml')}\n",
        "broken/Dockerfile": f"# no FROM here\nRUN echo {p.github('broken-dockerfile')}\n",
    }
    crlf = Planted(p.rng.randrange(1 << 30))
    files["crlf/.env"] = _env_file(crlf, crlf=True)
    for name, value in crlf.secrets.items():
        p.secrets["crlf-" + name] = value
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return files


def run(*args, cwd, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "FORCE_COLOR", "NO_COLOR"))}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=full, timeout=120)


def _outputs_of(proc, label):
    return [(f"{label} stdout", proc.stdout), (f"{label} stderr", proc.stderr)]


def _files_under(directory):
    out = []
    for path in glob.glob(os.path.join(directory, "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                out.append((path, handle.read().decode("utf-8", "replace")))
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("planted"))
    p = Planted(SEED)
    build_tree(root, p)
    return root, p


def _assert_no_leaks(p, outputs):
    found = []
    for where, text in outputs:
        found.extend(p.leaks(where, text or ""))
    assert not found, f"seed {SEED}: {len(found)} leaks:\n" + "\n".join(found[:40])


def test_scans_in_every_format_and_mode_show_no_planted_secret(planted, tmp_path):
    root, p = planted
    outputs = []
    runs = [
        (("scan", ".", "--format", "text", "--no-color"), None),
        (("scan", ".", "--format", "text"), {"FORCE_COLOR": "1"}),
        (("scan", ".", "--format", "text", "-q"), {"FORCE_COLOR": "1"}),
        (("scan", ".", "--format", "json"), None),
        (("scan", ".", "--format", "sarif"), None),
        (("scan", "-q", "--format", "json", "app/.env", "app/Dockerfile", "broken/.env", "crlf/.env"), None),
        (("scan", "app/compose.yaml", "--format", "text", "--no-color"), None),
        (("scan", "-f", "app/compose.yaml", "--format", "json"), None),
        (("explain", "HS401"), None),
    ]
    for args, env in runs:
        proc = run(*args, cwd=root, env=env)
        assert proc.returncode in ((0,) if args[0] == "explain" else (1, 2)), (args, proc.stderr[-2000:])
        outputs += _outputs_of(proc, " ".join(args))
    for fmt in ("json", "sarif", "text"):
        target = tmp_path / f"report.{fmt}"
        proc = run("scan", ".", "--format", fmt, "--output", str(target), cwd=root)
        outputs += _outputs_of(proc, f"--output {fmt}") + [(str(target), target.read_text())]
    baseline = tmp_path / "baseline.json"
    proc = run("baseline", "create", "--output", str(baseline), ".", cwd=root)
    if proc.returncode not in (0, 1, 2):  # older CLI spelling: the file as an argument
        proc = run("baseline", "create", str(baseline), ".", cwd=root)
    outputs += _outputs_of(proc, "baseline create")
    if baseline.exists():
        outputs.append(("baseline file", baseline.read_text()))
    _assert_no_leaks(p, outputs)


def test_the_scan_still_finds_the_planted_secrets(planted):
    """The suite would pass on an empty report: check that the findings are there, with snippets."""
    root, _p = planted
    report = json.loads(run("scan", ".", "--format", "json", cwd=root).stdout)
    secret_rules = [f for f in report["findings"] if f["rule_id"] in ("HS401", "HS402", "HS405")]
    assert len(secret_rules) >= 15, len(secret_rules)
    assert any(f.get("snippet") for f in secret_rules)
    errors = {e["path"]: e["message"] for e in report["errors"]}
    assert set(errors) == {"broken/compose.yaml", "broken/Dockerfile"}
    # a remote include or extends file is never fetched: a note names it by its index, its URL's credentials are HS401
    assert any(n.startswith("note: remote/") and "remote" in n for n in report.get("notes", []))
    assert any(f["location"]["path"].startswith("remote/") and f["rule_id"] == "HS401" for f in secret_rules)
    # the project was loaded as Compose loads it: its included file, its .env and its Dockerfile's findings
    paths = {f["location"]["path"] for f in secret_rules}
    assert {"app/.env", "app/compose.yaml", "app/other/compose.yaml", "app/compose.override.yaml",
            "app/Dockerfile", "crlf/.env"} <= paths


def test_messages_are_not_garbled_by_vendor_default_passwords(planted):
    root, _p = planted
    report = json.loads(run("scan", "app/compose.yaml", "--format", "json", cwd=root).stdout)
    texts = " ".join(f["message"] for f in report["findings"])
    assert 'service "db" uses image postgres:latest with the latest tag' in texts
    assert "default credential in POSTGRES_PASSWORD" in texts
    assert "****(8 chars):latest" not in texts and 'service "****' not in texts


def _inspect(p: Planted):
    return [{
        "Id": "f" * 64, "Name": "/planted", "Created": "2024-01-01T00:00:00Z",
        "State": {"Status": "running", "Running": True},
        "Config": {
            "Image": "redis:7", "User": "",
            "Env": [f"REDIS_PASSWORD={p.password('li-env', '!%^*-_+=.,~')}", "PATH=/usr/bin"],
            "Cmd": ["redis-server", "--requirepass", p.password("li-cmd", "!%^*-_+=.,~")],
            "Labels": {"com.example.db-password": p.password("li-label", "!%^*-_+=.,~"),
                       "com.example.dsn": f"postgres://app:{p.url_password('li-label-url')}@db:5432/x"},
            "Healthcheck": {"Test": ["CMD-SHELL", f"redis-cli -a {p.password('li-health', '!%^*-_+=.,~')} ping"]},
        },
        "Args": ["sh", "-c", f"redis-server --requirepass {p.password('li-args', '!%^*-_+=.,~')}"],
        "HostConfig": {"Privileged": False, "LogConfig": {"Type": "splunk", "Config": {
            "splunk-token": p.password("li-splunk", "-_.~"), "splunk-url": "https://splunk:8088"}}},
        "Mounts": [], "NetworkSettings": {"Ports": {}},
    }]


def test_live_from_saved_json_shows_no_planted_secret(tmp_path):
    p = Planted(SEED + 1)
    inspect = tmp_path / "inspect.json"
    inspect.write_text(json.dumps(_inspect(p)))
    proxy = p.url_password("info-proxy")
    info = tmp_path / "info.json"
    info.write_text(json.dumps({"ID": "x", "Name": "node1", "ServerVersion": "24.0.7",
                                "HttpProxy": f"http://proxyuser:{proxy}@proxy.example.com:3128",
                                "HttpsProxy": f"http://proxyuser:{proxy}@proxy.example.com:3128",
                                "SecurityOptions": [], "LoggingDriver": "json-file"}))
    outputs = []
    for fmt in ("text", "json", "sarif"):
        proc = run("live", "--from-inspect", str(inspect), "--from-info", str(info), "--format", fmt,
                   "--evidence", str(tmp_path / f"evidence-{fmt}"), cwd=str(tmp_path))
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        outputs += _outputs_of(proc, f"live {fmt}") + _files_under(str(tmp_path / f"evidence-{fmt}"))
    assert any("/containers/" in path for path, _ in outputs if path.startswith(str(tmp_path)))
    _assert_no_leaks(p, outputs)


def test_live_host_urls_with_credentials_are_masked_on_stderr(tmp_path):
    p = Planted(SEED + 2)
    host = f"tcp://ops:{p.url_password('host-flag')}@127.0.0.1:9"
    env_host = f"tcp://ops:{p.password('docker-host-env', '-_.~')}@127.0.0.1:9"
    outputs = []
    proc = run("live", "--host", host, "--timeout", "2", cwd=str(tmp_path))
    outputs += _outputs_of(proc, "--host")
    proc = run("live", "--timeout", "2", "--format", "json", cwd=str(tmp_path), env={"DOCKER_HOST": env_host})
    outputs += _outputs_of(proc, "DOCKER_HOST")
    assert proc.returncode == 2
    import hashlib

    meta = tmp_path / "cfg" / "contexts" / "meta" / hashlib.sha256(b"prod").hexdigest()
    meta.mkdir(parents=True)
    context_host = f"tcp://ops:{p.url_password('context-host')}@127.0.0.1:9"
    (meta / "meta.json").write_text(json.dumps({"Name": "prod", "Endpoints": {"docker": {"Host": context_host}}}))
    proc = run("live", "--context", "prod", "--timeout", "2", cwd=str(tmp_path),
               env={"DOCKER_CONFIG": str(tmp_path / "cfg")})
    outputs += _outputs_of(proc, "--context")
    assert proc.returncode == 2 and "ops:****" in proc.stderr, proc.stderr
    _assert_no_leaks(p, outputs)


def test_live_engine_container_with_secrets_everywhere(docker_engine, tmp_path):
    p = Planted(SEED + 3)
    client = docker_engine.client
    container = client.containers.create(
        "hs-busybox:1.0", ["sh", "-c", f"sleep 3600 --requirepass {p.password('eng-cmd', '!%^*-_+=.,~')}"],
        name=f"planted-{SEED % 100000}",
        environment={"API_TOKEN": p.github("eng-env"), "DATABASE_URL":
                     f"postgres://app:{p.url_password('eng-env-url')}@db/x"},
        labels={"com.example.password": p.password("eng-label", "!%^*-_+=.,~"),
                "com.example.webhook": p.slack_webhook("eng-label-webhook")},
        healthcheck={"test": ["CMD-SHELL", f"wget --header='Authorization: Bearer {p.openai('eng-health')}' "
                              "-qO- http://localhost/"], "interval": 30_000_000_000},
        log_config={"type": "json-file", "config": {"labels": "x", "max-size": "1m"}},
        init=True)
    try:
        container.start()
        outputs = []
        for fmt in ("text", "json", "sarif"):
            evidence = tmp_path / f"ev-{fmt}"
            proc = run("live", "--host", docker_engine.host, "--container", container.name, "--format", fmt,
                       "--evidence", str(evidence), cwd=str(tmp_path))
            assert proc.returncode in (0, 1), proc.stderr[-2000:]
            outputs += _outputs_of(proc, f"engine {fmt}") + _files_under(str(evidence))
        assert any(path.endswith(".json") for path, _ in outputs if path.startswith(str(tmp_path)))
        _assert_no_leaks(p, outputs)
    finally:
        container.remove(force=True)


def test_split_scan_spill_files_hold_no_planted_secret(tmp_path, monkeypatch):
    """A 300+ file tree split across worker processes: the spill directory, read while the result is still
    being written out, and the report."""
    import tempfile

    from hipaa_scan.scan import forked
    from hipaa_scan.engine import ScanOptions, scan_paths
    from hipaa_scan.report import jsonfmt  # noqa: F401  (the encoder the CLI would give)

    p = Planted(SEED + 4)
    tree = tmp_path / "tree"
    for i in range(320):
        d = tree / f"svc{i:03d}"
        d.mkdir(parents=True)
        (d / ".env").write_text(f'API_TOKEN="{p.password(f"split-{i}", "!%^*-_+=.,~")}"\n'
                                f"URL=https://u:{p.url_password(f'split-url-{i}')}@h.example.com/x\n")
        if i % 10 == 0:
            (d / "Dockerfile").write_text(f"FROM alpine:3\nENV SECRET_KEY my\\ {p.password(f'split-df-{i}')}\n")
    spill_root = tmp_path / "spill"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    seen = []
    original = forked.spill_notes

    def watching(path, notes):
        out = original(path, notes)
        seen.extend(_files_under(str(spill_root)))  # while the scan runs: the worker's part files so far
        return out

    monkeypatch.setattr(forked, "spill_notes", watching)
    result = scan_paths([str(tree)], ScanOptions(jobs=2))
    seen.extend(_files_under(str(spill_root)))
    texts = [(f"finding {f.rule_id}", " ".join(str(x) for x in (f.message, f.evidence, f.snippet)))
             for f in result.findings]
    assert len(texts) >= 320
    assert any(path.startswith(str(spill_root)) for path, _ in seen)
    _assert_no_leaks(p, seen + texts + [("notes", "\n".join(result.notes))])


def test_the_check_itself_sees_a_leak():
    """The leak check must fail on a leak: a masked value passes, the value itself does not."""
    p = Planted(1)
    secret = p.password("x")
    assert p.leaks("masked", "DB_PASSWORD=****(22 chars)") == []
    assert p.leaks("leaked", f"DB_PASSWORD={secret[:3]}{secret[3:]}") != []
    assert p.leaks("json-escaped", json.dumps({"v": secret})) != []
