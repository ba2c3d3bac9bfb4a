"""Kustomize: which files are patches, and what the kustomizations of the scan make of their bases.

A kustomization's patches are not objects: they are applied, as ``kustomize build`` applies them, to a copy
of their base's data for the analysis (positions and fixes stay on the base's own text). Each
kustomization that no other kustomization of the scan includes (a root: an overlay, an environment) renders
its resources, and every object it renders with a change is analysed as that rendering; a base that roots
render is analysed only through them. Image rewrites (``images:``) give the effective image;
``replacements:`` that write a container's image make it unknown. What cannot be applied with certainty
(a directive or list this merge does not know, a JSON patch path that does not resolve, a target chosen by
a selector it cannot read) makes the object's facts unknown: it is left out of the analysis (a debug note
says so), never linted half-patched.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from llmlint.manifest.loader import Document, Loaded, SourceText, load, parse_document, read_file, type_errors
from llmlint.model import Finding, Target
from llmlint.sources.files import display_name, printable

FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
LOG = logging.getLogger("llmlint.kustomize")

# Kinds whose schema kustomize knows (strategic merge keys from the Kubernetes API).
_BUILTIN = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "PodTemplate"}
)
# patchMergeKey of the pod-spec lists (k8s.io/api/core/v1 types.go); other lists of built-in kinds are atomic.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Without a schema (custom resources) kyaml merges a list of maps by the first of these keys all items have.
_ASSOCIATIVE = ("mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)")
_PLACEHOLDER = re.compile(r"replace|placeholder|kustomi[sz]e|^image$|^[A-Z0-9_]+$", re.IGNORECASE)


class Unknown(Exception):
    """A patch this module cannot apply with certainty."""


@dataclass(eq=False)
class Patch:
    content: Any  # a strategic-merge map or a JSON 6902 operation list
    json6902: bool
    target: dict[str, Any] | None  # the selector written (``target:``), else the patch's own kind/name
    file: str | None = None


@dataclass(eq=False)
class Kustomization:
    path: str
    dir: str
    data: dict[str, Any]
    resources: list[str] = field(default_factory=list)  # real paths: files, or kustomization files
    components: list[str] = field(default_factory=list)  # kustomization files of kind Component
    remote: bool = False  # a resource that cannot be read here (a URL, a missing path)
    patches: list[Patch] = field(default_factory=list)
    patch_files: set[str] = field(default_factory=set)
    images: list[dict[str, Any]] = field(default_factory=list)
    replacements: list[dict[str, Any]] = field(default_factory=list)  # targets that write an image
    namespace: str | None = None


@dataclass(eq=False)
class Kustomize:
    """What the kustomizations of a scan say: patch files, image rewrites, and the rendered documents."""

    kustomizations: dict[str, Kustomization] = field(default_factory=dict)
    docs: list[Document] = field(default_factory=list)
    # The base's own data and the data of each rendering of it, by the base's target: a fix is kept only
    # where they agree (it is written into the base's text).
    views: dict[tuple[str, int], tuple[Any, list[Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def patch_files(self) -> set[str]:
        return {p for k in self.kustomizations.values() for p in k.patch_files}

    def image_rewrites(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for k in self.kustomizations.values():
            for entry in k.images:
                out.setdefault(str(entry["name"]), []).append(entry)
        return out

    @property
    def replaces_images(self) -> bool:
        return any(k.replacements for k in self.kustomizations.values())

    def note(self, text: str) -> None:
        """A debug note (not an error): what was left out and why. ``LLMLINT_DEBUG=1`` prints it."""
        text = printable(text)
        self.notes.append(text)
        LOG.debug("%s", text)
        if os.environ.get("LLMLINT_DEBUG"):
            sys.stderr.write(f"llmlint: debug: kustomize: {text}\n")

    def settle(self, findings: Iterable[Finding]) -> None:
        """Withdraw a fix that edits a patched base where the base's value is not the rendering's (the
        fix was computed on the rendering; written into the base's text it could miss or misplace)."""
        for f in findings:
            if f.fix is None:
                continue
            for e in f.fix.edits:
                key = _key(e.target)
                path = getattr(e, "path", None)
                if key in self.views and path is not None:
                    base, renders = self.views[key]
                    if any(not _agree(base, r, tuple(path)) for r in renders):
                        f.fix = None
                        break


def _key(t: Target) -> tuple[str, int]:
    return t.source, t.doc_index


def _agree(a: Any, b: Any, path: tuple[Any, ...]) -> bool:
    for step in path:
        ha, hb = _has(a, step), _has(b, step)
        if not ha and not hb:
            return True  # a key to add where both have the same parent (checked by the steps before)
        if ha != hb:
            return False
        a, b = a[step], b[step]
    return bool(a == b)


def _has(data: Any, step: Any) -> bool:
    if isinstance(step, str):
        return isinstance(data, dict) and step in data
    return isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)


# ---- reading kustomizations ---------------------------------------------------------------------------


def _shown(path: str) -> str:
    return display_name(path, os.getcwd())


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


_REAL: dict[str, str] = {}  # realpath of each path, while one scan renders (cleared after)


def _real(path: str) -> str:
    real = _REAL.get(path)
    if real is None:
        real = _REAL[path] = os.path.realpath(path)
    return real


_SOURCES: dict[str, SourceText] = {}  # the scan's own sources by real path, while one renders (no re-read)


def _read(path: str) -> list[Any]:
    """The documents of a file, parsed by the project's loader (no prefilter: patches have no workload's
    signs), or [] when it cannot be read."""
    src = _SOURCES.get(_real(path)) or read_file(path, path)
    if not isinstance(src, SourceText):
        return []
    ld = load(src, prefilter=False)
    return [d.data for d in ld.documents if d.data is not None]


def _inline(text: str) -> list[Any]:
    ld = load(SourceText("<inline patch>", None, text), prefilter=False)
    if ld.errors:
        raise Unknown("an inline patch is not YAML")
    return [d.data for d in ld.documents if d.data is not None]


def kustomization_in(directory: str) -> str | None:
    for name in FILES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return _real(p)
    return None


def read_kustomization(path: str, into: dict[str, Kustomization]) -> Kustomization | None:
    """The kustomization at ``path`` and, recursively, the ones its resources include."""
    path = _real(path)
    if path in into:
        return into[path]
    docs = _read(path)
    data = docs[0] if docs and isinstance(docs[0], dict) else None
    if data is None:
        return None
    k = Kustomization(path, os.path.dirname(path), data)
    into[path] = k
    ns = data.get("namespace")
    k.namespace = ns if isinstance(ns, str) and ns else None
    for key in ("resources", "bases", "components"):
        for entry in _strings(data.get(key)):
            n = len(k.resources)
            if _REMOTE.match(entry):
                k.remote = True
                continue
            p = _real(os.path.join(k.dir, entry))
            if os.path.isfile(p):
                if not _inside(p, k.dir):  # kustomize's load restrictor: a file under the root only
                    k.remote = True
                    continue
                k.resources.append(p)
            elif os.path.isdir(p) and (sub := kustomization_in(p)) is not None:
                if read_kustomization(sub, into) is not None:
                    k.resources.append(sub)
                else:
                    k.remote = True
            else:
                k.remote = True
            if key == "components" and len(k.resources) > n:
                k.components.append(k.resources.pop())
    _read_patches(k)
    for entry in _list(data.get("images")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            k.images.append(entry)
    for entry in _list(data.get("replacements")):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            where = _real(os.path.join(k.dir, entry["path"]))
            unread: list[Any] = [{"targets": [{"fieldPaths": ["image"]}]}]  # outside: every image unknown
            for doc in _read(where) if _inside(where, k.dir) else unread:
                for item in doc if isinstance(doc, list) else [doc]:
                    if isinstance(item, dict):
                        k.replacements.extend(_image_targets(item))
        elif isinstance(entry, dict):
            k.replacements.extend(_image_targets(entry))
    return k


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _image_targets(replacement: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t in _list(replacement.get("targets")):
        if not isinstance(t, dict):
            continue
        paths = [p for p in _strings(t.get("fieldPaths")) if p.split(".")[-1] == "image"]
        if paths:
            out.append(
                {"select": t.get("select") if isinstance(t.get("select"), dict) else {}, "paths": paths}
            )
    return out


def _read_patches(k: Kustomization) -> None:
    data = k.data
    for entry in _list(data.get("patchesStrategicMerge")):
        if isinstance(entry, str):
            k.patches.extend(
                _patch_of(k, entry if "\n" in entry or ":" in entry else None, entry, None, False)
            )
    for entry in _list(data.get("patchesJson6902")):
        if isinstance(entry, dict):
            k.patches.extend(_patch_of(k, entry.get("patch"), entry.get("path"), entry.get("target"), True))
    for entry in _list(data.get("patches")):
        if isinstance(entry, dict):
            opts = entry.get("options")
            if isinstance(opts, dict) and any(opts.get(o) for o in ("allowNameChange", "allowKindChange")):
                k.patches.append(Patch(None, False, {"kind": None}))  # renames: the target is unknown
            k.patches.extend(_patch_of(k, entry.get("patch"), entry.get("path"), entry.get("target"), None))


def _patch_of(k: Kustomization, inline: Any, path: Any, target: Any, json6902: bool | None) -> list[Patch]:
    """The patches of one entry: a file's (each document of a strategic-merge file) or an inline one.
    An entry that cannot be read is an unknown patch on its target (or on what it names)."""
    tgt = target if isinstance(target, dict) else None
    file = None
    try:
        if isinstance(inline, str):
            contents = _inline(inline)
        elif isinstance(path, str) and not _REMOTE.match(path):
            file = _real(os.path.join(k.dir, path))
            if not _inside(file, k.dir):
                raise Unknown(f"patch {path} is outside the kustomization's directory")
            k.patch_files.add(file)
            contents = _read(file)
            if not contents:
                raise Unknown(f"patch {path} cannot be read")
        else:
            raise Unknown("a patch entry with neither a path nor a patch")
    except Unknown:
        return [Patch(None, bool(json6902), tgt or {"kind": None}, file)]
    if len(contents) == 1 and isinstance(contents[0], list):
        return [Patch(contents[0], True, tgt, file)]
    out = []
    for c in contents:
        if isinstance(c, dict):
            out.append(Patch(c, False, tgt, file))
        else:
            out.append(Patch(None, True, tgt or {"kind": None}, file))
    return out


# ---- rendering -----------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Item:
    doc: Document
    steps: list[tuple[Kustomization, Any]] = field(default_factory=list)  # (kustomization, Patch|"images")
    namespace: str | None = None


def _ident(data: Any) -> tuple[str, str, str]:
    md = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return str(data.get("kind") or ""), str(md.get("name") or ""), str(md.get("namespace") or "")


def _selects(target: dict[str, Any] | None, patch: Patch, item: _Item) -> bool:
    """Whether the patch applies to the item; raises Unknown when that cannot be told."""
    kind, name, ns = _ident(item.doc.data)
    ns = item.namespace or ns
    sel = target
    if sel is None:
        if not isinstance(patch.content, dict):
            return False
        pk, pn, pns = _ident(patch.content)
        return pk == kind and pn == name and (not pns or pns == ns)
    if "kind" in sel and sel["kind"] is None:
        raise Unknown("a patch whose target cannot be read")
    if isinstance(sel.get("kind"), str) and sel["kind"] != kind:
        return False
    if isinstance(sel.get("namespace"), str) and sel["namespace"] not in (ns, ""):
        return False
    if isinstance(sel.get("name"), str):
        pattern = sel["name"]
        if not any(c in pattern for c in "*[]()^$+?|\\"):
            if pattern != name:
                return False
        else:
            try:
                if re.fullmatch(pattern, name) is None:
                    return False
            except re.error:
                raise Unknown(f"target name {pattern!r}") from None
    if sel.get("labelSelector") or sel.get("annotationSelector"):
        raise Unknown("a patch target chosen by a label or annotation selector")
    return True


class _Renderer:
    def __init__(self, kz: Kustomize, by_file: dict[str, list[Document]], patch_files: set[str]) -> None:
        self.kz = kz
        self.by_file = by_file
        self.patch_files = patch_files
        self.unknown: dict[int, str] = {}  # documents whose rendering is unknown, and why

    def render(self, k: Kustomization, stack: tuple[str, ...] = ()) -> list[_Item]:
        if k.path in stack:
            return []  # a cycle: kustomize refuses it; nothing more to render
        items: list[_Item] = []
        for r in k.resources:
            sub = self.kz.kustomizations.get(r)
            if sub is not None:
                items.extend(self.render(sub, (*stack, k.path)))
            elif r not in self.patch_files:
                items.extend(_Item(d) for d in self.by_file.get(r, []) if _is_object(d))
        for c in k.components:  # a component transforms what includes it: its layer applies here
            comp = self.kz.kustomizations.get(c)
            if comp is not None and c not in stack:
                items = self._layer(comp, items, (*stack, k.path))
        return self._layer(k, items, stack, own=False)

    def _layer(
        self, k: Kustomization, items: list[_Item], stack: tuple[str, ...], own: bool = True
    ) -> list[_Item]:
        """``k``'s transformations over ``items`` (and, for a component, its own resources first)."""
        if own:
            items = [*items, *self.render(Kustomization(k.path, k.dir, {}, k.resources), stack)]
        for it in items:
            if k.namespace:
                it.namespace = k.namespace
        for p in k.patches:
            hit = False
            for it in items:
                try:
                    if _selects(p.target, p, it):
                        it.steps.append((k, p))
                        hit = True
                except Unknown as exc:
                    self.unknown[id(it.doc)] = str(exc)
            if hit:
                continue
            sel = p.target if p.target is not None else p.content if isinstance(p.content, dict) else {}
            if isinstance(sel, dict) and "metadata" in sel:
                sel = {"kind": _ident(sel)[0], "name": _ident(sel)[1]}
            what = f"{sel.get('kind') or '?'} {sel.get('name') or '?'}" if isinstance(sel, dict) else "?"
            if self._remote(k):
                self.kz.note(
                    f"{_shown(k.path)}: the base of patch {what} is remote; the patch is not analysed"
                )
            elif p.target is None and isinstance(p.content, dict):
                items.extend(self._elsewhere(k, p, items))
            else:
                self.kz.note(f"{_shown(k.path)}: the target of patch {what} is not in the scan")
        if k.images or k.replacements:
            for it in items:
                it.steps.append((k, "images"))
        return items

    def _remote(self, k: Kustomization, seen: frozenset[str] = frozenset()) -> bool:
        if k.remote:
            return True
        return any(
            self._remote(sub, seen | {k.path})
            for r in k.resources
            if (sub := self.kz.kustomizations.get(r)) is not None and r not in seen
        )

    def _reached(self, k: Kustomization, seen: frozenset[str] = frozenset()) -> list[str]:
        out: list[str] = []
        for r in (*k.resources, *k.components):
            sub = self.kz.kustomizations.get(r)
            if sub is None:
                out.append(r)
            elif r not in seen:
                out.extend(self._reached(sub, seen | {k.path}))
        return out

    def _holds(self, path: str, kind: str, name: str) -> bool:
        """Whether the file's text names an object of that kind and name (parsed or not)."""
        src = read_file(path, path)
        if not isinstance(src, SourceText):
            return False
        text = src.text
        return re.search(rf"(?m)^kind:\s*['\"]?{re.escape(kind)}\b", text) is not None and name in text

    def _elsewhere(self, k: Kustomization, p: Patch, have: list[_Item]) -> list[_Item]:
        """A patch whose base the kustomization's resources do not reach in the scan: the object of its
        kind, namespace and name elsewhere in the tree (a base read as a plain file)."""
        want = _ident(p.content)
        if any(self._holds(f, *want[:2]) for f in self._reached(k)):
            return []  # the base is in its resources but not read (no rule reads it): nothing to patch
        mine = {id(it.doc) for it in have}
        out = []
        for docs in self.by_file.values():
            for d in docs:
                if id(d) in mine or not _is_object(d):
                    continue
                kind, name, ns = _ident(d.data)
                if (kind, name) == want[:2] and (not want[2] or want[2] == ns):
                    out.append(_Item(d, [(k, p)]))
        if not out:
            self.kz.note(f"{_shown(k.path)}: the base of a {want[0]} {want[1]} patch is not in the scan")
        return out


def _what(d: Document) -> str:
    kind, name, _ = _ident(d.data)
    return f"{kind} {name}"


def _is_object(d: Document) -> bool:
    return isinstance(d.data, dict) and "kind" in d.data and not str(d.data.get("kind")).endswith("List")


def render(docs: list[Document], loaded: list[Loaded]) -> Kustomize:
    """The documents to analyse: patch files left out, the bases that kustomizations render replaced by
    their renderings (a copy of the document with the rendered data), images as kustomizations set them."""
    try:
        _SOURCES.update({_real(ld.source.path): ld.source for ld in loaded if ld.source.path is not None})
        return _render(docs, loaded)
    finally:
        _SOURCES.clear()
        _REAL.clear()


def _render(docs: list[Document], loaded: list[Loaded]) -> Kustomize:
    kz = Kustomize()
    for ld in loaded:
        p = ld.source.path
        if p is not None and os.path.basename(p) in FILES:
            read_kustomization(p, kz.kustomizations)
    patch_files = kz.patch_files
    docs = [*docs, *_patched_deferred(kz, loaded, patch_files)]
    by_file: dict[str, list[Document]] = {}
    for d in docs:
        if d.source.path is not None:
            by_file.setdefault(_real(d.source.path), []).append(d)
    for ld in loaded:  # a patch is no object: not even one the prefilter holds back
        if ld.source.path is not None and _real(ld.source.path) in patch_files:
            ld.deferred.clear()
    included = {r for k in kz.kustomizations.values() for r in (*k.resources, *k.components)}
    roots = [k for k in kz.kustomizations.values() if k.path not in included]
    r = _Renderer(kz, by_file, patch_files)
    renderings: dict[int, list[_Item]] = {}
    for k in roots:
        for it in r.render(k):
            renderings.setdefault(id(it.doc), []).append(it)
    rewrites, replaced = kz.image_rewrites(), kz.replaces_images
    out: list[Document] = []
    for d in docs:
        if d.source.path is not None and _real(d.source.path) in patch_files:
            continue
        items = renderings.get(id(d))
        if items is None:  # no kustomization of the scan renders it: images by what any of them says
            data = _loose_images(d.data, rewrites, replaced) if _is_object(d) else d.data
            out.append(d if data is d.data else replace(d, data=data))
            continue
        if id(d) in r.unknown:
            kz.note(f"{d.source.name}: {_what(d)}: {r.unknown[id(d)]}; its facts are unknown, not analysed")
            continue
        views: list[Any] = []
        try:
            for it in items:
                data = _apply(d.data, it.steps)
                if all(data != v for v in views):
                    views.append(data)
        except Unknown as exc:
            kz.note(f"{d.source.name}: {_what(d)}: {exc}; its facts are unknown, not analysed")
            continue
        if views == [d.data]:
            out.append(d)
            continue
        kz.views[(d.source.name, d.index)] = (d.data, views)
        out.extend(replace(d, data=v) for v in views)
    kz.docs = out
    return kz


def _patched_deferred(kz: Kustomize, loaded: list[Loaded], patch_files: set[str]) -> list[Document]:
    """Documents the prefilter held back (a ConfigMap, a PDB) of a kind and name that a patch targets:
    parsed now, so that the analysis sees them patched, never as their base alone."""
    wanted: set[tuple[str, str]] = set()
    for k in kz.kustomizations.values():
        for p in k.patches:
            if isinstance(p.target, dict) and isinstance(p.target.get("kind"), str):
                wanted.add((p.target["kind"], str(p.target.get("name") or "")))
            elif isinstance(p.content, dict):
                wanted.add(_ident(p.content)[:2])
    kinds = {kind for kind, _ in wanted}
    out: list[Document] = []
    for ld in loaded:
        if ld.source.path is None or _real(ld.source.path) in patch_files:
            continue
        for d in [d for d in ld.deferred if d.kind_hint in kinds]:
            names = {n for kind, n in wanted if kind == d.kind_hint}
            if "" not in names and not any(n in d.text for n in names):
                continue
            if parse_document(d) is not None or not isinstance(d.data, dict) or type_errors(d):
                continue  # left held back: its error is reported if a workload needs it, as before
            ld.deferred.remove(d)
            ld.documents.append(d)
            out.append(d)
    return out


def _apply(data: Any, steps: list[tuple[Kustomization, Any]]) -> Any:
    out = copy.deepcopy(data)
    for k, step in steps:
        if step == "images":
            out = _set_images(out, k)
            continue
        p: Patch = step
        if p.content is None:
            raise Unknown("a patch that cannot be read applies")
        out = _json6902(out, p.content) if p.json6902 else _smp(out, p.content, out.get("kind") in _BUILTIN)
        if not isinstance(out, dict):
            raise Unknown("a patch deletes the object")
    return out


# ---- strategic merge patch -----------------------------------------------------------------------------

_DELETE = object()


def _smp(base: Any, patch: Any, builtin: bool, key: str | None = None) -> Any:
    if isinstance(patch, dict):
        directive = patch.get("$patch")
        if directive == "delete":
            return _DELETE
        rest = {k: v for k, v in patch.items() if k != "$patch"}
        if directive == "replace":
            return _clean(rest)
        if directive not in (None, "merge"):
            raise Unknown(f"$patch: {directive}")
        out = dict(base) if isinstance(base, dict) else {}
        for k, v in rest.items():
            if k.startswith("$setElementOrder/"):
                continue  # order only
            if k.startswith("$"):
                raise Unknown(f"strategic-merge directive {k}")
            if v is None:
                out.pop(k, None)
                continue
            merged = _smp(out.get(k), v, builtin, k)
            if merged is _DELETE:
                out.pop(k, None)
            else:
                out[k] = merged
        return out
    if isinstance(patch, list):
        return _merge_list(base, patch, builtin, key)
    return patch


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        if any(isinstance(k, str) and k.startswith("$") for k in value):
            raise Unknown("a directive inside a replaced value")
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _merge_key(base: list[Any], patch: list[Any], builtin: bool, key: str | None) -> str | None:
    if not all(isinstance(x, dict) for x in patch) or not patch:
        return None
    if builtin:
        return _MERGE_KEYS.get(key or "")
    items = [x for x in [*base, *patch] if isinstance(x, dict) and x.get("$patch") is None]
    for k in _ASSOCIATIVE:
        if items and all(k in x for x in items):
            return k
    if any(any(k in x for k in _ASSOCIATIVE) for x in items):
        raise Unknown(f"list {key} of a custom resource: merge key unknown")
    return None


def _merge_list(base: Any, patch: list[Any], builtin: bool, key: str | None) -> list[Any]:
    old = base if isinstance(base, list) else []
    mk = _merge_key(old, patch, builtin, key)
    if mk is None:
        if any(isinstance(x, dict) and "$patch" in x for x in patch):
            raise Unknown(f"a $patch directive in list {key}")
        return [_clean(x) for x in patch]
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [_clean(x) for x in patch if x.get("$patch") != "replace"]
    out = list(old)
    for item in patch:
        if mk not in item:
            raise Unknown(f"an item of {key} without its merge key {mk}")
        at = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(mk) == item[mk]), None)
        if item.get("$patch") == "delete":
            if at is not None:
                out.pop(at)
            continue
        if at is None:
            merged = _smp({}, item, builtin)
            out.append(merged)
        else:
            out[at] = _smp(out[at], item, builtin)
    return out


# ---- JSON 6902 -----------------------------------------------------------------------------------------


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise Unknown(f"JSON patch path {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json6902(data: Any, ops: list[Any]) -> Any:
    doc = data
    for op in ops:
        if not isinstance(op, dict):
            raise Unknown("a JSON patch operation that is no mapping")
        kind, steps = op.get("op"), _pointer(op.get("path"))
        if kind not in ("add", "replace", "remove") or not steps:
            raise Unknown(f"JSON patch op {kind!r}")
        parent = doc
        for s in steps[:-1]:
            parent = _step(parent, s)
        last = steps[-1]
        if isinstance(parent, dict):
            if kind != "add" and last not in parent:
                raise Unknown(f"JSON patch path {op.get('path')} does not resolve")
            if kind == "remove":
                del parent[last]
            else:
                parent[last] = copy.deepcopy(op.get("value"))
        elif isinstance(parent, list):
            if kind == "add" and last == "-":
                parent.append(copy.deepcopy(op.get("value")))
                continue
            if not last.isdigit() or int(last) > len(parent) or (kind != "add" and int(last) == len(parent)):
                raise Unknown(f"JSON patch path {op.get('path')} does not resolve")
            i = int(last)
            if kind == "add":
                parent.insert(i, copy.deepcopy(op.get("value")))
            elif kind == "replace":
                parent[i] = copy.deepcopy(op.get("value"))
            else:
                parent.pop(i)
        else:
            raise Unknown(f"JSON patch path {op.get('path')} does not resolve")
    return doc


def _step(node: Any, s: str) -> Any:
    if isinstance(node, dict) and s in node:
        return node[s]
    if isinstance(node, list) and s.isdigit() and int(s) < len(node):
        return node[int(s)]
    raise Unknown("a JSON patch path does not resolve")


# ---- images --------------------------------------------------------------------------------------------


def _split(image: str) -> tuple[str, str]:
    """``name`` and what follows it (``:tag``, ``@digest``)."""
    at = image.find("@")
    head = image if at == -1 else image[:at]
    colon = head.rfind(":")
    if colon > head.rfind("/"):
        return head[:colon], image[colon:]
    return head, image[len(head) :]


def _rewritten(image: str, entry: dict[str, Any]) -> str:
    name, rest = _split(image)
    new = entry.get("newName")
    name = new if isinstance(new, str) and new else name
    digest, tag = entry.get("digest"), entry.get("newTag")
    if isinstance(digest, str) and digest:
        return f"{name}@{digest}"
    if tag is not None and str(tag):
        return f"{name}:{tag}"
    return name + rest


def _containers(data: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("containers", "initContainers") and isinstance(v, list):
                    out.extend(c for c in v if isinstance(c, dict))
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(x for x in node if isinstance(x, dict | list))
    return out


def _set_images(data: dict[str, Any], k: Kustomization) -> dict[str, Any]:
    kind, name, _ = _ident(data)
    for c in _containers(data):
        image = c.get("image")
        if not isinstance(image, str):
            continue
        for entry in k.images:
            if _split(image)[0] == entry["name"]:
                c["image"] = image = _rewritten(image, entry)
                break
    for t in k.replacements:
        sel = t["select"]
        if sel.get("kind") not in (None, kind) or sel.get("name") not in (None, name):
            continue
        names = set()
        for p in t["paths"]:
            m = re.search(r"containers\.\[name=([^\]]+)\]", p)
            names.add(m.group(1) if m else None)
        for c in _containers(data):
            if None in names or c.get("name") in names:
                c["image"] = ""  # written by a replacement: unknown here
    return data


def _loose_images(data: Any, rewrites: dict[str, list[dict[str, Any]]], replaced: bool) -> Any:
    """An object no kustomization of the scan renders, whose image a kustomization of the tree rewrites
    (or, a placeholder, fills by a replacement): the image as rewritten when every rewrite agrees,
    else unknown."""
    hits = []
    for c in _containers(data):
        image = c.get("image")
        if not isinstance(image, str):
            continue
        name = _split(image)[0]
        if name in rewrites or (replaced and _PLACEHOLDER.search(name) and "/" not in name):
            hits.append(c)
    if not hits:
        return data
    out = copy.deepcopy(data)
    for c in _containers(out):
        image = c.get("image")
        if not isinstance(image, str):
            continue
        name = _split(image)[0]
        if name in rewrites:
            results = {_rewritten(image, e) for e in rewrites[name]}
            c["image"] = results.pop() if len(results) == 1 else ""
        elif replaced and _PLACEHOLDER.search(name) and "/" not in name:
            c["image"] = ""
    return out
