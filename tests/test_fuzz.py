"""Fuzzing (hypothesis) of the loader and the argument parsers, and the crash corpus replayed.

Arbitrary bytes and YAML-flavoured text go through ``decode`` → ``load`` → positions; arbitrary scripts
and argv through ``k8s_expand``, ``shell_words``, ``parse_flags`` and the whole server analysis. None may
raise: the loader's only error values are :class:`InputError` entries, the parsers always return words.
Every input that once crashed something is kept in ``tests/fuzz_corpus/`` and replayed here.

More examples: ``LLMLINT_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmlint.engine import Settings, scan
from llmlint.graph.index import build
from llmlint.graph.objects import Container, K8sObject, PodTemplate, Workload
from llmlint.manifest.loader import Loaded, SourceText, decode, load
from llmlint.manifest.positions import content_end, line_col_of, locate, substring_offset
from llmlint.model import InputError, ObjectRef, Target
from llmlint.serving.args import MAX_EXPANDED, EnvVar, Source, Word, k8s_expand, shell_words, unwrap_shell
from llmlint.serving.frameworks import FRAMEWORKS, by_command, by_image, image_repository
from llmlint.serving.server import analyse, parse_flags

CORPUS = Path(__file__).parent / "fuzz_corpus"
EXAMPLES = int(os.environ.get("LLMLINT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

YAML_ALPHABET = list("abkn:-_ \t\n\r[]{},&*!|>'\"%@#?`.$()=\\0123\x00\ufeff\u2028é")
yamlish = st.text(alphabet=YAML_ALPHABET, max_size=300)
FRAGMENTS = [
    "apiVersion: v1\n",
    "kind: Pod\n",
    "kind: Deployment\n",
    "kind: List\n",
    "---\n",
    "--- ",
    "...\n",
    "metadata:\n  name: x\n",
    "spec:\n",
    "  replicas: ",
    "  template:\n",
    "    spec:\n",
    "      containers:\n",
    "      - name: c\n",
    "        image: vllm/vllm-openai\n",
    "        args: [",
    "--gpu-memory-utilization=0.99",
    "]\n",
    "  - ",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!str ",
    "!!binary ",
    "? ",
    ": ",
    "|\n",
    ">-\n",
    "# c\n",
    "{{ .Values.x }}",
    "\r\n",
    "\t",
    "'",
    '"',
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "items:\n",
    "- {kind: Pod}\n",
    "2026-01-01",
    "0x1F",
    "1e999",
    "null",
    "~",
    "yes",
    "=",
    "\\u0000",
    "\ufeff",
    "&a [*a]",
    "&a {k: *a}",
    "&r\n  - *r\n",
    "&m {<<: *m}",
    "<<: [*a, *a]\n",
    "*undefined",
    "        nvidia.com/gpu: ",
    "        startupProbe: ",
    "failureThreshold: ",
    "  replicas: ",
]
structured = st.lists(st.sampled_from(FRAGMENTS) | yamlish.map(lambda s: s[:20]), max_size=40).map("".join)


def _load_all_ways(name: str, raw: bytes) -> Loaded | InputError:
    src = decode(name, raw, None)
    if isinstance(src, InputError):
        assert src.file == name and src.message
        return src
    assert isinstance(src, SourceText)
    out: Loaded | None = None
    for prefilter in (True, False):
        copy = SourceText(src.name, None, src.text, src.bom, src.newline, src.is_json, src.raw)
        out = load(copy, prefilter=prefilter)
        for e in out.errors:
            assert isinstance(e, InputError) and e.file == name and e.message
            assert e.line is None or e.line >= 1
        for d in out.documents:
            loc = locate(d, ("spec", "template", 0, "x"))
            if loc is not None:
                line, col = loc.line_col()
                assert line >= 1 and col >= 1
                content_end(loc.node)
                if hasattr(loc.node, "value") and isinstance(loc.node.value, str) and loc.node.value:
                    substring_offset(copy.text, loc.node, d.start, loc.node.value, 0, 1)
        graph = build(out.documents)
        assert all(isinstance(e, InputError) for e in graph.errors)
    line_col_of(src.text, len(src.text))
    assert out is not None
    return out


@FUZZ
@given(st.binary(max_size=400))
def test_loader_on_arbitrary_bytes(raw: bytes) -> None:
    _load_all_ways("x.yaml", raw)
    _load_all_ways("x.json", raw)


@FUZZ
@given(st.one_of(yamlish, structured))
def test_loader_on_yamlish_text(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    _load_all_ways("x.yaml", raw)
    _load_all_ways("x.yaml", b"\xef\xbb\xbf" + raw)
    _load_all_ways("x.json", raw)


@settings(max_examples=max(EXAMPLES // 3, 30), deadline=None, suppress_health_check=list(HealthCheck))
@given(structured)
def test_whole_scan_on_yamlish_text(text: str) -> None:
    result = scan(["-"], Settings(), stdin=text.encode("utf-8", "surrogatepass"))
    assert all(isinstance(e, InputError) for e in result.errors)


# ---- the argument parsers ------------------------------------------------------------------------------

_OBJ = K8sObject({"kind": "Pod"}, Target("x.yaml", 0, (), ObjectRef("v1", "Pod", None, "p")))
_ANCHOR = Source(_OBJ, ("spec", "containers", 0, "args", 0))
SHELL_ALPHABET = list("ab-_=$(){}'\"\\ \t\r\n;|&#`*?~.09AZ")
shellish = st.text(alphabet=SHELL_ALPHABET, max_size=120) | st.text(max_size=60)
env_names = st.sampled_from(["A", "B", "MEM", "GPU_MEM", "X_1", "", "a b", "$(A)"])
envs = st.dictionaries(
    env_names,
    st.one_of(st.none(), shellish.map(lambda s: s[:30])),
    max_size=4,
).map(
    lambda d: {
        k: EnvVar(
            k,
            v,
            Source(_OBJ, ("spec", "containers", 0, "env", i, "value")) if v is not None else None,
            Source(_OBJ, ("spec", "containers", 0, "env", i)),
        )
        for i, (k, v) in enumerate(d.items())
    }
)


def _check_word(w: Word) -> None:
    assert isinstance(w.text, str)
    assert len(w.owners) == len(w.text)
    for src, off in w.owners:
        assert src is None or isinstance(src, Source)
        assert isinstance(off, int) and off >= 0
    n = len(w.text)
    for start, end in ((0, n), (0, min(1, n)), (n // 2, n), (n, n)):
        o = w.origin(start, end)
        if o is not None:
            assert o.end - o.start == end - start


@FUZZ
@given(shellish, envs)
def test_k8s_expand_and_shell_words(text: str, env: dict[str, EnvVar]) -> None:
    word = k8s_expand(text, _ANCHOR, env, _ANCHOR)
    _check_word(word)
    if "$(" not in text and "$$" not in text:
        assert word.text == text
    assert len(word.text) <= len(text) + MAX_EXPANDED  # expansion is bounded (no env "billion laughs")
    out = 0
    for cmd in shell_words(word, env):
        assert cmd
        for w in cmd:
            _check_word(w)
            out += len(w.text)
    assert out <= len(word.text) + MAX_EXPANDED
    unwrap_shell(
        [Word("sh", [(None, 0), (None, 1)], _ANCHOR), Word("-c", [(None, 0)] * 2, _ANCHOR), word], env
    )


@FUZZ
@given(
    st.lists(
        shellish.map(lambda s: s[:24])
        | st.sampled_from(
            [
                "--port",
                "--num-shard=abc",
                "-tp",
                "2",
                "--gpu-memory-utilization",
                "-1",
                "--",
                "-",
                "=",
                "--=",
                "--x=",
                "true",
                "-1e5",
                "--enable-x",
                "--no-y",
                "--model",
            ]
        ),
        max_size=12,
    ),
    st.sampled_from(FRAMEWORKS),
)
def test_parse_flags(argv: list[str], fw: Any) -> None:
    words = [k8s_expand(a, _ANCHOR, {}, _ANCHOR) for a in argv]
    flags, positionals = parse_flags(fw, words)
    seen = {id(f.word) for f in flags} | {id(f.value_word) for f in flags if f.value_word is not None}
    assert all(id(w) in seen or any(w is p for p in positionals) for w in words)
    for f in flags:
        f.value_origin()
        f.anchor()


def _container(data: dict[str, Any]) -> Container:
    obj = K8sObject(
        {"kind": "Pod", "spec": {"containers": [data]}},
        Target("x.yaml", 0, (), ObjectRef("v1", "Pod", None, "p")),
    )
    w = Workload(obj, 1, None)
    t = PodTemplate(w, (), ("spec",), obj.data["spec"], {}, {}, 1)
    c = Container(t, ("spec", "containers", 0), data)
    t.containers.append(c)
    w.templates.append(t)
    return c


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | shellish.map(lambda s: s[:20]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@FUZZ
@given(
    st.sampled_from(
        [
            "vllm/vllm-openai:v0.6.0",
            "lmsysorg/sglang",
            "ghcr.io/huggingface/text-generation-inference:2",
            "nvcr.io/nvidia/tritonserver:24.01",
            "ollama/ollama",
            "",
            "@sha256:",
            "a:b:c@d",
        ]
    )
    | st.text(max_size=30),
    st.lists(
        shellish.map(lambda s: s[:30])
        | st.sampled_from(
            ["sh", "-c", "vllm", "serve", "bash", "-lc", "python", "-m", "sglang.launch_server"]
        ),
        max_size=5,
    ),
    st.lists(shellish.map(lambda s: s[:30]) | st.integers(), max_size=6),
    st.lists(
        st.fixed_dictionaries(
            {"name": st.sampled_from(["A", "PORT", "MODEL_ID", "NUM_SHARD"]), "value": json_values}
        ),
        max_size=3,
    ),
    st.dictionaries(
        st.sampled_from(["resources", "envFrom", "ports", "modelFormat"]), json_values, max_size=2
    ),
)
def test_server_analysis(
    image: str, command: list[str], args: list[Any], env: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    by_image(image)
    image_repository(image)
    by_command(" ".join(command))
    c = _container({"name": "c", "image": image, "command": command, "args": args, "env": env, **extra})
    server = analyse(c, lambda name: None)
    if server is not None:
        server.model_params()
        server.port()
        _ = server.tp, server.pp, server.gpus
        server.bytes_per_param()
        server.context_length()


# ---- the corpus ----------------------------------------------------------------------------------------


def _corpus() -> list[Path]:
    return (
        sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")
        if CORPUS.is_dir()
        else []
    )


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_corpus_replay(path: Path) -> None:
    """Inputs that once hung, exhausted memory or raised: the loader in-process, then the whole CLI
    (``--fix --diff``, JSON) in a subprocess held to 1 GB and 10 s, as ``tests/test_hostile.py`` does."""
    raw = path.read_bytes()
    _load_all_ways(path.name, raw)
    for extra in ((), ("--diff", "--unsafe-fixes")):
        proc = subprocess.run(
            [sys.executable, "-m", "llmlint", "scan", "--format", "json", *extra, str(path)],
            capture_output=True,
            timeout=10,
            preexec_fn=_limits,
        )
        assert b"Traceback" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
        assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
        if not extra:
            json.loads(proc.stdout)
