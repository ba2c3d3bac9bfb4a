"""The composite GitHub Action (``action.yml``): its shell steps run here as the runner runs them — bash,
the step's ``env`` with the inputs, ``GITHUB_OUTPUT`` — in a real git repository, with llmlint installed by
the action's own install step from this checkout into a fresh virtual environment. The ``uses:`` steps
(setup-python, upload-sarif) cannot run here: their wiring is checked instead."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROOT, SEED, write

TGI = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]


def _step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s["name"] == name)


def _inputs(**given: str) -> dict[str, str]:
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in given.items()})
    return values


def _eval(expr: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    if expr == "github.action_path":
        return str(ROOT)
    if expr.startswith("inputs."):
        return inputs[expr[len("inputs.") :]]
    m = re.fullmatch(r"steps\.scan\.outputs\.([\w-]+)", expr)
    if m:
        return outputs.get(m.group(1), "")
    raise AssertionError(f"an expression the test does not know: {expr}")


def _condition(cond: str, inputs: dict[str, str], outputs: dict[str, str]) -> bool:
    """The few ``if:`` forms action.yml uses: ``always()``, ``a == 'x'``, ``a != 'x'``, joined by ``&&``."""
    ok = True
    for part in (p.strip() for p in cond.split("&&")):
        if part == "always()":
            continue
        m = re.fullmatch(r"([\w.-]+) (==|!=) '([^']*)'", part)
        assert m, part
        value = _eval(m.group(1), inputs, outputs)
        ok = ok and ((value == m.group(3)) == (m.group(2) == "=="))
    return ok


def _run(
    step: dict[str, Any], cwd: Path, env: dict[str, str], inputs: dict[str, str], outputs: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    assert step["shell"] == "bash" and "${{" not in step["run"], "inputs reach scripts only through env"
    step_env = {
        k: EXPR.sub(lambda m: _eval(m.group(1), inputs, outputs), str(v))
        for k, v in step.get("env", {}).items()
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**env, **step_env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A runner's environment: a Python of its own (the setup-python step's stand-in) with the action's
    install step run in it."""
    home = tmp_path_factory.mktemp("runner")
    venv = home / "python"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "HOME": str(home),
        "RUNNER_TEMP": str(home / "tmp"),
        "NO_COLOR": "1",
        "GITHUB_ACTIONS": "true",
    }
    if "PIP_CACHE_DIR" in os.environ:
        env["PIP_CACHE_DIR"] = os.environ["PIP_CACHE_DIR"]
    (home / "tmp").mkdir()
    proc = _run(_step("Install llmlint"), home, env, _inputs(), {})
    if proc.returncode != 0 and any(
        s in proc.stderr for s in ("Failed to establish a new connection", "No matching distribution")
    ):
        pytest.skip(f"the package index cannot be reached: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("llmlint, version")
    # installed from the action's checkout into the runner's Python, not picked up from this source tree
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import llmlint; print(llmlint.__file__)"],
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
    ).stdout
    assert where.startswith(str(venv)), where
    return env


def _repo(tmp: Path, files: dict[str, str]) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp)], check=True)
    for name, text in files.items():
        write(tmp, name, text)
    return tmp


def _scan(
    repo: Path, runner: dict[str, str], **given: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], dict[str, str]]:
    out = repo / ".github-output"
    out.write_text("")
    env = {**runner, "GITHUB_OUTPUT": str(out)}
    inputs = _inputs(**given)
    proc = _run(_step("Scan"), repo, env, inputs, {})
    return proc, _outputs(out), inputs


def test_findings_write_sarif_annotate_and_fail_the_job(tmp_path: Path, runner: dict[str, str]) -> None:
    repo = _repo(tmp_path, {"k8s/tgi.yaml": TGI, "docs/readme.md": "# x\n"})
    proc, outputs, inputs = _scan(repo, runner, paths="k8s/")
    assert proc.returncode == 0, proc.stderr  # the scan step records the code; the last step fails the job
    assert outputs == {"exit-code": "1", "sarif-file": "llmlint.sarif"}
    sarif = json.loads((repo / "llmlint.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"LLM001", "LLM007"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"k8s/tgi.yaml"}
    assert re.search(r"^::error file=k8s/tgi\.yaml,line=\d+,col=\d+,title=LLM001::", proc.stdout, re.M)
    # the upload runs, on the file the scan wrote, even though the job will fail
    upload = _step("Upload to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert _condition(upload["if"], inputs, outputs)
    assert (
        EXPR.sub(lambda m: _eval(m.group(1), inputs, outputs), upload["with"]["sarif_file"])
        == "llmlint.sarif"
    )
    fail = _step("Fail on findings")
    assert _condition(fail["if"], inputs, outputs)
    done = _run(fail, repo, runner, inputs, outputs)
    assert done.returncode == 1 and "llmlint exited 1" in done.stderr


def test_a_clean_repository_passes_and_inputs_are_honoured(tmp_path: Path, runner: dict[str, str]) -> None:
    repo = _repo(
        tmp_path,
        {
            "a dir/tgi.yaml": TGI,
            "lint.yaml": "select: [LLM007]\nseverity: {LLM007: info}\n",
        },
    )
    proc, outputs, inputs = _scan(
        repo,
        runner,
        paths="'a dir'/tgi.yaml\n",
        config="lint.yaml",
        fail_on="warning",
        format="text",
        sarif_file="out/r.sarif",
    )
    # a path with a space cannot be passed through a whitespace-separated list; nothing is run as code
    assert outputs["exit-code"] == "2"
    proc, outputs, inputs = _scan(repo, runner, paths="a\\ dir", config="lint.yaml", format="text")
    assert outputs["exit-code"] == "2"
    (repo / "a dir").rename(repo / "k8s")
    (repo / "out").mkdir()
    proc, outputs, inputs = _scan(
        repo, runner, paths="k8s", config="lint.yaml", format="text", sarif_file="out/r.sarif"
    )
    assert outputs == {"exit-code": "0", "sarif-file": "out/r.sarif"}, proc.stderr
    results = json.loads((repo / "out" / "r.sarif").read_text())["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("LLM007", "note")]
    assert re.search(r"^k8s/tgi\.yaml:23:11: LLM007 info ", proc.stdout, re.M)  # the text report in the log
    assert not _condition(_step("Fail on findings")["if"], inputs, outputs)
    proc, outputs, inputs = _scan(repo, runner, paths="k8s", config="lint.yaml", fail_on="info")
    assert outputs["exit-code"] == "1"
    inputs["upload"] = "false"
    assert not _condition(_step("Upload to code scanning")["if"], inputs, outputs)


def test_a_hostile_input_is_data_not_code(tmp_path: Path, runner: dict[str, str]) -> None:
    repo = _repo(tmp_path, {"k8s/tgi.yaml": TGI})
    _, outputs, _ = _scan(repo, runner, paths='k8s"; touch pwned; echo "', config="$(touch pwned2)")
    assert not (repo / "pwned").exists() and not (repo / "pwned2").exists()
    assert outputs["exit-code"] == "2"


def test_the_guide_uses_the_action_with_its_permission() -> None:
    guide = (ROOT / "docs" / "guides" / "github-actions.md").read_text(encoding="utf-8")
    assert "uses: llmlint/llmlint@" in guide and "security-events: write" in guide
    for name in ACTION["inputs"]:
        assert f"`{name}`" in guide, name
    assert shutil.which("bash")
