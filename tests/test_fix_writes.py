"""Issue 12 (anchors) and issue 15 §3, §4, §8: what ``--fix`` may write, through the real CLI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml
from helpers import cli, scan_json, write

import llmlint.manifest.loader as loader

FIXABLE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct", "--gpu-memory-utilization=0.97"]
          resources:
            limits: {{nvidia.com/gpu: 1}}
"""


def _fixable(name: str = "vllm") -> str:
    return FIXABLE.format(name=name)


ANCHORED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  replicas: 1
  selector:
    matchLabels: {app: vllm}
  template:
    metadata:
      labels: {app: vllm}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct", "--tensor-parallel-size=2"]
          resources:
            limits: &lim
              nvidia.com/gpu: 1
        - name: log-shipper
          image: fluent/fluent-bit:3.0
          resources:
            limits: *lim
"""


def test_an_anchored_node_that_another_container_aliases_is_never_edited(tmp_path: Path) -> None:
    f = write(tmp_path, "a.yaml", ANCHORED)
    _code, _out, err = cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM010", "a.yaml", cwd=tmp_path)
    assert f.read_text() == ANCHORED  # the log shipper does not get a GPU
    assert "LLM010 fix not applied" in err and "YAML anchor that other places alias" in err
    _, report = scan_json("--select", "LLM010", "a.yaml", cwd=tmp_path)
    (finding,) = report["findings"]
    assert finding["fix"]["diff"] is None and finding["fix"]["json_patch"] is None
    assert "cannot be applied" in finding["fix"]["description"]


ALIAS_USE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
x-defaults:
  resources: &res
    limits:
      nvidia.com/gpu: 1  # one GPU each
spec:
  replicas: 1
  selector:
    matchLabels: {app: vllm}
  template:
    metadata:
      labels: {app: vllm}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct", "--tensor-parallel-size=2"]
          resources: *res
        - name: log-shipper
          image: fluent/fluent-bit:3.0
          resources: *res
"""


def test_an_edit_through_an_alias_writes_that_use_out_for_it_alone(tmp_path: Path) -> None:
    f = write(tmp_path, "a.yaml", ALIAS_USE)
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM010", "a.yaml", cwd=tmp_path)
    assert f.read_text() == ALIAS_USE.replace(
        "          resources: *res\n        - name: log-shipper",
        "          resources:\n            limits:\n              nvidia.com/gpu: 2\n        - name: log-shipper",
    )
    _, report = scan_json("--select", "LLM010", "a.yaml", cwd=tmp_path)
    assert report["findings"] == []


def test_an_alias_elsewhere_in_the_document_does_not_block_other_fixes(tmp_path: Path) -> None:
    text = (
        _fixable()
        + "          env:\n            - {name: A, value: &v x}\n            - {name: B, value: *v}\n"
    )
    f = write(tmp_path, "a.yaml", text)
    cli("scan", "--fix", "--select", "LLM003", "a.yaml", cwd=tmp_path)
    assert f.read_text() == text.replace("0.97", "0.90")


def _chained_aliases(n: int) -> str:
    """``n`` anchors, each aliasing the one before: shallow text, ``n`` levels of data."""
    return "x-chain:\n" + "".join(
        f"  s{i}: &s{i}\n    v: *s{i - 1}\n" if i else "  s0: &s0\n    v: 0\n" for i in range(n)
    )


def test_500_chained_aliases_cost_only_their_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the loader's alias budget is its own concern: let these through to reach the fixer
    monkeypatch.setattr(loader, "MAX_ALIAS_EXPANSION", 10**6)
    chained = _fixable("chained") + _chained_aliases(500)
    a = write(tmp_path, "chained.yaml", chained)
    b = write(tmp_path, "good.yaml", _fixable())
    _code, out, err = cli("scan", "--fix", "--select", "LLM003", ".", cwd=tmp_path)
    assert "Traceback" not in out + err and "RecursionError" not in out + err
    assert b.read_text() == _fixable().replace("0.97", "0.90")  # the other file is still fixed
    assert a.read_text() == chained  # reported, not fixed, not crashed
    assert err.count("nests too deeply") == 1, err
    _code, diff, err = cli("scan", "--diff", "--select", "LLM003", ".", cwd=tmp_path)
    assert "Traceback" not in diff + err
    _code, out, err = cli("scan", "--format", "json", "--select", "LLM003", ".", cwd=tmp_path)
    assert "Traceback" not in out + err
    json.loads(out)


# ---- writes: the tree, symlinks, read-only files (issue 15 §3, §4) --------------------------------------


def test_a_symlink_leaving_the_tree_is_not_written(tmp_path: Path) -> None:
    outside = write(tmp_path, "outside/prod.yaml", _fixable())
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "innocent.yaml").symlink_to("../outside/prod.yaml")
    _code, _out, err = cli("scan", "--fix", "--select", "LLM003", ".", cwd=repo)
    assert outside.read_text() == _fixable()
    assert "outside the scanned tree" in err
    # --diff writes nothing and may show it
    _code, diff, _ = cli("scan", "--diff", "--select", "LLM003", ".", cwd=repo)
    assert "+" in diff and outside.read_text() == _fixable()


def test_a_symlink_inside_the_tree_writes_its_target_and_stays_a_link(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    target = write(repo, "base/vllm.yaml", _fixable())
    (repo / "overlay").mkdir()
    link = repo / "overlay" / "vllm.yaml"
    link.symlink_to("../base/vllm.yaml")
    cli("scan", "--fix", "--select", "LLM003", "overlay", "base", cwd=repo)
    assert link.is_symlink() and os.readlink(link) == "../base/vllm.yaml"
    assert target.read_text() == _fixable().replace("0.97", "0.90")


def test_a_file_named_alone_may_link_inside_the_working_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    target = write(repo, "base/vllm.yaml", _fixable())
    (repo / "k8s").mkdir()
    (repo / "k8s" / "vllm.yaml").symlink_to("../base/vllm.yaml")
    cli("scan", "--fix", "--select", "LLM003", "k8s/vllm.yaml", cwd=repo)  # a pre-commit run
    assert target.read_text() == _fixable().replace("0.97", "0.90")


def test_a_read_only_file_is_reported_not_replaced(tmp_path: Path) -> None:
    f = write(tmp_path, "ro.yaml", _fixable())
    g = write(tmp_path, "rw.yaml", _fixable("other"))
    f.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    inode = f.stat().st_ino
    _code, out, err = cli("scan", "--fix", "--select", "LLM003", ".", cwd=tmp_path)
    assert f.read_text() == _fixable() and f.stat().st_ino == inode  # not replaced, even as root
    assert stat.S_IMODE(f.stat().st_mode) == 0o444
    assert "read-only" in err
    assert g.read_text() == _fixable("other").replace("0.97", "0.90")  # the writable one is fixed
    assert "fixed 1 finding" in out, out


def test_fix_keeps_bom_crlf_mode_and_missing_final_newline(tmp_path: Path) -> None:
    text = _fixable().replace("\n", "\r\n").rstrip("\r\n")
    f = tmp_path / "w.yaml"
    f.write_bytes(b"\xef\xbb\xbf" + text.encode())
    f.chmod(0o640)
    cli("scan", "--fix", "--select", "LLM003", "w.yaml", cwd=tmp_path)
    raw = f.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"0.90" in raw and not raw.endswith(b"\n")
    assert raw.count(b"\r\n") == text.count("\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(f.stat().st_mode) == 0o640
    assert yaml.safe_load(raw.decode("utf-8-sig"))["kind"] == "Deployment"


def test_a_group_whose_second_rename_fails_rolls_the_first_back(tmp_path: Path) -> None:
    from llmlint.fixes.write import _Pending, commit, prepare, restore
    from llmlint.manifest.loader import read_file

    a, b = write(tmp_path, "a.yaml", "a: 1\n"), write(tmp_path, "b.yaml", "b: 1\n")
    sa, sb = read_file(str(a), "a.yaml"), read_file(str(b), "b.yaml")
    pa, pb = prepare(sa, "a: 2\n"), prepare(sb, "b: 2\n")  # type: ignore[arg-type]
    assert isinstance(pa, _Pending) and isinstance(pb, _Pending)
    assert commit(pa) is None and a.read_text() == "a: 2\n"
    b.write_text("b: changed by someone else\n")  # between prepare and rename
    err = commit(pb)
    assert err is not None and "changed on disk" in err.message
    restore(pa)
    assert a.read_text() == "a: 1\n" and b.read_text() == "b: changed by someone else\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
