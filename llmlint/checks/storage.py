"""Model weights on volumes: shared claims, caches, downloads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import new_object
from llmlint.graph.objects import K8sObject, PodTemplate, as_list, as_map, dig
from llmlint.lazyre import LazyRe
from llmlint.model import AddDocument, AppendItem, Finding, Fix, SetValue
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


def _class_note(pvc: K8sObject) -> str:
    sc = dig(pvc.data, "spec", "storageClassName")
    if isinstance(sc, str) and any(sc.lower().startswith(b) for b in BLOCK_CLASSES):
        return (
            f"; storage class {sc!r} provides block volumes that attach to one node: ReadWriteMany needs a "
            "file-system class (EFS, Filestore, Azure Files, NFS, CephFS)"
        )
    return "; ReadWriteMany needs a storage class that supports it (EFS, Filestore, Azure Files, NFS, CephFS)"


@check("LLM006")
def rwo_volume_shared_across_nodes(ctx: Context) -> Iterator[Finding]:
    serving = {id(s.container.template) for s in ctx.servers}
    for (ns, claim), mounts in claim_mounts(ctx).items():
        pvc = ctx.graph.get("PersistentVolumeClaim", ns, claim)
        if pvc is None:
            continue
        modes = {str(m) for m in as_list(dig(pvc.data, "spec", "accessModes"))}
        if not modes & SINGLE_NODE_MODES or modes & SHARED_MODES:
            continue
        if not any(id(m.template) in serving for m in mounts):
            continue
        counts = [m.template.replicas for m in mounts]
        pods = None if any(c is None for c in counts) else sum(c or 0 for c in counts)
        if pods is not None and pods < 2:
            continue
        nodes = {pinned_node(m.template) for m in mounts}
        once_pod = "ReadWriteOncePod" in modes
        if not once_pod and len(nodes) == 1 and None not in nodes:
            continue  # every pod is pinned to the same node: ReadWriteOnce allows that
        users = sorted({f"{m.template.obj.kind} {m.template.obj.name}" for m in mounts})
        mode = "ReadWriteOncePod" if once_pod else "ReadWriteOnce"
        for m in mounts:
            t = m.template
            if t.obj.kind in ("Job", "CronJob"):
                continue  # reported on the long-running workloads that share the claim
            if t.replicas is not None and t.replicas >= 2 and required_anti_affinity(t):
                why = f"its {t.replicas} replicas are forced onto different nodes by required podAntiAffinity"
            elif len(users) > 1:
                why = f"it is mounted by {', '.join(users)}, whose pods may run on different nodes"
            elif pods is None:
                why = "its pods run on many nodes"
            else:
                why = f"its {pods} pods may be scheduled on different nodes"
            msg = (
                f"PersistentVolumeClaim {claim} is {mode} but {why}: every pod after the first stays in "
                f"ContainerCreating with a Multi-Attach error{_class_note(pvc)}"
            )
            fix = make_fix(
                "unsafe",
                f"switch PersistentVolumeClaim {claim} to ReadWriteMany (needs a storage class that supports it; "
                "a bound claim must be re-created)",
                SetValue(pvc.target, ("spec", "accessModes"), ["ReadWriteMany"]),
            )
            path = (*t.spec_path, "volumes", m.volume_index, "persistentVolumeClaim", "claimName")
            yield ctx.finding("LLM006", t.obj, path, msg, fix=fix)


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
PERSISTENT = ("persistentVolumeClaim", "hostPath", "nfs", "csi", "ephemeral", "iscsi", "cephfs", "azureFile")


def cache_dir(s: Server) -> str:
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
    if s.framework is not None and s.framework.key in DEFAULT_CACHE:
        return DEFAULT_CACHE[s.framework.key]
    return "/root/.cache/huggingface"


def _covers(mount: str, path: str) -> bool:
    a, b = mount.rstrip("/") or "/", path.rstrip("/") or "/"
    return a == b or b.startswith(a + "/") or a.startswith(b + "/")


def is_hub_model(s: Server) -> bool:
    if s.framework is not None and s.framework.key == "nim":
        return True  # NIM pulls its optimised engine from NGC on start
    m = s.model() or ""
    return bool(m) and not m.startswith(_LOCAL) and bool(_HUB_ID.match(m))


@check("LLM012")
def model_downloaded_every_start(ctx: Context) -> Iterator[Finding]:
    for s in ctx.inference_servers():
        if s.framework is None or s.framework.key in ("ollama", "triton", "llamacpp") or not is_hub_model(s):
            continue
        c, t = s.container, s.container.template
        cache = cache_dir(s)
        persistent = False
        for _, m in c.mounts:
            vol = t.volume(str(m.get("name")))
            if (
                vol is not None
                and _covers(str(m.get("mountPath", "")), cache)
                and any(k in vol[1] for k in PERSISTENT)
            ):
                persistent = True
        if persistent:
            continue
        gb = s.weight_gb()
        size = f"{max(50, int(-(-(gb or 30) * 1.5 // 50)) * 50)}Gi"
        where = f"{gb:.0f} GB" if gb else "the weights"
        msg = (
            f"{s.model()} is downloaded into {cache}, which is not on a persistent volume: every restart and "
            f"every new pod downloads {where} again (slow starts, hub rate limits, egress cost)"
        )
        fix = _cache_fix(s, cache, size)
        mf = s.flag("model")
        obj, path, span = mf.anchor() if mf is not None else (c.obj, (*c.path, "image"), None)
        yield ctx.finding("LLM012", obj, path, msg, container=c, fix=fix, span=span)


def _cache_fix(s: Server, cache: str, size: str) -> Fix:
    c, t, w = s.container, s.container.template, s.container.template.workload
    tgt = c.obj.target
    name = "model-cache"
    taken = {v.get("name") for _, v in t.volumes}
    while name in taken:
        name += "-x"
    mount = AppendItem(tgt, (*c.path, "volumeMounts"), {"name": name, "mountPath": cache})
    if w.kind == "StatefulSet":
        claim = {
            "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
        }
        return make_fix(
            "unsafe",
            f"add a volumeClaimTemplate {name} ({size}) mounted at {cache}",
            AppendItem(tgt, ("spec", "volumeClaimTemplates"), claim),
            mount,
        )
    claim_name = f"{w.obj.name}-{name}"
    pods = w.pod_count()
    mode = "ReadWriteOnce" if pods == 1 else "ReadWriteMany"
    spec = {"accessModes": [mode], "resources": {"requests": {"storage": size}}}
    pvc = new_object("v1", "PersistentVolumeClaim", claim_name, w.obj, spec)
    return make_fix(
        "unsafe",
        f"add PersistentVolumeClaim {claim_name} ({mode}, {size}) and mount it at {cache}",
        AddDocument(tgt, pvc),
        AppendItem(
            tgt, (*t.spec_path, "volumes"), {"name": name, "persistentVolumeClaim": {"claimName": claim_name}}
        ),
        mount,
    )


_DOWNLOAD = LazyRe(
    r"huggingface-cli\s+download|\bhf\s+download|snapshot_download|hf_hub_download|aws\s+s3\s+(sync|cp)|"
    r"gsutil\s+(-m\s+)?(cp|rsync)|gcloud\s+storage\s+(cp|rsync)|azcopy\s+(copy|sync)|rclone\s+(copy|sync)|"
    r"git\s+lfs\s+(pull|clone)|\bgit\s+clone\s+https://huggingface\.co|ollama\s+pull|\bwget\s|\bcurl\s[^|]*-[oO]\b|"
    r"mc\s+(cp|mirror)|s5cmd\s+(cp|sync)",
)


@check("LLM025")
def model_download_per_pod(ctx: Context) -> Iterator[Finding]:
    serving = {id(s.container.template) for s in ctx.inference_servers()}
    for w in ctx.graph.workloads:
        for t in w.templates:
            if id(t) not in serving:
                continue
            for ic in t.init_containers:
                script = " ".join(str(x) for x in ic.strings("command") + ic.strings("args"))
                m = _DOWNLOAD.search(script)
                if not m:
                    continue
                shared = []
                for _, mnt in ic.mounts:
                    vol = t.volume(str(mnt.get("name")))
                    if vol is not None and "persistentVolumeClaim" in vol[1]:
                        shared.append(str(dig(vol[1], "persistentVolumeClaim", "claimName")))
                if not shared:
                    continue
                msg = (
                    f"initContainer {ic.name} downloads weights ({m.group(0).strip()}) in every pod into the shared "
                    f"claim {', '.join(shared)}: pods starting together download concurrently into the same files "
                    "(corrupt or partial weights) and every restart re-checks the remote; download once with a Job "
                    "and mount the claim read-only"
                )
                yield ctx.finding("LLM025", w.obj, (*ic.path, "name"), msg, container=ic)
