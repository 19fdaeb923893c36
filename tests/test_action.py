"""The composite GitHub Action (action.yml at the repository root): its shape, and its `run:` steps run locally
with bash as the runner runs them (`bash --noprofile --norc -eo pipefail`), with the GITHUB_* files in tmp_path and
the scanner installed into a virtualenv of its own."""

import json
import os
import re
import subprocess
import venv

import pytest
import yaml

from conftest import ROOT

ACTION = os.path.join(ROOT, "action.yml")


def _action():
    with open(ACTION, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_action_is_composite_installs_runs_and_uploads():
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert [s.get("uses") for s in steps if "uses" in s] == ["github/codeql-action/upload-sarif@v3"]
    upload = next(s for s in steps if "uses" in s)
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}" and upload["if"].startswith("always()")
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            # inputs reach a script through its environment, never pasted into it (script injection)
            assert "${{" not in step["run"], step["name"]


def _expand(value, inputs, outputs):
    def one(match):
        expr = match.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr.startswith("steps."):
            _steps, step, _outputs, name = expr.split(".", 3)
            return outputs.get(step, {}).get(name, "")
        raise AssertionError(f"unexpected expression {expr}")

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


def _run_action(tmp_path, workspace, bindir, skip=(), **given):
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    outputs = {}
    log = []
    for step in action["runs"]["steps"]:
        if "run" not in step or step["name"] in skip:
            continue  # the upload (a JavaScript action of GitHub's) is not run here
        output_file = tmp_path / f"output-{len(log)}"
        output_file.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DOCKER_"))}
        env.update({name: _expand(value, inputs, outputs) for name, value in (step.get("env") or {}).items()})
        env.update(PATH=f"{bindir}{os.pathsep}{env['PATH']}", GITHUB_ACTION_PATH=ROOT, GITHUB_WORKSPACE=str(workspace),
                   GITHUB_OUTPUT=str(output_file), GITHUB_ENV=str(tmp_path / "env"),
                   GITHUB_STEP_SUMMARY=str(tmp_path / "summary"), RUNNER_TEMP=str(tmp_path))
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
        log.append((step["name"], proc))
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        if proc.returncode != 0:
            break
    return log, outputs


@pytest.fixture(scope="module")
def action_venv(tmp_path_factory):
    """A virtualenv whose python3 the install step's `python3 -m pip` installs the scanner into (from the local
    package index, offline)."""
    where = tmp_path_factory.mktemp("action-venv")
    venv.EnvBuilder(with_pip=True).create(where)
    return where / "bin"


def test_the_run_steps_scan_annotate_and_fail_the_job(tmp_path, action_venv):
    workspace = tmp_path / "repo"
    (workspace / "api").mkdir(parents=True)
    (workspace / "api" / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    (workspace / "compose.yaml").write_text("services:\n  db:\n    image: postgres:16.3\n    ports: ['5432:5432']\n")
    log, outputs = _run_action(tmp_path, workspace, action_venv)
    names = [name for name, _proc in log]
    assert names == ["Install hipaa-scan", "Scan", "Verdict"]
    install, scan, verdict = (proc for _name, proc in log)
    assert install.returncode == 0, install.stderr
    assert scan.returncode == 0 and outputs["scan"] == {"exit-code": "1"}
    sarif = json.loads((workspace / "hipaa-scan.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert {"HS101", "HS501"} <= {r["ruleId"] for r in results}
    assert sarif["runs"][0]["automationDetails"]["id"] == "hipaa-scan/"
    # the annotations: workflow commands on the pull request's lines
    assert "::error file=api/Dockerfile,line=2,title=HS101 root-user::" in scan.stdout
    assert verdict.returncode == 1 and "hipaa-scan exited 1" in verdict.stdout


def test_fail_on_never_passes_and_an_error_fails_with_exit_2(tmp_path, action_venv):
    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    installed = ("Install hipaa-scan",)  # by the test before (the module's virtualenv)
    if not (action_venv / "hipaa-scan").exists():
        installed = ()
    log, outputs = _run_action(tmp_path, workspace, action_venv, installed,
                               **{"fail-on": "never", "annotations": "false"})
    assert [proc.returncode for name, proc in log if name != "Install hipaa-scan"] == [0, 0]
    assert outputs["scan"] == {"exit-code": "0"}
    scan = dict(log)["Scan"]
    assert "::" not in scan.stdout
    (workspace / "compose.yaml").write_text("services:\n  a: [\n")
    log, outputs = _run_action(tmp_path, workspace, action_venv, ("Install hipaa-scan",),
                               **{"fail-on": "never", "sarif-file": "out.sarif"})
    assert outputs["scan"] == {"exit-code": "2"}
    scan = dict(log)["Scan"]
    assert "error: compose.yaml:" in scan.stderr  # never silent: the error is named in the job's log
    assert "::error file=compose.yaml,title=hipaa-scan parse error::" in scan.stdout
    assert dict(log)["Verdict"].returncode == 2
    assert json.loads((workspace / "out.sarif").read_text())["runs"][0]["invocations"][0]["executionSuccessful"] is False

