"""The context index (issue 11 §3, performance): what each unnamed file of a repository holds of the context
kinds is kept between pre-commit runs, keyed by the file's size, modification and change times and inode.
An edit between two runs changes the result; a corrupt, foreign or unwritable cache is ignored; the cache
lives in the user's cache directory, never in the scanned repository."""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import scan_json, write

from llmlint.cache import cache_dir

VLLM = "        - name: v\n          image: vllm/vllm-openai:v0.8.5\n          args: [--model, Qwen/Qwen2.5-7B-Instruct]\n"
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: qwen-svc}\nspec:\n  replicas: 2\n"
    "  selector: {matchLabels: {app: qwen-svc}}\n"
    "  template:\n    metadata: {labels: {app: qwen-svc}}\n    spec:\n      containers:\n" + VLLM
)
# a budget for the named Deployment's pods, and text of the same length that holds no context object
PDB = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: qwen-svc}}\n"
NOT_A_PDB = PDB.replace("PodDisruptionBudget", "PodDisruptionBudgex")
HOUR_AGO = 3600


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root, "apps/deploy.yaml", DEPLOY)
    return root


def aged(path: Path, seconds_ago: int = HOUR_AGO) -> Path:
    """Set the file's modification time in the past (a file changed just now is not kept)."""
    t = os.stat(path).st_mtime - seconds_ago
    os.utime(path, (t, t))
    return path


def llm005(root: Path) -> list[dict[str, Any]]:
    """LLM005 (no disruption budget) findings of a pre-commit run naming the Deployment alone."""
    _, report = scan_json("apps/deploy.yaml", cwd=root)
    assert report["errors"] == []
    return [f for f in report["findings"] if f["rule"] == "LLM005"]


def index_file() -> Path:
    found = sorted(Path(cache_dir()).glob("context-*.marshal"))
    assert len(found) == 1
    return found[0]


def entries() -> dict[str, Any]:
    salt, data = marshal.loads(index_file().read_bytes())
    assert isinstance(salt, str)
    return dict(data)


def test_an_edit_between_two_runs_changes_the_result(repo: Path) -> None:
    pdb = aged(write(repo, "policies/pdb.yaml", NOT_A_PDB))
    write(repo, "policies/other.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")  # just written
    assert len(llm005(repo)) == 1
    kept = entries()
    assert kept[str(pdb)][1] == 0  # known to hold no context object
    assert str(repo / "policies/other.yaml") not in kept  # changed a moment ago: not kept
    assert not list(repo.rglob("*.marshal"))  # never inside the scanned repository
    # the same size, another modification time: read again, and the budget now counts
    pdb.write_text(PDB, encoding="utf-8")
    aged(pdb, HOUR_AGO // 2)
    assert llm005(repo) == []
    assert entries()[str(pdb)][1] != 0
    # and back: the budget is gone
    pdb.write_text(NOT_A_PDB, encoding="utf-8")
    aged(pdb, HOUR_AGO // 3)
    assert len(llm005(repo)) == 1


def test_an_edit_hidden_behind_a_restored_mtime_is_still_seen(repo: Path) -> None:
    pdb = aged(write(repo, "policies/pdb.yaml", NOT_A_PDB))
    assert len(llm005(repo)) == 1
    before = os.stat(pdb)
    pdb.write_text(PDB, encoding="utf-8")  # same size
    os.utime(pdb, ns=(before.st_atime_ns, before.st_mtime_ns))  # ``touch -d``: size and mtime as before
    assert llm005(repo) == []  # the change time differs: the file is read again


def test_the_index_is_used_and_a_cache_others_may_write_is_not(repo: Path) -> None:
    pdb = aged(write(repo, "policies/pdb.yaml", PDB))
    assert llm005(repo) == []
    # A forged index saying the budget's file holds nothing: believed when it is the user's own ...
    path = index_file()
    salt, data = marshal.loads(path.read_bytes())
    key, _ = data[str(pdb)]
    path.write_bytes(marshal.dumps((salt, {**data, str(pdb): (key, 0)})))
    os.chmod(path, 0o600)
    assert len(llm005(repo)) == 1  # (the index is what decides: the file was not read)
    # ... and ignored when another user could have written it
    path.write_bytes(marshal.dumps((salt, {**data, str(pdb): (key, 0)})))
    os.chmod(path, 0o666)
    assert llm005(repo) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_a_cache_owned_by_another_user_is_not_trusted(repo: Path) -> None:
    pdb = aged(write(repo, "policies/pdb.yaml", PDB))
    assert llm005(repo) == []
    path = index_file()
    salt, data = marshal.loads(path.read_bytes())
    key, _ = data[str(pdb)]
    path.write_bytes(marshal.dumps((salt, {**data, str(pdb): (key, 0)})))
    os.chmod(path, 0o600)
    os.chown(path, 12345, -1)
    assert llm005(repo) == []


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00\x01garbage", b"\xff" * 64, marshal.dumps([1, 2, 3]), marshal.dumps(("salt", {"x": 1}))],
    ids=["empty", "bytes", "ff", "a list", "wrong salt"],
)
def test_a_corrupt_cache_file_is_ignored(repo: Path, garbage: bytes) -> None:
    aged(write(repo, "policies/pdb.yaml", PDB))
    assert llm005(repo) == []
    path = index_file()
    good = path.read_bytes()
    path.write_bytes(garbage)
    assert llm005(repo) == []
    assert path.read_bytes() == good  # rewritten from the files


def test_a_truncated_cache_file_is_ignored(repo: Path) -> None:
    aged(write(repo, "policies/pdb.yaml", PDB))
    assert llm005(repo) == []
    path = index_file()
    path.write_bytes(path.read_bytes()[:-7])
    assert llm005(repo) == []


def test_an_unwritable_cache_is_no_error(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # ~/.cache is a file: nothing can be written
    pdb = aged(write(repo, "policies/pdb.yaml", NOT_A_PDB))
    assert len(llm005(repo)) == 1
    pdb.write_text(PDB, encoding="utf-8")
    aged(pdb, HOUR_AGO // 2)
    assert llm005(repo) == []


def test_a_file_that_holds_only_other_objects_is_skipped_but_a_network_policy_is_read(repo: Path) -> None:
    # a NetworkPolicy is read whatever the needles (``podSelector: {}`` selects every pod); a ConfigMap
    # that names none of the workload's words is not
    netpol = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: all}\nspec:\n  podSelector: {}\n"
    aged(write(repo, "net/all.yaml", netpol))
    aged(
        write(
            repo,
            "cm/unrelated.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: zzz}\ndata: {k: v}\n",
        )
    )
    from llmlint.engine import Settings, scan

    old = os.getcwd()
    os.chdir(repo)
    try:
        for _ in range(2):  # the first run fills the index, the second reads from it
            result = scan(["apps/deploy.yaml"], Settings())
            assert sorted((o.kind, o.context) for o in result.graph.objects) == [
                ("Deployment", False),
                ("NetworkPolicy", True),
            ]
    finally:
        os.chdir(old)
    assert entries()[str(repo / "net/all.yaml")][1] == 1
    assert isinstance(entries()[str(repo / "cm/unrelated.yaml")][1], tuple)


@pytest.mark.parametrize("spoilt", [("a", "b"), (0, 10**30), (5,), "x", [1, 2], 7])
def test_a_spoilt_entry_of_the_users_own_index_means_the_file_is_read(repo: Path, spoilt: Any) -> None:
    pdb = aged(write(repo, "policies/pdb.yaml", PDB))
    assert llm005(repo) == []
    path = index_file()
    salt, data = marshal.loads(path.read_bytes())
    key, _ = data[str(pdb)]
    path.write_bytes(marshal.dumps((salt, {**data, str(pdb): (key, spoilt)})))
    os.chmod(path, 0o600)
    assert llm005(repo) == []
