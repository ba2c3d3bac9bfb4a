"""Model weights on volumes: shared claims, caches, downloads."""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.availability import recreate_edits
from llmlint.checks.common import display_name, flag_anchor, new_object
from llmlint.checks.facts import download_gb, is_context, run_as_user, variants
from llmlint.graph.objects import K8sObject, PodTemplate, Workload, as_int, as_list, as_map, dig
from llmlint.graph.quantities import quantity
from llmlint.lazyre import LazyRe
from llmlint.model import AddDocument, AppendItem, Edit, Finding, Fix, SetValue
from llmlint.serving.server import Server

SINGLE_NODE_MODES = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})
SHARED_MODES = frozenset({"ReadWriteMany", "ReadOnlyMany"})
# Storage classes (by common name) whose volumes attach to one node at a time.
BLOCK_CLASSES = (
    "gp2",
    "gp3",
    "io1",
    "io2",
    "ebs",
    "pd-",
    "standard-rwo",
    "premium-rwo",
    "managed",
    "local-path",
    "hostpath",
    "standard",
)


@dataclass(eq=False)
class Mount:
    """A pod template's volume that names a claim."""

    template: PodTemplate
    volume_index: int
    read_only: bool


def claim_mounts(ctx: Context) -> dict[tuple[str, str], list[Mount]]:
    """Claims (namespace, name) used through ``volumes[].persistentVolumeClaim`` by pod templates."""
    out: dict[tuple[str, str], list[Mount]] = defaultdict(list)
    for w in ctx.graph.workloads:
        for t in w.templates:
            for i, v in t.volumes:
                claim = dig(v, "persistentVolumeClaim", "claimName")
                if isinstance(claim, str):
                    ro = bool(dig(v, "persistentVolumeClaim", "readOnly"))
                    out[(w.obj.namespace, claim)].append(Mount(t, i, ro))
    return out


def _key(obj: K8sObject) -> tuple[str, str, str]:
    return (obj.kind, obj.namespace, obj.name)


def coexisting(ctx: Context, mine: Mount, mounts: list[Mount]) -> list[Mount]:
    """The mounts that run beside ``mine``: its own object's, and of every other object one variant (the
    first file's): objects of one kind, namespace and name in different files are alternatives."""
    own = mine.template.obj
    variant_ids = {id(v) for v in variants(ctx.graph, own)}
    chosen: dict[tuple[str, str, str], str] = {_key(own): own.target.source}
    out: list[Mount] = []
    for m in mounts:
        o = m.template.obj
        if id(o) in variant_ids:
            continue
        src = chosen.setdefault(_key(o), o.target.source)
        if o is own or src == o.target.source:
            out.append(m)
    return out


def _one_per_template(mounts: list[Mount]) -> list[Mount]:
    """A pod that mounts one claim through two volumes is still one pod (on one node)."""
    seen: set[int] = set()
    out: list[Mount] = []
    for m in mounts:
        if id(m.template) not in seen:
            seen.add(id(m.template))
            out.append(m)
    return out


def pinned_node(t: PodTemplate) -> str | None:
    spec = t.spec
    if isinstance(spec.get("nodeName"), str):
        return str(spec["nodeName"])
    host = as_map(spec.get("nodeSelector")).get("kubernetes.io/hostname")
    return str(host) if host is not None else None


def required_anti_affinity(t: PodTemplate) -> bool:
    terms = as_list(
        dig(t.spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    )
    return any(
        isinstance(term, dict) and term.get("topologyKey") == "kubernetes.io/hostname" for term in terms
    )


# Storage classes whose volumes live on one node (the PV carries node affinity): pods that use one are all
# scheduled to that node, and ReadWriteOnce allows any number of pods there.
NODE_LOCAL_CLASSES = (
    "local-path",
    "local-storage",
    "openebs-hostpath",
    "microk8s-hostpath",
    "topolvm",
    "hostpath",
)


def _node_local(pvc: K8sObject) -> bool:
    sc = dig(pvc.data, "spec", "storageClassName")
    return isinstance(sc, str) and sc.lower().startswith(NODE_LOCAL_CLASSES)


def _block_class(pvc: K8sObject) -> str | None:
    sc = dig(pvc.data, "spec", "storageClassName")
    if isinstance(sc, str) and any(sc.lower().startswith(b) for b in BLOCK_CLASSES):
        return sc
    return None


def surges(w: Workload) -> bool:
    """A Deployment whose rollout starts the new pod before the old one stops (RollingUpdate, maxSurge > 0;
    the default 25% rounds up to one pod)."""
    if w.kind != "Deployment":
        return False
    strategy = as_map(dig(w.obj.data, "spec", "strategy"))
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return False
    raw = as_map(strategy.get("rollingUpdate")).get("maxSurge", "25%")
    if isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            return float(raw.strip()[:-1]) > 0
        except ValueError:
            return False
    n = as_int(raw)
    return n is not None and n > 0


def _rwx_fix(ctx: Context, pvc: K8sObject, claim: str) -> Fix | None:
    if is_context(pvc) or _block_class(pvc) is not None:
        return None  # never edit a context object; a block storage class cannot provide ReadWriteMany
    return make_fix(
        "unsafe",
        f"switch PersistentVolumeClaim {claim} to ReadWriteMany (needs a storage class that supports it; "
        "a bound claim must be re-created)",
        SetValue(pvc.target, ("spec", "accessModes"), ["ReadWriteMany"]),
    )


@check("LLM006")
def rwo_volume_shared_across_nodes(ctx: Context) -> Iterator[Finding]:
    serving = {id(s.container.template) for s in ctx.servers}
    for (ns, claim), mounts in claim_mounts(ctx).items():
        first = ctx.graph.get("PersistentVolumeClaim", ns, claim)
        if first is None:
            continue
        # a claim of one name in several files is variants of one claim (each file's fix may create it): a
        # mount uses the one in its own file when there is one
        by_file = {p.target.source: p for p in (first, *variants(ctx.graph, first))}
        for m in mounts:
            pvc = by_file.get(m.template.obj.target.source, first)
            f = _shared_claim(ctx, serving, pvc, claim, m, mounts)
            if f is not None:
                yield f


def _shared_claim(
    ctx: Context, serving: set[int], pvc: K8sObject, claim: str, m: Mount, mounts: list[Mount]
) -> Finding | None:
    modes = {str(x) for x in as_list(dig(pvc.data, "spec", "accessModes"))}
    if not modes & SINGLE_NODE_MODES or modes & SHARED_MODES:
        return None
    once_pod = "ReadWriteOncePod" in modes
    mode = "ReadWriteOncePod" if once_pod else "ReadWriteOnce"
    sc = _block_class(pvc)
    if not once_pod and _node_local(pvc):
        return None  # the volume's node affinity brings every pod to its node, where ReadWriteOnce is shared
    t = m.template
    if t.obj.kind in ("Job", "CronJob") or is_context(t.obj):
        return None  # reported on the long-running workloads that share the claim
    # variants of an object are alternatives (coexisting), and a pod that names the claim in two volumes is
    # one pod
    beside = _one_per_template(coexisting(ctx, m, mounts))
    if not any(id(x.template) in serving for x in beside):
        return None
    counts = [x.template.replicas for x in beside]
    pods = None if any(c is None for c in counts) else sum(c or 0 for c in counts)
    nodes = {pinned_node(x.template) for x in beside}
    one_node = len(nodes) == 1 and None not in nodes
    users = sorted({f"{x.template.obj.kind} {x.template.obj.name}" for x in beside})
    path = (*t.spec_path, "volumes", m.volume_index, "persistentVolumeClaim", "claimName")
    if pods is not None and pods < 2:
        w = t.workload
        if pods == 1 and surges(w) and (once_pod or not one_node) and id(t) in serving:
            msg = (
                f"claim {claim} is {mode} and the RollingUpdate of {w.obj.name} starts its new pod first: "
                "on another node it hangs on Multi-Attach and the rollout deadlocks"
            )
            fix = make_fix(
                "unsafe",
                "use the Recreate strategy (the old pod releases the volume before the new one starts)",
                *recreate_edits(w),
            )
            return ctx.finding("LLM006", t.obj, path, msg, fix=fix)
        return None
    if not once_pod and one_node:
        return None  # every pod is pinned to the same node: ReadWriteOnce allows that
    if t.replicas is not None and t.replicas >= 2 and required_anti_affinity(t):
        why = f"required anti-affinity spreads its {t.replicas} pods over nodes"
    elif len(users) > 1:
        why = f"{', '.join(users)} may run on different nodes"
    elif pods is None:
        why = "its pods run on many nodes"
    else:
        why = f"its {pods} pods may land on different nodes"
    msg = f"claim {claim} is {mode} but {why}: all pods but one hang on Multi-Attach"
    if sc is not None:
        msg += f" (class {sc} has no ReadWriteMany)"
    return ctx.finding("LLM006", t.obj, path, msg, fix=_rwx_fix(ctx, pvc, claim))


HF_CACHE_ENV = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_HOME")
DEFAULT_CACHE = {"tgi": "/data", "nim": "/opt/nim/.cache"}
_LOCAL = (
    "/",
    "./",
    "../",
    "s3://",
    "gs://",
    "pvc://",
    "oci://",
    "file://",
    "azure://",
    "https://",
    "http://",
)
_HUB_ID = LazyRe(r"^(hf://)?[A-Za-z0-9][\w.-]*/[\w.-]+$")
# Volumes that outlive the pod. A generic ephemeral volume (``ephemeral.volumeClaimTemplate``) is deleted
# with its pod, like an emptyDir: it is no cache.
PERSISTENT = (
    "persistentVolumeClaim",
    "hostPath",
    "nfs",
    "csi",
    "iscsi",
    "cephfs",
    "azureFile",
    "azureDisk",
    "awsElasticBlockStore",
    "gcePersistentDisk",
    "rbd",
    "glusterfs",
    "portworxVolume",
)
# Hugging Face's cloud deep-learning containers for TGI (GCP, AWS) point the hub cache at /tmp.
_DLC_TGI = LazyRe(r"huggingface-(text-generation-inference|pytorch-tgi)")
_WEIGHTS_NAME = LazyRe(r"model|cache|weight|hf|hugging|llm|checkpoint", re.IGNORECASE)


def _storage_initializer(s: Server) -> bool:
    """An InferenceService whose storageUri KServe's storage initializer downloads (s3://, gs://, hf://…)
    into an emptyDir at /mnt/models on every start (a pvc:// one is mounted instead)."""
    uri = _storage_uri(s)
    return (
        s.container.template.workload.kind == "InferenceService"
        and bool(uri)
        and not uri.startswith("pvc://")
    )


def cache_dir(s: Server) -> str:
    if _storage_initializer(s):
        return KSERVE_MODEL_DIR
    if s.framework is not None and s.framework.key == "nim":
        v = s.env.get("NIM_CACHE_PATH")
        return v.value if v is not None and v.value else DEFAULT_CACHE["nim"]
    d = s.value("download_dir")
    if d:
        return d
    for name in HF_CACHE_ENV:
        v = s.env.get(name)
        if v is not None and v.value:
            return v.value
    if s.framework is not None and s.framework.key == "tgi" and _DLC_TGI.search(s.container.image):
        return "/tmp"
    if s.framework is not None and s.framework.key in DEFAULT_CACHE:
        return DEFAULT_CACHE[s.framework.key]
    return "/root/.cache/huggingface"


def _hf_cache_env(s: Server) -> str | None:
    for name in HF_CACHE_ENV:
        v = s.env.get(name)
        if v is not None and v.value:
            return v.value
    return None


def _unseen_runtime(s: Server) -> bool:
    """A KServe predictor whose ServingRuntime is not in the scan (the graph marks it ``partial``)."""
    c = s.container
    return c.template.workload.kind == "InferenceService" and bool(getattr(c, "partial", False))


def _any_persistent(s: Server) -> bool:
    """Does the container mount any volume that outlives the pod (it may hold the cache)?"""
    t = s.container.template
    for _, m in s.container.mounts:
        vol = t.volume(str(m.get("name")))
        if vol is not None and any(k in vol[1] for k in PERSISTENT):
            return True
    return False


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


def _covers(mount: str, path: str) -> bool:
    a, b = _norm(mount), _norm(path)
    return a == b or b.startswith(a + "/") or a.startswith(b + "/")


def is_hub_model(s: Server) -> bool:
    if s.framework is not None and s.framework.key == "nim":
        return True  # NIM pulls its optimised engine from NGC on start
    m = s.model() or ""
    return bool(m) and not m.startswith(_LOCAL) and bool(_HUB_ID.match(m))


def _offline(s: Server) -> bool:
    """``HF_HUB_OFFLINE=1`` (or ``TRANSFORMERS_OFFLINE``): the server never downloads; weights come with
    the image or a volume."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        v = s.env.get(name)
        if v is not None and (v.value or "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def claim_templates(w: Workload) -> set[str]:
    """Names of a StatefulSet's volumeClaimTemplates: a persistent claim per pod."""
    if w.kind != "StatefulSet":
        return set()
    return {
        str(n)
        for v in as_list(dig(w.obj.data, "spec", "volumeClaimTemplates"))
        if isinstance(n := dig(v, "metadata", "name"), str)
    }


def _cache_mounts(s: Server, cache: str) -> list[tuple[int, dict[str, Any]]]:
    return [(i, m) for i, m in s.container.mounts if _covers(str(m.get("mountPath", "")), cache)]


KSERVE_MODEL_DIR = "/mnt/models"  # where KServe mounts (pvc://) or downloads (s3://, hf://…) storageUri


def _storage_uri(s: Server) -> str:
    w = s.container.template.workload
    for v in (
        s.container.data.get("storageUri"),
        dig(w.obj.data, "spec", "predictor", "model", "storageUri"),
        dig(w.obj.data, "spec", "predictor", "storageUri"),
    ):
        if isinstance(v, str) and v:
            return v
    return ""


def on_persistent_volume(s: Server, cache: str) -> bool:
    t = s.container.template
    under_models = _norm(cache) == KSERVE_MODEL_DIR or _norm(cache).startswith(KSERVE_MODEL_DIR + "/")
    if under_models and t.workload.kind in ("ServingRuntime", "ClusterServingRuntime"):
        return True  # the InferenceService's storageUri decides what is mounted there: not known here
    if under_models and t.workload.kind == "InferenceService" and _storage_uri(s).startswith("pvc://"):
        return True  # KServe mounts the claim at /mnt/models
    vcts = claim_templates(t.workload)
    for _, m in _cache_mounts(s, cache):
        name = str(m.get("name"))
        vol = t.volume(name)
        if vol is None:
            if name in vcts:
                return True
            continue
        if any(k in vol[1] for k in PERSISTENT):
            return True
    return False


@check("LLM012")
def model_downloaded_every_start(ctx: Context) -> Iterator[Finding]:
    fixed_workloads: set[int] = set()
    for s in ctx.inference_servers():
        if s.framework is None or s.framework.key in ("ollama", "triton", "llamacpp") or not is_hub_model(s):
            continue
        c, t = s.container, s.container.template
        if is_context(c.obj) or _offline(s):
            continue
        if t.workload.kind == "Pod" and t.spec.get("restartPolicy") == "Never":
            continue  # a one-shot pod (a test, a job-like run): it starts once, nothing restarts it
        gb = download_gb(s)
        where = f"{gb:.0f} GB" if gb else "the weights"
        w = t.workload
        mf = s.flag("model")
        where_key = "storageUri" if "storageUri" in c.data else "image"
        obj, path, span = flag_anchor(s, mf) if mf is not None else (c.obj, (*c.path, where_key), None)
        if _unseen_runtime(s) and not _storage_initializer(s):
            # KServe merges a runtime that is not in the scan: its cache dir, volumes and user are unknown
            # (KServe's huggingface runtime caches in /tmp/huggingface, as uid 1000). The model id says the
            # server downloads; where to, and so a fix, is not known.
            if _storage_uri(s).startswith("pvc://") or _hf_cache_env(s) is not None or _any_persistent(s):
                continue
            msg = (
                f"{display_name(s)} is downloaded again on every start, {where} (assumed: KServe's runtime, "
                "not in the scan, caches in the container as its huggingface runtime does)"
            )
            yield ctx.finding("LLM012", obj, path, msg, container=c, fix=None, span=span)
            continue
        cache = cache_dir(s)
        if on_persistent_volume(s, cache):
            continue
        vols = [
            v for v in (t.volume(str(m.get("name"))) for _, m in _cache_mounts(s, cache)) if v is not None
        ]
        kinds = {k for _, v in vols for k in v if k != "name"}
        on = (
            "an ephemeral volume"
            if "ephemeral" in kinds
            else "an emptyDir"
            if "emptyDir" in kinds
            else "no volume"
        )
        msg = (
            f"{display_name(s)} is downloaded into {cache} ({on}, not persistent): every restart and new pod "
            f"downloads {where} again"
        )
        fix = None
        if id(w) not in fixed_workloads:
            # KServe mounts its own volume at /mnt/models: a second mount there is refused; a pvc://
            # storageUri (or KServe's model cache) is the fix, and it is the author's choice
            fix = None if _storage_initializer(s) else _cache_fix(ctx, s, cache, gb)
            if fix is not None:
                fixed_workloads.add(id(w))
        yield ctx.finding("LLM012", obj, path, msg, container=c, fix=fix, span=span)


def _size(gb: float | None) -> str | None:
    if not gb:
        return None
    return f"{max(50, int(-(-(gb * 1.3) // 50)) * 50)}Gi"


def _rwx_class(ctx: Context, namespace: str) -> str | None:
    """A storage class that provides ReadWriteMany here: one a claim of the namespace already uses so."""
    for pvc in ctx.graph.of_kind("PersistentVolumeClaim", namespace):
        modes = {str(m) for m in as_list(dig(pvc.data, "spec", "accessModes"))}
        sc = dig(pvc.data, "spec", "storageClassName")
        if "ReadWriteMany" in modes and isinstance(sc, str) and sc and _block_class(pvc) is None:
            return sc
    return None


def _cache_fix(ctx: Context, s: Server, cache: str, gb: float | None) -> Fix | None:
    """Reuse or convert what exists: a claim of the pod that is not mounted (mount it at the cache), a volume
    already at the cache path (make it a claim), else a new claim. Offered only when the size is known and
    the access mode the pods need has a storage class that provides it."""
    c, t, w = s.container, s.container.template, s.container.template.workload
    tgt = c.obj.target
    mounted = {str(m.get("name")) for _, m in c.mounts}
    at_cache = [(i, m) for i, m in c.mounts if _norm(str(m.get("mountPath", ""))) == _norm(cache)]
    # 1. a claim the pod already has, that looks like it holds weights, not mounted by the server
    if not at_cache:
        for _, v in t.volumes:
            claim = dig(v, "persistentVolumeClaim", "claimName")
            name = str(v.get("name"))
            if isinstance(claim, str) and name not in mounted and _WEIGHTS_NAME.search(f"{name} {claim}"):
                return make_fix(
                    "unsafe",
                    f"mount the pod's claim {claim} (volume {name}) at {cache}",
                    AppendItem(tgt, (*c.path, "volumeMounts"), {"name": name, "mountPath": cache}),
                    *_pin_cache(s, cache),
                )
    size = _size(gb)
    if size is None:
        return None
    pods = w.pod_count()
    if w.kind == "StatefulSet":
        if at_cache:
            return None  # the volume at the cache path would have to move to a claim template: by hand
        name = _free_volume_name(t)
        claim_t = {
            "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
        }
        owner = _fs_group_edits(s)
        if owner is None:
            return None  # the user is unknown, or an fsGroup would re-own the pod's other volumes
        return make_fix(
            "unsafe",
            f"add a volumeClaimTemplate {name} ({size}) mounted at {cache}",
            AppendItem(tgt, ("spec", "volumeClaimTemplates"), claim_t),
            AppendItem(tgt, (*c.path, "volumeMounts"), {"name": name, "mountPath": cache}),
            *owner,
            *_pin_cache(s, cache),
        )
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    mode = "ReadWriteOnce"
    if pods != 1:
        rwx = _rwx_class(ctx, w.obj.namespace)
        if rwx is None:
            return None  # several pods need ReadWriteMany, and no storage class here is known to provide it
        mode = "ReadWriteMany"
        spec = {"accessModes": [mode], "storageClassName": rwx, "resources": {"requests": {"storage": size}}}
    if at_cache and pods == 1:
        vol = t.volume(str(at_cache[0][1].get("name")))
        template = as_map(dig(vol[1], "ephemeral", "volumeClaimTemplate", "spec")) if vol else {}
        if template:  # keep what the author chose for the ephemeral claim (class, size), as a lasting claim
            spec = copy.deepcopy(template)
            if _quantity_gi(dig(spec, "resources", "requests", "storage")) < _quantity_gi(size):
                spec.setdefault("resources", {}).setdefault("requests", {})["storage"] = size
            size = str(dig(spec, "resources", "requests", "storage"))
    claim_name = f"{w.obj.name}-model-cache"
    existing = _existing_claim(ctx, w.obj, claim_name)
    edits: list[Edit] = []
    if existing is None:
        # a new volume is root-owned: a server that runs as another user needs the pod's fsGroup to write it
        owner = _fs_group_edits(s, str(at_cache[0][1].get("name")) if at_cache else None)
        if owner is None:
            return None
        edits.extend(owner)
    edits.extend(_pin_cache(s, cache))
    if existing is None:
        edits.append(AddDocument(tgt, new_object("v1", "PersistentVolumeClaim", claim_name, w.obj, spec)))
    ref = {"persistentVolumeClaim": {"claimName": claim_name}}
    if at_cache:
        _, m = at_cache[0]
        vol = t.volume(str(m.get("name")))
        if vol is None:
            return None
        i, v = vol
        edits.append(SetValue(tgt, (*t.spec_path, "volumes", i), {"name": v.get("name"), **ref}))
        what = f"make volume {v.get('name')} (at {cache}) PersistentVolumeClaim {claim_name}"
    else:
        name = _free_volume_name(t)
        edits.append(AppendItem(tgt, (*t.spec_path, "volumes"), {"name": name, **ref}))
        edits.append(AppendItem(tgt, (*c.path, "volumeMounts"), {"name": name, "mountPath": cache}))
        what = f"mount PersistentVolumeClaim {claim_name} at {cache}"
    made = f" ({mode}, {size})" if existing is None else " (it exists)"
    return make_fix("unsafe", what + made, *edits)


def _existing_claim(ctx: Context, owner: K8sObject, name: str) -> K8sObject | None:
    """The claim ``name`` the owner's pods would get: one in another file that holds a variant of the owner
    (an alternative of this workload, with its own claim) is not this one's."""
    first = ctx.graph.get("PersistentVolumeClaim", owner.namespace, name)
    if first is None:
        return None
    claims = [first, *variants(ctx.graph, first)]
    own = [p for p in claims if p.target.source == owner.target.source]
    if own:
        return own[0]
    alternative_files = {v.target.source for v in variants(ctx.graph, owner)}
    return next((p for p in claims if p.target.source not in alternative_files), None)


def _fs_group_edits(s: Server, replaced: str | None = None) -> list[Edit] | None:
    """Edits that let the server's user write a new volume: none for root or a pod with an ``fsGroup``;
    ``fsGroup`` = the pod's ``runAsGroup``, else the user's uid. None (no fix) when the user is unknown, or
    when the pod mounts other lasting volumes (a shared NFS/Lustre claim): a pod-wide ``fsGroup`` would
    change their ownership too. ``replaced``: the volume the fix turns into the claim."""
    t = s.container.template
    sc = t.spec.get("securityContext")
    pod_sc = as_map(sc)
    if "fsGroup" in pod_sc:
        return []
    uid = run_as_user(s)
    if uid is None:
        return None
    if uid == 0:
        return []
    if any(str(v.get("name")) != replaced and any(k in v for k in PERSISTENT) for _, v in t.volumes):
        return None
    gid = as_int(pod_sc.get("runAsGroup"))
    group = gid if gid is not None else uid
    tgt = s.container.obj.target
    if isinstance(sc, dict):
        return [SetValue(tgt, (*t.spec_path, "securityContext", "fsGroup"), group)]
    if sc is not None:
        return None
    return [SetValue(tgt, (*t.spec_path, "securityContext"), {"fsGroup": group})]


def _pin_cache(s: Server, cache: str) -> list[Edit]:
    """A TGI container whose cache is the image's (stock /data, the cloud images' /tmp) gets it named in
    ``HUGGINGFACE_HUB_CACHE`` (what the image already sets, so TGI is unchanged): a server that replaces the
    image (LLM007's migration to vLLM, in this run or later; huggingface_hub reads the variable) keeps
    caching on the new claim instead of in the container's filesystem."""
    if s.framework is None or s.framework.key != "tgi" or s.value("download_dir"):
        return []
    if any(s.env.get(n) is not None for n in HF_CACHE_ENV):
        return []
    item = {"name": "HUGGINGFACE_HUB_CACHE", "value": cache}
    c = s.container
    path = (*c.path, "env")
    if isinstance(c.data.get("env"), list):
        return [AppendItem(c.obj.target, path, item)]
    return [SetValue(c.obj.target, path, [item])]


def _quantity_gi(value: Any) -> float:
    q = quantity(value)
    return 0.0 if q is None else q[0] / q[1] / 2**30


def _free_volume_name(t: PodTemplate) -> str:
    name = "model-cache"
    taken = {str(v.get("name")) for _, v in t.volumes} | claim_templates(t.workload)
    while name in taken:
        name += "-x"
    return name


_DOWNLOAD = LazyRe(
    r"huggingface-cli\s+download|\bhf\s+download|snapshot_download|hf_hub_download|aws\s+s3\s+(sync|cp)|"
    r"gsutil\s+(-m\s+)?(cp|rsync)|gcloud\s+storage\s+(cp|rsync)|azcopy\s+(copy|sync)|rclone\s+(copy|sync)|"
    r"git\s+lfs\s+(pull|clone)|\bgit\s+clone\s+https://huggingface\.co|ollama\s+pull|\bwget\s|\bcurl\s[^|]*-[oO]\b|"
    r"mc\s+(cp|mirror)|s5cmd\s+(cp|sync)",
)


# Downloaders that write to a temporary name, rename complete files, lock against each other and skip what is
# complete (huggingface_hub, ollama): pods that start together neither corrupt nor duplicate the weights.
_ATOMIC = LazyRe(r"huggingface-cli|\bhf\s|snapshot_download|hf_hub_download|ollama\s+pull")


def _tool(match: str) -> str:
    """The downloader a script runs, in a few words (never its options, line continuations or URLs)."""
    words = [w for w in match.split() if w != "\\"]
    if words and words[0] in ("curl", "wget"):
        return words[0]
    return " ".join(w for w in words[:3] if not w.startswith("-"))


@check("LLM025")
def model_download_per_pod(ctx: Context) -> Iterator[Finding]:
    serving = {id(s.container.template) for s in ctx.inference_servers()}
    for w in ctx.graph.workloads:
        if is_context(w.obj):
            continue
        for t in w.templates:
            if id(t) not in serving:
                continue
            for ic in t.init_containers:
                script = " ".join(str(x) for x in ic.strings("command") + ic.strings("args"))
                m = _DOWNLOAD.search(script)
                if not m or _ATOMIC.search(m.group(0)):
                    continue
                shared = []
                for _, mnt in ic.mounts:
                    vol = t.volume(str(mnt.get("name")))
                    if vol is not None and "persistentVolumeClaim" in vol[1]:
                        shared.append(str(dig(vol[1], "persistentVolumeClaim", "claimName")))
                if not shared:
                    continue
                msg = (
                    f"initContainer {ic.name} downloads weights ({_tool(m.group(0))}) into claim "
                    f"{', '.join(shared)} in every pod: interrupted or concurrent downloads leave partial files"
                )
                yield ctx.finding("LLM025", w.obj, (*ic.path, "name"), msg, container=ic)
