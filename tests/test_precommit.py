"""A real ``pre-commit try-repo`` of this repository's hooks.

The working tree (as it is now, committed or not) is copied into a temporary git repository with one
commit, and ``pre-commit try-repo <that repo> <hook> --files …`` runs inside a second temporary git
repository holding manifests. pre-commit builds the hook's environment as its users' machines do
(``language: python``: a virtualenv and ``pip install`` of the hook repository, which needs the package
index or pip's cache). ``try-repo`` always uses a throw-away store, so every call builds it again: about
10 s each on the development machine, about 35 s for this module. When the package index cannot be
reached the tests are skipped, naming the pip error, rather than failing on the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, SEED

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
SKIP_PARTS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "node_modules",
}
CLEAN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
NETWORK_ERRORS = (
    "Could not find a version that satisfies",
    "Failed to establish a new connection",
    "No matching distribution",
    "Temporary failure in name resolution",
)


def _git(*args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def _ignore(directory: str, names: list[str]) -> set[str]:
    rel = Path(directory).resolve().relative_to(ROOT)
    skipped = {n for n in names if n in SKIP_PARTS or n.endswith(".egg-info")}
    if rel == Path("bench"):
        skipped |= {n for n in names if n == "out"}
    return skipped


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("hook") / "llmlint"
    shutil.copytree(ROOT, repo, ignore=_ignore, symlinks=True)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "--no-verify", "-m", "llmlint working tree", cwd=repo)
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    proj = tmp_path / "project"
    proj.mkdir()
    _git("init", "-q", cwd=proj)
    for name, text in files.items():
        (proj / name).write_text(text, encoding="utf-8")
    _git("add", "-A", cwd=proj)
    return proj


def _try_repo(
    hook_repo: Path, home: Path, proj: Path, hook: str, *files: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env["PRE_COMMIT_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    start = time.monotonic()
    proc = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(hook_repo), hook, "--files", *files, "--color", "never"],
        cwd=proj,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    took = time.monotonic() - start
    print(f"pre-commit try-repo {hook} {' '.join(files)}: exit {proc.returncode} in {took:.1f}s")
    if proc.returncode not in (0, 1):  # pre-commit itself failed (3): most often installing the environment
        detail = proc.stdout + proc.stderr
        if any(e in detail for e in NETWORK_ERRORS):
            pytest.skip(
                f"pre-commit could not install the hook environment (no package index?): {detail[-800:]}"
            )
        pytest.fail(f"pre-commit failed (exit {proc.returncode}):\n{detail[-3000:]}")
    return proc


def test_hooks_file_declares_both_hooks() -> None:
    hooks = {
        h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    assert set(hooks) == {"llmlint", "llmlint-fix"}
    for h in hooks.values():
        assert h["language"] == "python"
        assert h["types"] == ["yaml"]
        assert h.get("pass_filenames", True) is True
        assert h["entry"].startswith("llmlint scan")
    assert "--fix" in hooks["llmlint-fix"]["entry"] and "--fix" not in hooks["llmlint"]["entry"]


def test_try_repo_fails_on_tgi_and_passes_on_a_clean_manifest(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    proj = _project(
        tmp_path,
        {
            "tgi-deployment.yaml": (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8"),
            "web.yaml": CLEAN,
        },
    )
    bad = _try_repo(hook_repo, pre_commit_home, proj, "llmlint", "tgi-deployment.yaml")
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "LLM007" in out and "Failed" in out
    assert "Traceback" not in out

    good = _try_repo(hook_repo, pre_commit_home, proj, "llmlint", "web.yaml")
    out = good.stdout + good.stderr
    assert good.returncode == 0, out
    assert "Passed" in out and "LLM" not in out.split("Passed")[-1]


def test_try_repo_fix_hook_rewrites_the_file(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    text = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8").replace(
        "            periodSeconds: 10\n          volumeMounts:",
        "            periodSeconds: 10\n          livenessProbe: {httpGet: {path: /health, port: 8080}}\n"
        "          volumeMounts:",
        1,
    )  # a short liveness probe: LLM001's startupProbe fix only extends it (safe)
    proj = _project(tmp_path, {"tgi-deployment.yaml": text})
    proc = _try_repo(hook_repo, pre_commit_home, proj, "llmlint-fix", "tgi-deployment.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # files were modified (and the unsafe LLM007 fix is not applied)
    fixed = (proj / "tgi-deployment.yaml").read_text(encoding="utf-8")
    assert "startupProbe" in fixed and "startupProbe" not in text  # the safe LLM001 fix
    assert "text-generation-inference" in fixed  # no unsafe fix without --unsafe-fixes


def test_a_config_pinned_to_a_commit_runs(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    """The guide's .pre-commit-config.yaml with ``rev`` = a commit SHA (llmlint has no release tag yet)."""
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    config = f"repos:\n  - repo: {hook_repo}\n    rev: {sha}\n    hooks:\n      - id: llmlint\n"
    proj = _project(
        tmp_path,
        {
            "tgi-deployment.yaml": (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8"),
            ".pre-commit-config.yaml": config,
        },
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update(PRE_COMMIT_HOME=str(pre_commit_home), NO_COLOR="1")
    proc = subprocess.run(
        [str(PRE_COMMIT), "run", "--all-files", "--color", "never"],
        cwd=proj,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1) and any(e in out for e in NETWORK_ERRORS):
        pytest.skip(f"pre-commit could not install the hook environment: {out[-800:]}")
    assert proc.returncode == 1, out
    assert "tgi-deployment.yaml:23:11: LLM007 warning " in out and "Failed" in out
    guide = (ROOT / "docs" / "guides" / "pre-commit.md").read_text(encoding="utf-8")
    assert "rev: <tag-or-commit-sha>" in guide and "v0.1.0" not in guide
