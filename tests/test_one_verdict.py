"""Issue 16, item 3: one verdict. Files named on the command line (as pre-commit passes them) are judged inside the
Compose project they belong to, as `scan .` judges them, and only findings in the named files are reported."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from hipaa_scan.engine import ScanOptions, scan_paths

PINNED = "python:3.12-slim@sha256:" + "a" * 64


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _seen(result, only=None):
    return sorted((f.rule_id, f.location.path, f.location.line, f.suppressed) for f in result.findings
                  if only is None or f.location.path in only)


# Each case: the files of a repository, the files a commit names, and the findings in them `scan .` gives.
CASES = {
    "compose user: overrides a Dockerfile without USER": (
        {"api/Dockerfile": f"FROM {PINNED}\nHEALTHCHECK CMD true\n",
         "compose.yaml": "services:\n  api:\n    build: ./api\n    user: '1000:1000'\n    ports: ['5432:5432']\n"},
        ["api/Dockerfile"], [("HS101", "api/Dockerfile", 1, True)]),
    "compose healthcheck: overrides a Dockerfile without HEALTHCHECK": (
        {"api/Dockerfile": f"FROM {PINNED}\nUSER 1000\n",
         "compose.yaml": "services:\n  api:\n    build: ./api\n    healthcheck:\n      test: ['CMD', 'true']\n"},
        ["api/Dockerfile"], [("HS303", "api/Dockerfile", 1, True)]),
    "a project in a subfolder, the commit run from the repository root": (
        {"deploy/app/Dockerfile": f"FROM {PINNED}\nHEALTHCHECK CMD true\n",
         "deploy/compose.yaml": "services:\n  app:\n    build: ./app\n    user: '10001'\n"},
        ["deploy/app/Dockerfile"], [("HS101", "deploy/app/Dockerfile", 1, True)]),
    "the override file's privileged is reported only when it is named": (
        {"compose.yaml": "services:\n  web:\n    image: nginx:1.27.0\n",
         "compose.override.yaml": "services:\n  web:\n    privileged: true\n"},
        ["compose.override.yaml"], [("HS102", "compose.override.yaml", 3, False)]),
    "a named compose file whose override makes it privileged: not its finding": (
        {"compose.yaml": "services:\n  web:\n    image: nginx:1.27.0\n",
         "compose.override.yaml": "services:\n  web:\n    privileged: true\n"},
        ["compose.yaml"], None),
    "a Dockerfile no project builds is judged as written": (
        {"tools/Dockerfile": f"FROM {PINNED}\nHEALTHCHECK CMD true\n",
         "compose.yaml": "services:\n  web:\n    image: nginx:1.27.0\n    user: '101'\n"},
        ["tools/Dockerfile"], [("HS101", "tools/Dockerfile", 1, False)]),
    "no project at all": (
        {"Dockerfile": f"FROM {PINNED}\nHEALTHCHECK CMD true\n"},
        ["Dockerfile"], [("HS101", "Dockerfile", 1, False)]),
    "two Dockerfiles of one project, one named": (
        {"a/Dockerfile": f"FROM {PINNED}\nHEALTHCHECK CMD true\n", "b/Dockerfile": f"FROM {PINNED}\n",
         "compose.yaml": "services:\n  a:\n    build: ./a\n    user: '1000'\n  b:\n    build: ./b\n"},
        ["a/Dockerfile"], [("HS101", "a/Dockerfile", 1, True)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_named_files_get_the_verdict_of_scan_dot(case, tmp_path, monkeypatch):
    files, named, expected = CASES[case]
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    whole = scan_paths(["."], ScanOptions())
    alone = scan_paths(named, ScanOptions())
    assert _seen(alone) == _seen(whole, set(named))  # the same verdict, and nothing about the files not named
    if expected is not None:
        assert [s for s in _seen(alone) if s[0] in {e[0] for e in expected}] == expected
    else:
        assert not any(f.rule_id == "HS102" for f in alone.findings)


def test_the_cli_exit_code_agrees(tmp_path):
    """The pre-commit command line (-q, names) exits 0 where `scan .` has nothing at or above high in the file."""
    files, named, _ = CASES["compose user: overrides a Dockerfile without USER"]
    _write(tmp_path, files)
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "-q", *named], cwd=tmp_path,
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    # the compose file's published datastore port (HS501) is reported when compose.yaml is named, not before
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "-q", "compose.yaml", *named], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "HS501" in proc.stdout and "HS101" not in proc.stdout


def test_a_broken_compose_file_of_the_project_is_an_error_for_the_named_file(tmp_path, monkeypatch):
    _write(tmp_path, {"api/Dockerfile": f"FROM {PINNED}\n", "compose.yaml": "services:\n  api: [\n"})
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["api/Dockerfile"], ScanOptions())
    assert [e.path for e in result.errors] == ["compose.yaml"]
    assert result.exit_code("high") == 2


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_pre_commit_try_repo_gives_the_verdict_of_scan_dot(tmp_path):
    """The hook as pre-commit installs it (a virtualenv of this repository, built from the local package index
    offline), on a repository where compose sets `user:` for a Dockerfile without USER."""
    pre_commit = os.path.join(os.path.dirname(sys.executable), "pre-commit")
    if not os.path.exists(pre_commit):
        pytest.skip("pre-commit is not installed (the test extra)")
    repo = tmp_path / "repo"
    home = tmp_path / "home"
    files, named, _ = CASES["compose user: overrides a Dockerfile without USER"]
    _write(repo, files)
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), PRE_COMMIT_HOME=str(home / "pre-commit"),
               GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    env.pop("NO_COLOR", None)

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")

    def try_repo(*names):
        return subprocess.run([pre_commit, "try-repo", ROOT, "hipaa-scan", "--color", "never", "--files", *names],
                              cwd=repo, env=env, capture_output=True, text=True, timeout=600)

    proc = try_repo(*named)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hipaa-scan" in proc.stdout and "Passed" in proc.stdout
    whole = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "-q", "."], cwd=repo, env=env,
                           capture_output=True, text=True)
    assert whole.returncode == 1 and "HS501" in whole.stdout  # scan . blocks on the compose file's port...
    proc = try_repo("compose.yaml", *named)  # ...and so does the hook once compose.yaml is in the commit
    assert proc.returncode == 1 and "HS501" in proc.stdout and "Failed" in proc.stdout


def test_the_readme_pre_commit_snippet_names_a_revision_that_exists():
    """README's snippet is true as written: its hook id is the one .pre-commit-hooks.yaml declares, and its `rev:`
    names a tag, branch or commit of this repository."""
    import re

    import yaml

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    snippet = re.search(r"```yaml\n# \.pre-commit-config\.yaml\n(.*?)```", readme, re.S).group(1)
    [repo] = yaml.safe_load(snippet)["repos"]
    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as handle:
        hooks = [hook["id"] for hook in yaml.safe_load(handle)]
    assert [hook["id"] for hook in repo["hooks"]] == hooks == ["hipaa-scan"]
    rev = str(repo["rev"])
    if shutil.which("git") is None or not os.path.exists(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname)"], cwd=ROOT, capture_output=True,
                          text=True).stdout.split()
    known = {ref.rsplit("/", 1)[-1] for ref in refs if ref.startswith(("refs/tags/", "refs/heads/", "refs/remotes/"))}
    commit = subprocess.run(["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert rev in known or (re.fullmatch(r"[0-9a-f]{40}", rev) and commit.returncode == 0), rev
    assert not re.fullmatch(r"v\d+(\.\d+)*", rev) or f"refs/tags/{rev}" in refs  # a release tag must exist


def test_a_missing_named_file_is_still_an_error_beside_a_widened_one(tmp_path, monkeypatch):
    files, named, _ = CASES["compose user: overrides a Dockerfile without USER"]
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = scan_paths([*named, "gone/Dockerfile"], ScanOptions())
    assert [(e.path, e.message) for e in result.errors] == [("gone/Dockerfile", "no such file or directory")]
    assert _seen(result) == [("HS101", "api/Dockerfile", 1, True)]
