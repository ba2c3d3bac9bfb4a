"""Facts several availability, storage, scheduling and security rules read: platform hints, variants,
context objects, how a server and a container are named in a message.

Some of these are provided by the serving analysis and the graph (``Server.display_name()``,
``Server.download_gb()``, ``Graph.variants()``, ``K8sObject.context``); until they exist the helpers here fall
back to what the manifests say directly.
"""

from __future__ import annotations

from typing import Any

from llmlint.checks.common import model_words
from llmlint.graph.objects import Container, K8sObject, PodTemplate, as_list, as_map, dig
from llmlint.serving.server import Server

GKE_ACCELERATOR = "cloud.google.com/gke-accelerator"
GKE_COMPUTE_CLASS = "cloud.google.com/compute-class"
AUTOPILOT_PREFIXES = ("autopilot.gke.io/",)
KSERVE_CONTAINER = "kserve-container"  # the name KServe gives the predictor's container


def is_context(obj: K8sObject) -> bool:
    """An object read only as context (an unnamed file of a pre-commit run): a fact, never reported on."""
    return bool(getattr(obj, "context", False))


def _same_object(a: K8sObject, b: K8sObject) -> bool:
    return (a.kind, a.namespace, a.name) == (b.kind, b.namespace, b.name)


def variants(graph: Any, obj: K8sObject) -> list[K8sObject]:
    """Other objects of ``obj``'s kind, namespace and name in other files: alternatives of it (overlays,
    per-accelerator files), never objects that run beside it."""
    fn = getattr(graph, "variants", None)
    if callable(fn):
        return list(fn(obj))
    return [
        o
        for o in graph.of_kind(obj.kind, obj.namespace)
        if o is not obj and _same_object(o, obj) and o.target.source != obj.target.source
    ]


def node_selector_terms(t: PodTemplate) -> list[tuple[str, list[str]]]:
    """(label key, values) the pod requires of its node: ``nodeSelector`` and required node affinity."""
    out = [(str(k), [str(v)]) for k, v in as_map(t.spec.get("nodeSelector")).items()]
    required = dig(
        t.spec,
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    for term in as_list(required):
        for expr in as_list(as_map(term).get("matchExpressions")):
            e = as_map(expr)
            if e.get("operator") in ("In", "Exists") and isinstance(e.get("key"), str):
                out.append((str(e["key"]), [str(v) for v in as_list(e.get("values"))]))
    return out


def gke_accelerator(t: PodTemplate) -> bool:
    """The pod asks for a GKE accelerator node: GKE taints those nodes and adds the matching toleration to
    pods that select them (and request ``nvidia.com/gpu``) itself."""
    return any(k == GKE_ACCELERATOR for k, _ in node_selector_terms(t))


def gke_autopilot(t: PodTemplate) -> bool:
    """GKE Autopilot (a compute class, or Autopilot's own annotations): it provisions a node for every pod,
    the surge pod of a rollout included."""
    if any(k == GKE_COMPUTE_CLASS for k, _ in node_selector_terms(t)):
        return True
    for ann in (t.annotations, t.obj.annotations):
        if any(k.startswith(AUTOPILOT_PREFIXES) for k in ann):
            return True
    return False


def container_label(c: Container) -> str:
    """How a message names a container: its name, never an empty one."""
    if c.name:
        return c.name
    if c.obj.kind == "InferenceService":
        return KSERVE_CONTAINER
    kind = "init container" if c.init else "container"
    return f"{kind} #{c.path[-1] if c.path else 0}"


def server_name(s: Server) -> str:
    """How a message names a server: its model, else its framework (never an image, a volume or a path)."""
    ref = s.model() or ""
    fn = getattr(s, "display_name", None)
    if callable(fn):
        name = fn()
        if isinstance(name, str) and name and not name.startswith("GPU container"):
            ref = name
    if s.framework is not None and s.framework.key == "nim":
        env = s.env.get("NIM_MODEL_NAME")
        if env is not None and env.value:
            ref = env.value  # NIM serves what NIM_MODEL_NAME names; the image is only its runtime
    m = _model_words(ref)
    if m:
        return m
    return s.framework.title if s.framework else f"{s.obj.kind} {s.obj.name}"


def _model_words(ref: str) -> str:
    """A model reference as a message names it (one rule for every message: ``common.model_words``)."""
    return model_words(ref)


_BNB = ("bitsandbytes", "bnb")


def download_gb(s: Server) -> float | None:
    """Checkpoint bytes on disk (GB): what a cache volume must hold and a start downloads. Quantisation on
    load (bitsandbytes) does not shrink the download."""
    fn = getattr(s, "download_gb", None)
    if callable(fn):
        v = fn()
        return float(v) if isinstance(v, int | float) else None
    p = s.model_params()
    if p is None:
        return None
    quant = (s.value("quant") or "").lower()
    if any(b in quant for b in _BNB):
        return p * 2.0
    return s.weight_gb()


# Images whose default user is not root, by framework key: NVIDIA NIM runs as uid 1000 (the NIM Operator's
# default userID, the NIM docs' `docker run -u`); a volume it writes must be writable by that user.
IMAGE_USERS: dict[str, int] = {"nim": 1000}


def run_as_user(s: Server) -> int | None:
    """The uid the server runs as: the container's or the pod's ``runAsUser``, else the image's known user
    (0 for images not known to set one; None when the pod insists on non-root and the uid is unknown)."""
    for sc in (
        as_map(s.container.data.get("securityContext")),
        as_map(s.container.template.spec.get("securityContext")),
    ):
        uid = sc.get("runAsUser")
        if isinstance(uid, int) and not isinstance(uid, bool):
            return uid
    key = s.framework.key if s.framework is not None else ""
    if key in IMAGE_USERS:
        return IMAGE_USERS[key]
    for sc in (
        as_map(s.container.data.get("securityContext")),
        as_map(s.container.template.spec.get("securityContext")),
    ):
        if sc.get("runAsNonRoot") is True:
            return None
    return 0
