"""Model weights on volumes: shared claims, caches, downloads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from llmlint.checks import Context, check, make_fix
from llmlint.graph.objects import K8sObject, PodTemplate, as_list, as_map, dig
from llmlint.model import Finding, SetValue

SINGLE_NODE_MODES = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})
SHARED_MODES = frozenset({"ReadWriteMany", "ReadOnlyMany"})
# Storage classes (by common name) whose volumes attach to one node at a time.
BLOCK_CLASSES = ("gp2", "gp3", "io1", "io2", "ebs", "pd-", "standard-rwo", "premium-rwo", "managed", "local-path", "hostpath", "standard")


@dataclass
class Mount:
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
    terms = as_list(dig(t.spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
    return any(isinstance(term, dict) and term.get("topologyKey") == "kubernetes.io/hostname" for term in terms)


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
