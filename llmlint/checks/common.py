"""Helpers several check families share: start-up estimates, probe arithmetic, value edits."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from llmlint.checks import Context
from llmlint.graph.objects import (
    Container,
    JsonMap,
    K8sObject,
    PodTemplate,
    Workload,
    as_int,
    as_list,
    as_map,
    dig,
)
from llmlint.lazyre import LazyRe
from llmlint.model import Edit, Finding, Path, ReplaceInString, SetValue, Target
from llmlint.serving.args import Origin
from llmlint.serving.frameworks import image_repository
from llmlint.serving.model_size import load_seconds, params_from_name
from llmlint.serving.server import Flag, Server

PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


INT32_MAX = 2**31 - 1
ACCELERATORS_WITHOUT_SHM = ("google.com/tpu", "aws.amazon.com/neuron", "aws.amazon.com/neuroncore")


def model_name(s: Server) -> str | None:
    """The model's id as a message shows it, if the manifests name one (never an image name, a storage
    claim or a generic mount such as KServe's ``/mnt/models``)."""
    nim = s.env.get("NIM_MODEL_NAME")
    if nim is not None and nim.value:
        shown = model_words(nim.value)
        if shown:
            return shown
    fn = getattr(s, "display_name", None)  # analysis's
    name = fn() if callable(fn) else s.model()
    name = model_words(name if isinstance(name, str) else "")
    generic = ("llm-nim", "nim-llm", s.framework.title if s.framework else "")
    if name and name not in generic and not name.startswith("GPU container "):
        return name
    return None


# Directory names that say where weights are kept, not which model they are.
_GENERIC_WORDS = frozenset(
    {
        "mnt", "model", "models", "data", "weights", "cache", "caches", "cached", "workspace", "hf",
        "huggingface", "hub", "root", "tmp", "opt", "home", "srv", "var", "store", "storage", "repo",
        "repository", "checkpoint", "checkpoints", "ckpt", "ckpts", "local", "shared", "pvc", "volume",
        "volumes", "vol", "disk", "files", "artifacts", "llm", "llms", "nfs", "efs", "s3", "gcs", "mount",
        "mounts", "share",
    }
)  # fmt: skip
_FILE_SUFFIX = LazyRe(r"\.(gguf|ggml|bin|safetensors|pt|pth|onnx|plan|engine|llamafile|nemo)$", re.I)
_WORD_SEPARATORS = LazyRe(r"[-_.]+")


def _generic_dir(part: str) -> bool:
    words = [w for w in _WORD_SEPARATORS.rx.split(part.lower()) if w]
    return not words or all(w in _GENERIC_WORDS for w in words)


def model_words(ref: str) -> str:
    """A model reference as a message shows it: a hub ID as written; a path or a URI by the components that
    name the model (``/mnt/models/meta-llama/Meta-Llama-3-8B-Instruct`` → ``meta-llama/Meta-Llama-3-8B-Instruct``,
    ``s3://bucket/llama-3-8b`` → ``llama-3-8b``, ``/models/a/model.gguf`` → ``model.gguf``); empty for a
    generic directory (``/mnt/models``, ``/data``), a bare claim or bucket (``pvc://models``) or an unresolved
    ``$(VAR)``."""
    ref = ref.strip().rstrip("/")
    if not ref or "$(" in ref or "${" in ref or "{{" in ref:
        return ""
    scheme, sep, rest = ref.partition("://")
    if sep and scheme.lower() == "hf":
        return rest
    if not sep and not ref.startswith((".", "/", "~")):
        return ref  # a hub ID (``org/name``) or a tag (``llama3.1:8b``)
    parts = [p for p in rest.split("/") if p and p not in (".", "..", "~")] if sep else None
    if parts is not None:
        parts = parts[1:]  # the claim, bucket or host holds the model; it is not the model
    else:
        parts = [p for p in ref.split("/") if p and p not in (".", "..", "~")]
    hf_cache = next((p for p in reversed(parts) if p.startswith("models--")), None)
    if hf_cache:  # Hugging Face's cache layout: models--org--name/snapshots/<revision>
        return hf_cache.removeprefix("models--").replace("--", "/")
    if parts and _FILE_SUFFIX.search(parts[-1]):
        return parts[-1]
    while parts and _generic_dir(parts[-1]):
        parts.pop()
    if not parts:
        return ""
    if len(parts) >= 2 and not _generic_dir(parts[-2]):
        return f"{parts[-2]}/{parts[-1]}"  # the hub's org/name layout, kept under a mount
    return parts[-1]


def display_name(s: Server) -> str:
    """What a message calls the server: its model's id, else its framework, never an empty name, a path
    or a storage URI."""
    name = model_name(s)
    if name:
        return name
    if s.framework is not None:
        return f"the {s.framework.title} server"
    return f"GPU container {s.container.name!r}" if s.container.name else f"{s.obj.kind} {s.obj.name}"


def model_params(s: Server) -> float | None:
    """Billions of parameters: the annotation or the model reference, else the image's repository name
    when nothing names a model (images that bake one in: ``…/falcon-40b-instruct:tag``)."""
    p = s.model_params()
    if p is not None or s.model():
        return p
    repo, _ = image_repository(s.container.image)
    return params_from_name(repo.rsplit("/", 1)[-1]) if repo else None


def download_gb(s: Server) -> float | None:
    """GB of the checkpoint on disk (what a start reads): analysis's figure, else from the parameters."""
    fn = getattr(s, "download_gb", None)
    v = fn() if callable(fn) else None
    if isinstance(v, int | float):
        return float(v)
    p = model_params(s)
    return None if p is None else p * s.bytes_per_param()


def at(c: Container, *steps: str | int) -> tuple[K8sObject, Path]:
    """Where the container's value at ``steps`` is written: the runtime's for a value a KServe predictor
    takes from its ServingRuntime (analysis's ``Container.at``), else the container itself."""
    fn = getattr(c, "at", None)
    if callable(fn):
        obj, path = fn(*steps)
        return obj, tuple(path)
    return c.obj, (*c.path, *steps)


def pod_at(t: PodTemplate, *steps: str | int) -> tuple[K8sObject, Path]:
    """Where the pod spec's value at ``steps`` is written (``PodTemplate.at``)."""
    fn = getattr(t, "at", None)
    if callable(fn):
        obj, path = fn(*steps)
        return obj, tuple(path)
    return t.obj, (*t.spec_path, *steps)


def own(c: Container) -> JsonMap:
    """The container as written in its own object (for a merged KServe predictor: the predictor's part)."""
    m = getattr(c, "merged", None)
    over = getattr(m, "over", None)
    data = getattr(over, "data", None)
    return data if isinstance(data, dict) else c.data


def own_spec(t: PodTemplate) -> JsonMap:
    m = getattr(t, "merged", None)
    over = getattr(m, "over", None)
    data = getattr(over, "data", None)
    return data if isinstance(data, dict) else t.spec


def probed(servers: list[Server]) -> list[Server]:
    """Servers whose probes matter: not a container that only waits (a KServe runtime whose command is a
    debug placeholder such as ``sleep infinity``, also as merged into an InferenceService), a download or
    a benchmark client. No model loads there, so no probe of it kills or hides one."""
    return [s for s in servers if s.activity == "serve"]


def merged_first_last(servers: list[Server]) -> list[Server]:
    """Servers with KServe-merged predictors last: a fact written in a ServingRuntime is reported once,
    from the runtime's own container, before a predictor that merges it repeats it."""
    return sorted(servers, key=lambda s: from_runtime(s.container))


def flag_anchor(s: Server, f: Flag) -> tuple[K8sObject, Path, tuple[int, int] | None]:
    """Where a finding about flag ``f`` points, as the engine reads a finding on a KServe predictor: a
    value the predictor writes itself (``args`` item j, ``env`` item j) is given in the merged container's
    view (the runtime's args first), which the engine maps back to the line that writes it."""
    obj, path, span = f.anchor()
    c = s.container
    m = getattr(c, "merged", None)
    over = getattr(m, "over", None)
    if m is None or over is None or obj is not c.obj:
        return obj, path, span
    n = len(over.path)
    if tuple(path[:n]) != tuple(over.path) or len(path) < n + 2:
        return obj, path, span
    key, idx, rest = path[n], path[n + 1], tuple(path[n + 2 :])
    if not isinstance(key, str) or not isinstance(idx, int):
        return obj, path, span
    if key in m.concat:
        return obj, (*c.path, key, len(as_list(m.base.data.get(key))) + idx, *rest), span
    for j, (part, i) in enumerate(m.lists.get(key, ())):
        if part is over and i == idx:
            return obj, (*c.path, key, j, *rest), span
    return obj, path, span


def once(findings: Iterable[Finding]) -> Iterator[Finding]:
    """One finding per rule and place (a runtime's probe seen from the runtime and from each predictor)."""
    seen: set[tuple[str, Target, Path, tuple[int, int] | None]] = set()
    for f in findings:
        key = (f.rule, f.target, f.path, f.span)
        if key not in seen:
            seen.add(key)
            yield f


def startup_need(ctx: Context, s: Server) -> tuple[float, str]:
    """Seconds the server needs to load its model, and the reasoning in words."""
    need, facts, known = startup_estimate(ctx, s)
    if not known:
        return (
            need,
            f"a model of unknown size is assumed to need {need:.0f} s (annotation llmlint.io/model-params)",
        )
    return need, f"{display_name(s)} ({facts}) needs about {need:.0f} s to load"


def startup_estimate(ctx: Context, s: Server) -> tuple[float, str, bool]:
    """Seconds the server needs to load its model, the figures in words, and whether the size is known."""
    gb = download_gb(s)
    if gb is None:
        need = float(ctx.param("startup-unknown-model-seconds"))
        return need, "size unknown, assumed", False
    need = load_seconds(
        gb,
        fixed_seconds=float(ctx.param("startup-fixed-seconds")),
        bandwidth_mb_s=float(ctx.param("startup-bandwidth-mb-s")),
    )
    params = model_params(s)
    size = f"{gb:.0f}" if gb < 1e5 else f"{gb:.3g}"
    facts = f"{params:.4g}B, {size} GB of weights" if params else f"{size} GB of weights"
    if s.model_params() is None and not s.model():
        facts += ", size from the image name"
    return need, facts, True


def startup_cap(ctx: Context) -> int:
    """The longest start-up budget a fix writes (a larger estimate comes from a size to check)."""
    try:
        return max(60, min(int(ctx.param("startup-max-seconds")), INT32_MAX))
    except (KeyError, TypeError, ValueError):
        return 21600


def other_accelerator(s: Server) -> str | None:
    """A non-GPU accelerator the container requests (TPU, Neuron): no NCCL shared-memory traffic."""
    for key in ACCELERATORS_WITHOUT_SHM:
        for section in ("limits", "requests"):
            if s.container.resource(section, key) is not None:
                return key
    return None


def runtime_unresolved(s: Server) -> bool:
    """A KServe predictor whose serving runtime fills the container and is not among the scanned objects:
    its resources, volumes and probes are unknown here."""
    c = s.container
    if from_runtime(c):
        return False
    return c.obj.kind == "InferenceService" and c.path[-1:] == ("model",) and not c.image


SERVING_RUNTIMES = ("ServingRuntime", "ClusterServingRuntime")


def from_runtime(c: Container) -> bool:
    """Is this a KServe predictor merged with a ServingRuntime of the scan (analysis's ``merged``)?"""
    base = getattr(getattr(c, "merged", None), "base", None)
    obj = getattr(base, "obj", None)
    return isinstance(obj, K8sObject) and obj.kind in SERVING_RUNTIMES


def probe_budget(probe: dict[str, Any]) -> tuple[int, int, int, int]:
    """(budget, initialDelaySeconds, periodSeconds, failureThreshold) with the API's defaults."""
    delay = as_int(probe.get("initialDelaySeconds"))
    period = as_int(probe.get("periodSeconds"))
    failures = as_int(probe.get("failureThreshold"))
    d = 0 if delay is None else delay
    p = 10 if period is None or period <= 0 else period
    f = 3 if failures is None or failures <= 0 else failures
    return d + p * f, d, p, f


def threshold_for(need: float, delay: int, period: int) -> int:
    return min(INT32_MAX, max(1, math.ceil(max(need - delay, 0) / period)))


def handler(probe: dict[str, Any]) -> tuple[str, Any] | None:
    for key in HANDLERS:
        if key in probe:
            return key, probe[key]
    return None


def http_port(probe: dict[str, Any]) -> Any:
    return as_map(probe.get("httpGet")).get("port", as_map(probe.get("tcpSocket")).get("port"))


def edit_value(origin: Origin, old: str, new: str) -> Edit:
    """Change ``old`` to ``new`` where the value is written (an arg, an env value, a ConfigMap key)."""
    if origin.start == 0 and len(old) == origin.end:
        whole = origin.obj.data
        for step in origin.path:
            whole = whole[step] if isinstance(whole, dict | list) else None  # type: ignore[index]
        if isinstance(whole, str) and whole == old:
            return SetValue(origin.obj.target, origin.path, new)
    return ReplaceInString(origin.obj.target, origin.path, origin.start, origin.end, old, new)


def where(origin: Origin, s: Server) -> str:
    """Words for where a value is written when it is not in the container's own arguments."""
    if origin.obj is not s.obj:
        key = origin.path[-1] if origin.path else "?"
        return f" (from {origin.obj.kind} {origin.obj.name}, key {key})"
    if "env" in origin.path:
        i = origin.path.index("env")
        name = s.container.data.get("env", [])[origin.path[i + 1]].get("name", "?")
        return f" (from env {name})"
    return ""


def new_object(
    api_version: str, kind: str, name: str, beside: K8sObject, spec: dict[str, Any]
) -> dict[str, Any]:
    """A new object for an AddDocument fix, in the namespace of the object it is added beside."""
    md: dict[str, Any] = {"name": name}
    if beside.ref.namespace:
        md["namespace"] = beside.ref.namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": md, "spec": spec}


def replicas_anchor(w: Workload) -> Path:
    """Where a finding about a workload's replica count points: ``replicas`` if written, else its name."""
    if w.replicas_path and dig(w.obj.data, *w.replicas_path) is not None:
        return w.replicas_path
    return ("metadata", "name")
