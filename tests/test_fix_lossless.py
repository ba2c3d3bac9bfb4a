"""``--fix`` is lossless: it changes the bytes its fixes own and nothing else, and never writes over a
file that changed on disk. Each property is checked on a real file after a real ``llmlint scan --fix``."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from llmlint.cli import main
from llmlint.engine import Settings, scan
from llmlint.fixes.run import fix_loop, write_all

# Four fixes: a string edited in a flow sequence (LLM003), a key block added (LLM001: unsafe, a readiness-only
# container gets a restart deadline), a volume and a mount appended (LLM004) and a document added (LLM005). Comments, flow style, quoting and a block
# scalar sit around them.
MANIFEST = """\
# a vLLM server
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm   # the name
  labels: {app: x, tier: "gpu"}
  annotations:
    note: 'single quoted'
    script: |
      line one
        indented two
spec:
  replicas: 2
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
      - name: vllm
        image: "vllm/vllm-openai:v0.6.0"
        args: ["--model", "meta-llama/Llama-3-8B", "--tensor-parallel-size=2", "--gpu-memory-utilization=0.97"]
        readinessProbe:
          httpGet: {path: /health, port: 8000}
        resources:
          limits:
            nvidia.com/gpu: "2"   # two GPUs
"""
ONLY_LLM003 = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: one   # keep me
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: 'vllm/vllm-openai:v0.6.0'
          args:
            - "--model=meta-llama/Llama-3-8B"
            - "--gpu-memory-utilization=0.97"   # too high
          resources: {limits: {nvidia.com/gpu: "1"}}
          startupProbe: {httpGet: {path: /health, port: 8000}, failureThreshold: 200}
# trailing comment
"""
FIXED_RULES = ("LLM001", "LLM003", "LLM004", "LLM005")


def run_fix(*paths: Path, cwd: Path, select: str = ",".join(FIXED_RULES)) -> tuple[int, str, str]:
    """``llmlint scan --fix`` in-process, limited to the rules this module is about (others may add fixes)."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        args = ["scan", "--fix", "--unsafe-fixes", "--format", "json", "--select", select, *map(str, paths)]
        r = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    assert "Traceback" not in r.stdout + r.stderr
    return r.exit_code, r.stdout, r.stderr


def changed_lines(before: str, after: str) -> list[str]:
    """The original lines that a fix replaced or deleted (insertions leave every old line in place)."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: list[str] = []
    for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            out += a[i1:i2]
    return out


def test_fix_keeps_comments_flow_style_quotes_and_blocks(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(MANIFEST, encoding="utf-8")
    code, _, _ = run_fix(p, cwd=tmp_path)
    after = p.read_text(encoding="utf-8")
    assert after != MANIFEST
    # only the args line is rewritten; every other original line is still there, byte for byte
    assert changed_lines(MANIFEST, after) == [MANIFEST.splitlines(keepends=True)[22]]
    assert '"--gpu-memory-utilization=0.90"]' in after
    for keep in (
        "# a vLLM server\n",
        "  name: vllm   # the name\n",
        '  labels: {app: x, tier: "gpu"}\n',
        "    note: 'single quoted'\n",
        "    script: |\n      line one\n        indented two\n",
        '        image: "vllm/vllm-openai:v0.6.0"\n',
        '            nvidia.com/gpu: "2"   # two GPUs\n',
    ):
        assert keep in after
    # key order kept: the original keys appear in the original order
    keys = [
        ln.split(":")[0] for ln in MANIFEST.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    new_keys = [ln.split(":")[0] for ln in after.splitlines()]
    it = iter(new_keys)
    assert all(k in it for k in keys)
    docs = list(yaml.safe_load_all(after))
    assert [d["kind"] for d in docs] == ["Deployment", "PodDisruptionBudget"]
    assert code == 0, after


@pytest.mark.parametrize("text", [MANIFEST, ONLY_LLM003], ids=["four-fixes", "one-fix"])
def test_crlf_and_bom_are_kept(tmp_path: Path, text: str) -> None:
    p = tmp_path / "crlf.yaml"
    raw = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    p.write_bytes(raw)
    run_fix(p, cwd=tmp_path)
    out = p.read_bytes()
    assert out != raw
    assert out.startswith(b"\xef\xbb\xbf") and not out.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    body = out[3:]
    assert b"\n" not in body.replace(b"\r\n", b"")  # every newline is still CRLF
    assert body.endswith(b"\r\n")
    old_lines = raw[3:].decode().splitlines(keepends=True)
    assert set(changed_lines("".join(old_lines), body.decode())) <= {ln for ln in old_lines if "0.97" in ln}


def test_mode_is_kept(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(ONLY_LLM003, encoding="utf-8")
    os.chmod(p, 0o640)
    ino = os.stat(p).st_ino
    run_fix(p, cwd=tmp_path)
    st = os.stat(p)
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_ino != ino  # a new file renamed over the old one, not a rewrite in place
    assert "0.90" in p.read_text()
    assert sorted(os.listdir(tmp_path)) == ["m.yaml"]  # no temporary file left behind


@pytest.mark.parametrize("text", [ONLY_LLM003, MANIFEST], ids=["edit-inside", "insert-at-end"])
def test_no_trailing_newline_stays_that_way(tmp_path: Path, text: str) -> None:
    p = tmp_path / "m.yaml"
    p.write_bytes(text.rstrip("\n").encode())
    run_fix(p, cwd=tmp_path)
    out = p.read_bytes()
    assert b"0.90" in out
    assert not out.endswith(b"\n"), out[-80:]


def test_trailing_newline_stays(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(MANIFEST + "\n\n", encoding="utf-8")
    run_fix(p, cwd=tmp_path)
    assert p.read_text().count("\n\n") >= 1


def test_unrelated_lines_are_byte_identical(tmp_path: Path) -> None:
    p = tmp_path / "one.yaml"
    p.write_text(ONLY_LLM003, encoding="utf-8")
    run_fix(p, cwd=tmp_path)
    after = p.read_text()
    before_lines, after_lines = ONLY_LLM003.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(before_lines) == len(after_lines)
    diff = [(a, b) for a, b in zip(before_lines, after_lines, strict=True) if a != b]
    assert diff == [
        (
            '            - "--gpu-memory-utilization=0.97"   # too high\n',
            '            - "--gpu-memory-utilization=0.90"   # too high\n',
        )
    ]


def test_symlinked_file_is_fixed_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "m.yaml"
    target.write_text(ONLY_LLM003, encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    run_fix(link, cwd=tmp_path)
    assert link.is_symlink()
    assert "0.90" in target.read_text()


def test_file_changed_between_read_and_write_is_not_overwritten(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(ONLY_LLM003, encoding="utf-8")
    b.write_text(ONLY_LLM003.replace("name: one", "name: two"), encoding="utf-8")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        settings = Settings(select=["LLM003"])
        result = scan(["."], settings)
        outcome = fix_loop(result, settings, unsafe=False)
        assert set(outcome.fixed) == {"a.yaml", "b.yaml"}
        edited = ONLY_LLM003.replace("keep me", "edited by someone else meanwhile")
        a.write_text(edited, encoding="utf-8")  # same length or not: the content differs
        errors = write_all(outcome)
    finally:
        os.chdir(old)
    assert [(e.file, "changed on disk" in e.message) for e in errors] == [("a.yaml", True)]
    assert a.read_text() == edited
    assert "0.90" in b.read_text()


def test_file_changed_during_the_write_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window between the re-read and the rename: a change there is caught too."""
    p = tmp_path / "a.yaml"
    p.write_text(ONLY_LLM003, encoding="utf-8")
    real_mkstemp = tempfile.mkstemp

    def racing_mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        with open(p, "a", encoding="utf-8") as fh:
            fh.write("# appended by an editor\n")
        return real_mkstemp(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", racing_mkstemp)
    code, out, _ = run_fix(p, cwd=tmp_path)
    assert code == 2 and "changed on disk" in out
    assert p.read_text() == ONLY_LLM003 + "# appended by an editor\n"
    assert os.listdir(tmp_path) == ["a.yaml"]


def test_unwritable_directory_is_an_error_and_other_files_are_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked, free = tmp_path / "locked", tmp_path / "free"
    locked.mkdir()
    free.mkdir()
    (locked / "a.yaml").write_text(ONLY_LLM003, encoding="utf-8")
    (free / "b.yaml").write_text(ONLY_LLM003, encoding="utf-8")
    os.chmod(locked, 0o555)
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: object, dir: str | None = None, **kwargs: object) -> tuple[int, str]:
        if dir is not None and os.path.samefile(dir, locked):  # root ignores the mode: refuse as the OS would
            raise PermissionError(13, "Permission denied", dir)
        return real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    try:
        code, out, _ = run_fix(tmp_path, cwd=tmp_path)
    finally:
        os.chmod(locked, 0o755)
    assert code == 2
    assert '"file": "locked/a.yaml"' in out and "cannot write" in out
    assert (locked / "a.yaml").read_text() == ONLY_LLM003
    assert "0.90" in (free / "b.yaml").read_text()


def test_fix_twice_changes_nothing(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(MANIFEST, encoding="utf-8")
    run_fix(p, cwd=tmp_path)
    once = p.read_bytes()
    code, out, _ = run_fix(p, cwd=tmp_path)
    assert p.read_bytes() == once
    assert code == 0 and not any(r in out for r in FIXED_RULES)


def test_insert_after_a_mapping_whose_last_value_is_an_alias(tmp_path: Path) -> None:
    """``readinessProbe: *probe`` last in the container: the new key goes after that line, not after the
    anchor's node at the top of the file (the fix used to be rejected by verification)."""
    text = """\
x-probe: &probe
  httpGet: {path: /health, port: 8000}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.6.0
        args: [--model=meta-llama/Llama-3.1-8B-Instruct]
        resources: {limits: {nvidia.com/gpu: "1"}}
        readinessProbe: *probe
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
"""
    p = tmp_path / "alias.yaml"
    p.write_text(text, encoding="utf-8")
    code, _, err = run_fix(p, cwd=tmp_path, select="LLM001")
    assert code == 0
    after = p.read_text()
    assert "fix not applied" not in err
    lines = after.splitlines()
    assert lines[14] == "        readinessProbe: *probe" and lines[15] == "        startupProbe:"
    assert changed_lines(text, after) == []
    assert yaml.safe_load(after)["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["httpGet"]


def test_long_file_name(tmp_path: Path) -> None:
    """A 250-character name still gets a temporary file (NAME_MAX is 255)."""
    p = tmp_path / ("m" * 245 + ".yaml")
    p.write_text(ONLY_LLM003, encoding="utf-8")
    code, out, _ = run_fix(p, cwd=tmp_path, select="LLM003")
    assert code == 0 and "cannot write" not in out
    assert "0.90" in p.read_text()
    assert os.listdir(tmp_path) == [p.name]
