"""The benchmark corpus, and that llmlint's prefilter loses no finding on it.

Two groups of tests live here:

* The generator (``bench/generate_corpus.py``, standard library only): deterministic, the requested
  size, every file parses, and the edge cases that defeat naive prefilters are really in the corpus
  (documents whose ``kind`` is not the first key or comes after nested ``kind:`` lines, quoted kinds,
  ``--- # comment`` separators, CRLF files, JSON manifests with ``kind`` last).
* The engine, on a small generated corpus (scale 0.05, about 150 files):

  - the whole directory scanned normally and scanned with the prefilter disabled report exactly the same
    multiset of ``(rule, file, line, column)`` findings. **Assumption:** the engine reads the environment
    variable ``LLMLINT_NO_PREFILTER=1`` and then parses every document instead of skipping documents by
    kind (or by any other text test). Comparing a whole-directory scan with per-file scans would not do
    for every rule: the cross-file rules (LLM005 missing-pdb, LLM006 rwo-volume-shared-across-nodes,
    LLM003 through ConfigMaps, LLM020 no-network-policy, ...) legitimately differ when a file is scanned
    alone;
  - for the rules that only ever look at one object (``LOCAL_RULES``), scanning each file alone finds
    exactly what the whole-directory scan finds in that file;
  - the hand-made edge-case documents (``llm/edge-cases/``) get the findings they were made for, so a
    prefilter that misreads a late or quoted ``kind`` cannot hide behind the no-prefilter run;
  - the scan finds findings in the LLM stacks at all.

The engine tests are skipped while ``llmlint.cli`` does not exist yet. No test here measures time:
``bench/run.py`` does that.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SCALE = 0.05
SEED = 7

# Rules whose findings depend on one object only: a file scanned alone must give the same ones.
LOCAL_RULES = frozenset({"LLM001", "LLM007", "LLM008", "LLM009", "LLM015", "LLM016", "LLM023", "LLM026"})

# (file under llm/edge-cases/, rule it must trigger): each is a document a naive prefilter gets wrong.
EDGE_EXPECTATIONS = [
    ("kind-last.yaml", "LLM003"),  # kind is the last key, after an ownerReferences[].kind line
    ("kind-after-spec.yaml", "LLM003"),  # kind after spec, leading comment
    ("metadata-first.yml", "LLM004"),  # metadata, then kind; TP 4 and no /dev/shm
    ("quoted-kind.yaml", "LLM007"),  # kind: "Deployment", a TGI image
    ("single-quoted.yaml", "LLM003"),  # kind: 'StatefulSet', CRLF line endings
    ("via-configmap.yaml", "LLM003"),  # "kind": ConfigMap (last) feeding $(GPU_MEMORY_UTILIZATION) = 0.97
    ("rwo-shared.yaml", "LLM006"),  # PVC whose dataSource.kind precedes its kind; 3 replicas share it
    ("json-kind-last.json", "LLM003"),  # JSON, "kind" last
]


def _load_generator() -> ModuleType:
    path = REPO_ROOT / "bench" / "generate_corpus.py"
    spec = importlib.util.spec_from_file_location("generate_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_corpus", module)
    spec.loader.exec_module(module)
    return module


gc = _load_generator()


def _engine_available() -> bool:
    try:
        return importlib.util.find_spec("llmlint.cli") is not None
    except ModuleNotFoundError:
        return False


needs_engine = pytest.mark.skipif(not _engine_available(), reason="llmlint.cli does not exist yet")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    gc.generate(root, SCALE, SEED)
    return root


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def test_generator_is_deterministic(tmp_path: Path, corpus: Path) -> None:
    again = tmp_path / "again"
    gc.generate(again, SCALE, SEED)
    assert _digest(again) == _digest(corpus)
    other = tmp_path / "other-seed"
    gc.generate(other, SCALE, SEED + 1)
    assert _digest(other) != _digest(corpus)


def test_generator_sizes_scale(tmp_path: Path) -> None:
    small = gc.generate(tmp_path / "a", 0.05, SEED)
    double = gc.generate(tmp_path / "b", 0.1, SEED)
    assert small.files == 150
    assert double.files == 300
    assert 1.6 < double.documents / small.documents < 2.4
    assert sum(1 for _ in gc.iter_corpus_files(tmp_path / "a")) == small.files
    crd_bytes = small.by_category["crds"][2] + small.by_category.get("crds-small", [0, 0, 0])[2]
    assert 0.4 < crd_bytes / small.bytes < 0.75


def test_every_file_parses_and_counts_match(corpus: Path) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = 0
    for path in gc.iter_corpus_files(corpus):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            json.loads(text)
            docs += 1
        else:
            docs += sum(1 for d in yaml.load_all(text, Loader=loader) if d is not None)
    files = sum(1 for _ in gc.iter_corpus_files(corpus))
    assert files == 150
    # the counts the generator prints are the documents a loader sees
    stats = gc.generate(corpus.parent / "recount", SCALE, SEED)
    assert (stats.files, stats.documents) == (files, docs)


def test_emitter_round_trips_awkward_scalars() -> None:
    awkward: dict[str, Any] = {
        "kind": "ConfigMap",
        "data": {
            "yes": "yes",
            "no": "no",
            "on": "on",
            "null": "null",
            "tilde": "~",
            "num": "0.97",
            "oct": "0755",
            "exp": "1e3",
            "colon": "a: b",
            "hash": "a #b",
            "url": "http://x:80/y",
            "flag": "--port=8000",
            "dash": "-",
            "star": "*alias",
            "amp": "&anchor",
            "bang": "!tag",
            "pct": "%YAML",
            "at": "@x",
            "tick": "`x`",
            "brace": "{a}",
            "bracket": "[a]",
            "quote": "'q'",
            "dq": '"q"',
            "empty": "",
            "space": " lead",
            "trail": "trail ",
            "multi": "line1\nline2\n",
            "multi_nochomp": "a\nb",
            "var": "$(GPU_MEMORY_UTILIZATION)",
            "unicode": "모델",
            "bool_like": "True",
            "int": 1,
            "float": 0.9,
            "real_bool": True,
            "none": None,
            "empty_map": {},
            "empty_list": [],
        },
        "list": ["x", {}, [], {"a": 1}, [1, 2], "multi\nline"],
    }
    text = gc.emit_yaml(awkward)
    assert yaml.safe_load(text) == awkward


def _yaml_docs(text: str) -> Iterator[str]:
    yield from re.split(r"(?m)^---[^\n]*\n", text.replace("\r\n", "\n"))


_TOP_KEY = re.compile(r"""^(?P<key>"[^"]*"|'[^']*'|[A-Za-z][\w.-]*):(?:\s|$)""")


def _top_keys(doc: str) -> list[str]:
    keys = []
    for line in doc.split("\n"):
        m = _TOP_KEY.match(line)
        if m:
            keys.append(m.group("key").strip("\"'"))
    return keys


def test_corpus_contains_the_prefilter_edge_cases(corpus: Path) -> None:
    late_kind = quoted_kind = nested_kind_first = crlf = separator_comments = 0
    for path in gc.iter_corpus_files(corpus):
        raw = path.read_bytes()
        crlf += b"\r\n" in raw
        text = raw.decode("utf-8")
        if path.suffix == ".json":
            obj = json.loads(text)
            if isinstance(obj, dict) and "kind" in obj and list(obj).index("kind") > 1:
                late_kind += 1
            continue
        separator_comments += len(re.findall(r"(?m)^--- #", text))
        for doc in _yaml_docs(text):
            keys = _top_keys(doc)
            if "kind" not in keys:
                continue
            if [k for k in keys[: keys.index("kind")] if k != "apiVersion"]:
                late_kind += 1
            if re.search(r"""(?m)^(kind:\s*["']|["']kind["']\s*:)""", doc):
                quoted_kind += 1
            first_kind_line = re.search(r"(?m)^\s*-?\s*[\"']?kind[\"']?:.*$", doc)
            if first_kind_line and not re.match(r"""["']?kind""", first_kind_line.group(0)):
                nested_kind_first += 1
    assert late_kind >= 5
    assert quoted_kind >= 3
    assert nested_kind_first >= 3
    assert crlf >= 1
    assert separator_comments >= 1
    for name, _ in EDGE_EXPECTATIONS:
        assert (corpus / "llm" / "edge-cases" / name).is_file()


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------

Key = tuple[str, str, int | None, int | None]


def _env(no_prefilter: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("LLMLINT_NO_PREFILTER", None)
    if no_prefilter:
        env["LLMLINT_NO_PREFILTER"] = "1"
    return env


def _scan(paths: list[Path], cwd: Path, no_prefilter: bool = False) -> dict[str, Any]:
    r = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--format", "json", *map(str, paths)],
        cwd=cwd,
        env=_env(no_prefilter),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode in (0, 1, 2), (
        f"llmlint exited {r.returncode}\nstdout: {r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    )
    result: dict[str, Any] = json.loads(r.stdout)
    return result


def _rel(file: str, corpus: Path, cwd: Path) -> str:
    p = Path(file)
    if not p.is_absolute():
        p = cwd / p
    return p.resolve().relative_to(corpus.resolve()).as_posix()


def _keys(result: dict[str, Any], corpus: Path, cwd: Path) -> Counter[Key]:
    return Counter(
        (f["rule"], _rel(f["file"], corpus, cwd), f.get("line"), f.get("column")) for f in result["findings"]
    )


@pytest.fixture(scope="module")
def scans(corpus: Path) -> tuple[Counter[Key], Counter[Key], dict[str, Any]]:
    cwd = corpus.parent  # no config file there: defaults apply
    normal = _scan([corpus], cwd)
    unfiltered = _scan([corpus], cwd, no_prefilter=True)
    return _keys(normal, corpus, cwd), _keys(unfiltered, corpus, cwd), normal


@needs_engine
def test_prefilter_loses_no_finding(scans: tuple[Counter[Key], Counter[Key], dict[str, Any]]) -> None:
    normal, unfiltered, _ = scans
    lost = unfiltered - normal
    extra = normal - unfiltered
    assert not lost, f"findings lost by the prefilter: {sorted(lost)}"
    assert not extra, f"findings only with the prefilter: {sorted(extra)}"


@needs_engine
def test_corpus_scans_without_input_errors(scans: tuple[Counter[Key], Counter[Key], dict[str, Any]]) -> None:
    # The corpus holds no broken input: Helm values, Chart.yaml and Grafana dashboards are YAML/JSON that
    # is not a manifest, which a platform repository is full of; they are not errors.
    _, _, result = scans
    assert result["errors"] == [], result["errors"][:10]


@needs_engine
def test_scan_finds_llm_findings(scans: tuple[Counter[Key], Counter[Key], dict[str, Any]]) -> None:
    normal, _, result = scans
    llm = [k for k in normal if k[1].startswith("llm/")]
    assert llm, "no finding in the LLM stacks"
    outside = sorted({k for k in normal if not k[1].startswith(("llm/", "apps/ml-platform/"))})
    assert not outside, f"LLM findings on plain workloads: {outside[:20]}"
    assert result["summary"]["findings"] == len(result["findings"])


@needs_engine
@pytest.mark.parametrize(("name", "rule"), EDGE_EXPECTATIONS)
def test_edge_case_documents_are_seen(
    scans: tuple[Counter[Key], Counter[Key], dict[str, Any]], name: str, rule: str
) -> None:
    normal, _, _ = scans
    file = f"llm/edge-cases/{name}"
    got = sorted({k[0] for k in normal if k[1] == file})
    assert rule in got, f"{file}: expected {rule}, got {got}"


def _scan_one_in_process(path: Path, cwd: Path) -> dict[str, Any] | None:
    """Scan one file with click's CliRunner; None when the CLI cannot be driven in-process."""
    try:
        from click.testing import CliRunner

        main = importlib.import_module("llmlint.cli").main
    except (ImportError, AttributeError):
        return None
    old = Path.cwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(main, ["scan", "--format", "json", str(path)])
    finally:
        os.chdir(old)
    assert res.exit_code in (0, 1, 2), (
        f"{path}: exit {res.exit_code}\n{res.output[-3000:]}\n{res.exception!r}"
    )
    out: dict[str, Any] = json.loads(res.stdout)
    return out


@needs_engine
def test_single_file_scans_agree_on_local_rules(
    corpus: Path, scans: tuple[Counter[Key], Counter[Key], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    normal, _, _ = scans
    cwd = corpus.parent
    monkeypatch.delenv("LLMLINT_NO_PREFILTER", raising=False)
    alone: Counter[Key] = Counter()
    for path in gc.iter_corpus_files(corpus):
        result = _scan_one_in_process(path, cwd)
        if result is None:
            result = _scan([path], cwd)
        alone.update(k for k in _keys(result, corpus, cwd) if k[0] in LOCAL_RULES)
    whole = Counter({k: n for k, n in normal.items() if k[0] in LOCAL_RULES})
    assert alone == whole, (
        f"only alone: {sorted(alone - whole)}; only in the whole scan: {sorted(whole - alone)}"
    )
