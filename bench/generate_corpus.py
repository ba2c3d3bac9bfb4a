"""Generate a deterministic "platform repository" corpus for the llmlint benchmark.

Usage::

    python bench/generate_corpus.py OUT_DIR [--scale 1.0] [--seed 7]

The corpus looks like the GitOps repository of a platform team: per-team
application stacks (``apps/<team>/<app>/*.yaml``), platform RBAC, monitoring and
GitOps objects, a handful of multi-megabyte CustomResourceDefinitions, cluster
kustomizations, Helm ``values.yaml`` files (YAML that is not a manifest), Grafana
dashboards and a few manifests in JSON, and -- about 4 % of the files -- LLM
inference stacks (vLLM, SGLang, TGI, Triton, NIM, Ollama, llama.cpp, KServe,
LeaderWorkerSet) in good and bad configurations.

At ``--scale 1`` it writes 3,000 YAML/JSON files, about 8,500 documents and
about 15 MB, of which the CRDs are a little more than half.  ``--scale 2``
doubles the files, the documents and the bytes; fractional scales shrink them
(at least one CRD is always written).

Everything is derived from ``random.Random`` instances seeded with strings
built from ``--seed`` and the item's kind, index and path, so the same arguments
always produce byte-identical files, and the corpus at scale 2 holds every file
of the corpus at scale 1, byte for byte.  Only the standard library is used.

Edge cases the corpus always contains (``llm/edge-cases/`` plus a share of the
ordinary documents): documents whose ``kind`` is not the first key (after
``metadata``, after ``spec``, last), whose top-level ``kind`` comes after a
nested ``kind:`` line (``dataSource``, ``ownerReferences``, embedded manifests in
ConfigMaps), quoted kinds (``kind: "Deployment"``, ``kind: 'StatefulSet'``,
``"kind": ConfigMap``), trailing comments on the kind line, leading comments,
``--- # comment`` separators, empty documents, ``kind: List`` and CRLF line
endings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, ClassVar

__all__ = ["CorpusStats", "emit_yaml", "generate", "main"]

BASE_FILES = 3000
"""YAML/JSON files at scale 1."""

# --------------------------------------------------------------------------------------
# A small block-style YAML emitter (the kubectl look), so that documents can be built as
# Python data and still carry comments, quoting styles and key orders of our choosing.
# --------------------------------------------------------------------------------------


class Commented:
    """A scalar value rendered with a trailing ``# comment``."""

    __slots__ = ("comment", "value")

    def __init__(self, value: Any, comment: str) -> None:
        self.value = value
        self.comment = comment


_PLAIN_OK = re.compile(r"^[A-Za-z0-9_./$(][A-Za-z0-9_./=,()+@$~%\-\[\]{}: ]*$")
_PLAIN_DASH = re.compile(r"^-[A-Za-z0-9_-]")
_RESERVED = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"
    r"|y|Y|n|N|=|<<)$"
)
_NUMBERISH = re.compile(r"^[-+]?(?:\.?[0-9]|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)")


def _plain_safe(s: str) -> bool:
    if not s or s != s.strip():
        return False
    if not (_PLAIN_OK.match(s) or (_PLAIN_DASH.match(s) and _PLAIN_OK.match("a" + s[1:]))):
        return False
    if _RESERVED.match(s) or _NUMBERISH.match(s):
        return False
    if ": " in s or s.endswith(":") or " #" in s:
        return False
    # flow indicators are fine in block context except at the start
    return s[0] not in "[]{},"


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    s = str(v)
    if _plain_safe(s):
        return s
    return json.dumps(s, ensure_ascii=False)


def _is_block_text(v: Any) -> bool:
    return isinstance(v, str) and "\n" in v.rstrip("\n") and not v.startswith((" ", "\n"))


def _block_text(v: str, indent: str, out: list[str], head: str) -> None:
    chomp = "" if v.endswith("\n") else "-"
    body = v[:-1] if v.endswith("\n") else v
    out.append(f"{head} |{chomp}")
    for line in body.split("\n"):
        out.append(f"{indent}{line}" if line else "")


def _emit_value(key_head: str, v: Any, indent: int, out: list[str]) -> None:
    """Emit ``key_head`` (``"key:"`` or ``"- key:"``) followed by value ``v``."""
    pad = " " * indent
    comment = ""
    if isinstance(v, Commented):
        comment = f" # {v.comment}"
        v = v.value
    if isinstance(v, dict):
        if not v:
            out.append(f"{key_head} {{}}{comment}")
        else:
            out.append(key_head + comment)
            _emit_map(v, indent + 2, out)
    elif isinstance(v, list):
        if not v:
            out.append(f"{key_head} []{comment}")
        else:
            out.append(key_head + comment)
            _emit_list(v, indent, out)  # kubectl style: "- " at the key's indentation
    elif _is_block_text(v):
        _block_text(v, pad + "  ", out, key_head)
    else:
        out.append(f"{key_head} {_scalar(v)}{comment}")


def _emit_map(d: dict[str, Any], indent: int, out: list[str], first_prefix: str = "") -> None:
    pad = " " * indent
    first = True
    for k, v in d.items():
        head = (first_prefix if first and first_prefix else pad) + _scalar(k) + ":"
        first = False
        _emit_value(head, v, indent, out)


def _emit_list(items: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Commented) and not isinstance(item.value, (dict, list)):
            out.append(f"{pad}- {_scalar(item.value)} # {item.comment}")
        elif isinstance(item, dict) and item:
            _emit_map(item, indent + 2, out, first_prefix=pad + "- ")
        elif isinstance(item, list) and item:
            out.append(pad + "-")
            _emit_list(item, indent + 2, out)
        elif _is_block_text(item):
            _block_text(item, pad + "  ", out, pad + "-")
        else:
            out.append(f"{pad}- {'{}' if item == {} else '[]' if item == [] else _scalar(item)}")


def emit_yaml(doc: dict[str, Any]) -> str:
    """Render one document (a mapping) as block-style YAML text ending in a newline."""
    out: list[str] = []
    _emit_map(doc, 0, out)
    return "\n".join(out) + "\n"


def strip_comments(obj: Any) -> Any:
    """The plain data of ``obj`` (``Commented`` wrappers removed): what a YAML loader returns."""
    if isinstance(obj, Commented):
        return strip_comments(obj.value)
    if isinstance(obj, dict):
        return {k: strip_comments(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [strip_comments(v) for v in obj]
    return obj


# --------------------------------------------------------------------------------------
# Documents and files
# --------------------------------------------------------------------------------------

KIND_STYLES = ("plain", "double", "single", "quoted-key", "comment")
ORDER_STYLES = ("standard", "after-metadata", "after-spec", "last", "metadata-first")


@dataclass
class Doc:
    """One YAML document: the data plus how its text is dressed."""

    data: dict[str, Any]
    order: str = "standard"
    kind_style: str = "plain"
    leading_comment: str = ""
    raw: str | None = None  # pre-rendered text (CRDs), used verbatim


@dataclass
class CorpusStats:
    files: int = 0
    documents: int = 0
    bytes: int = 0
    other_files: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)  # name -> [files, docs, bytes]
    kind_not_first: int = 0
    quoted_kind: int = 0
    crlf_files: int = 0
    llm_files: int = 0

    def add(self, category: str, docs: int, nbytes: int) -> None:
        row = self.by_category.setdefault(category, [0, 0, 0])
        row[0] += 1
        row[1] += docs
        row[2] += nbytes
        self.files += 1
        self.documents += docs
        self.bytes += nbytes

    def summary(self) -> str:
        mb = self.bytes / 1e6
        lines = [
            f"files={self.files} documents={self.documents} bytes={self.bytes} ({mb:.1f} MB)"
            f" other_files={self.other_files}",
            f"kind_not_first={self.kind_not_first} quoted_kind={self.quoted_kind}"
            f" crlf_files={self.crlf_files} llm_files={self.llm_files}",
        ]
        for name, (f, d, b) in sorted(self.by_category.items()):
            share = 100.0 * b / self.bytes if self.bytes else 0.0
            lines.append(f"  {name:<14} files={f:>5} docs={d:>5} bytes={b:>9} ({share:4.1f}%)")
        return "\n".join(lines)


def _reorder(data: dict[str, Any], order: str) -> dict[str, Any]:
    if order == "standard" or "kind" not in data:
        return data
    keys = [k for k in data if k != "kind"]
    if order == "after-metadata":
        pos = keys.index("metadata") + 1 if "metadata" in keys else len(keys)
        keys.insert(pos, "kind")
    elif order == "after-spec":
        body = next((k for k in ("spec", "data", "stringData", "items", "rules") if k in keys), None)
        keys.insert(keys.index(body) + 1 if body else len(keys), "kind")
    elif order == "last":
        keys.append("kind")
    elif order == "metadata-first":
        rest = [k for k in keys if k != "metadata"]
        keys = (["metadata"] if "metadata" in data else []) + ["kind"] + rest
    return {k: data[k] for k in keys}


def _render_doc(doc: Doc) -> str:
    if doc.raw is not None:
        text = doc.raw
    else:
        text = emit_yaml(_reorder(doc.data, doc.order))
        kind = doc.data.get("kind")
        if doc.kind_style != "plain" and isinstance(kind, str):
            repl = {
                "double": f'kind: "{kind}"',
                "single": f"kind: '{kind}'",
                "quoted-key": f'"kind": {kind}',
                "comment": f"kind: {kind}  # {kind.lower()} for this app",
            }[doc.kind_style]
            text = re.sub(rf"(?m)^kind: {re.escape(kind)}$", repl, text, count=1)
    if doc.leading_comment:
        text = "".join(f"# {c}\n" if c else "#\n" for c in doc.leading_comment.split("\n")) + text
    return text


def _render_file(docs: Sequence[Doc], rng: Random, separators: bool = True) -> str:
    parts: list[str] = []
    for i, doc in enumerate(docs):
        if i > 0 or (separators and rng.random() < 0.25):
            r = rng.random()
            if r < 0.12:
                parts.append(f"--- # {doc.data.get('kind', 'document')} {i + 1}\n")
            elif r < 0.16 and i > 0:
                parts.append("---\n# next object\n---\n")  # an empty (comment-only) document
            else:
                parts.append("---\n")
        parts.append(_render_doc(doc))
    return "".join(parts)


def _count_docs(docs: Sequence[Doc]) -> int:
    return sum(1 for d in docs if d.raw is not None or d.data)


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


TEAMS = [
    "payments",
    "checkout",
    "search",
    "identity",
    "catalog",
    "orders",
    "billing",
    "growth",
    "messaging",
    "notifications",
    "fraud",
    "ledger",
    "shipping",
    "inventory",
    "pricing",
    "analytics",
    "reporting",
    "media",
    "mobile-bff",
    "partner-api",
    "loyalty",
    "reviews",
    "recommendations",
    "support",
    "onboarding",
    "compliance",
    "risk",
    "data-platform",
    "ml-platform",
    "observability",
    "edge",
    "auth",
    "cms",
    "experiments",
    "geo",
    "tax",
]
APPS = [
    "api",
    "worker",
    "frontend",
    "gateway",
    "scheduler",
    "consumer",
    "producer",
    "indexer",
    "cache",
    "webhook",
    "admin",
    "sync",
    "exporter",
    "importer",
    "router",
    "graphql",
    "grpc",
    "batch",
    "stream",
    "auth-proxy",
    "renderer",
    "thumbnailer",
    "mailer",
    "notifier",
]
WORDS = _words(
    "the of to and a in is it that for on as with this by be are from or at an which can"
    " resource field value specifies selector label pod container secret reference name"
    " namespace object controller configuration default optional required must should when"
    " if not used set list map key type defines number seconds duration endpoint service"
    " port protocol certificate issuer duration renewal strategy rules match expression"
    " operator values affinity toleration volume mount path read only mode claim template"
    " metadata annotations replicas status conditions observed generation time reason message"
    " last transition probe handler period threshold timeout scrape interval relabel config"
    " alertmanager remote write queue shards retention storage size limit request quota"
)
FIELD_WORDS = _words(
    "tls config secret ref name selector match labels expressions key operator values spec"
    " template volume mount path claim storage class size limits requests resources affinity"
    " node pod anti preferred required weight term topology spread constraint toleration effect"
    " seconds period timeout threshold probe handler http get exec command args env from field"
    " value source container image pull policy security context run as user group fs capabilities"
    " add drop privileged endpoint scheme port target interval scrape relabel action regex"
    " replacement separator source labels web route receiver matcher group wait repeat inhibit"
    " sharding retention remote write read queue basic auth bearer token oauth client id scopes"
    " proxy url headers authorization credentials ca cert insecure skip verify server"
)


def _camel(rng: Random, n: int) -> str:
    words = [rng.choice(FIELD_WORDS) for _ in range(n)]
    return words[0] + "".join(w.capitalize() for w in words[1:])


def _sentence(rng: Random, lo: int = 6, hi: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: Random, sentences: int, width: int = 80) -> list[str]:
    text = " ".join(_sentence(rng) for _ in range(sentences))
    lines: list[str] = []
    cur = ""
    for w in text.split():
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


def _hexid(rng: Random, n: int = 10) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# --------------------------------------------------------------------------------------
# CustomResourceDefinitions (text built directly: they are most of the bytes)
# --------------------------------------------------------------------------------------


def _schema_node(
    rng: Random, indent: int, depth: int, budget: list[int], out: list[str], force_object: bool = False
) -> None:
    """Emit the body of one openAPIV3Schema node at ``indent`` spaces, consuming ``budget``."""
    pad = " " * indent

    def put(line: str) -> None:
        out.append(line)
        budget[0] -= len(line) + 1

    if rng.random() < 0.8:
        para = _paragraph(rng, rng.randint(1, 4))
        if len(para) == 1 and rng.random() < 0.5:
            put(f"{pad}description: {json.dumps(para[0])}")
        else:
            put(f"{pad}description: |-")
            for line in para:
                put(f"{pad}  {line}")
    p_obj = 0.0 if depth >= 14 else (0.55 if depth < 3 else max(0.05, 0.32 - 0.025 * depth))
    r = rng.random()
    if force_object or r < p_obj:
        put(f"{pad}properties:")
        names: set[str] = set()
        width = rng.randint(3, 9) if depth < 3 else rng.randint(1, 6)
        for _ in range(width):
            if budget[0] <= 0:
                break
            name = _camel(rng, rng.randint(1, 3))
            if name in names:
                continue
            names.add(name)
            put(f"{pad}  {name}:")
            _schema_node(rng, indent + 4, depth + 1, budget, out)
        if names and rng.random() < 0.3:
            put(f"{pad}required:")
            for name in sorted(names)[: rng.randint(1, len(names))]:
                put(f"{pad}- {name}")
        put(f"{pad}type: object")
        if rng.random() < 0.08:
            put(f"{pad}x-kubernetes-preserve-unknown-fields: true")
    elif r < p_obj + 0.12 and depth < 14:
        put(f"{pad}items:")
        _schema_node(rng, indent + 2, depth + 1, budget, out, force_object=rng.random() < 0.6)
        put(f"{pad}type: array")
        if rng.random() < 0.3:
            put(f"{pad}x-kubernetes-list-type: atomic")
    else:
        t = rng.random()
        if t < 0.55:
            if rng.random() < 0.15:
                put(f"{pad}enum:")
                for v in rng.sample(
                    [
                        "Always",
                        "Never",
                        "IfNotPresent",
                        "HTTP",
                        "HTTPS",
                        "TCP",
                        "UDP",
                        "Retain",
                        "Delete",
                        "Ready",
                        "Pending",
                        "Failed",
                    ],
                    3,
                ):
                    put(f"{pad}- {v}")
            if rng.random() < 0.1:
                put(f"{pad}pattern: ^(0|([0-9]*(\\.[0-9]*)?(ms|s|m|h)))$")
            put(f"{pad}type: string")
        elif t < 0.75:
            if rng.random() < 0.5:
                put(f"{pad}format: int32")
            put(f"{pad}type: integer")
        elif t < 0.9:
            put(f"{pad}type: boolean")
        else:
            put(f"{pad}anyOf:")
            put(f"{pad}- type: integer")
            put(f"{pad}- type: string")
            put(f"{pad}x-kubernetes-int-or-string: true")


CRD_PROFILES: list[tuple[str, str, str, list[str]]] = [
    # (group, kind, plural, versions) -- shaped like well-known operators' CRDs
    ("monitoring.coreos.com", "Prometheus", "prometheuses", ["v1"]),
    ("monitoring.coreos.com", "Alertmanager", "alertmanagers", ["v1"]),
    ("argoproj.io", "Workflow", "workflows", ["v1alpha1"]),
    ("cert-manager.io", "Certificate", "certificates", ["v1alpha2", "v1beta1", "v1"]),
    ("monitoring.coreos.com", "ThanosRuler", "thanosrulers", ["v1"]),
    ("argoproj.io", "Rollout", "rollouts", ["v1alpha1"]),
    ("kafka.strimzi.io", "Kafka", "kafkas", ["v1beta1", "v1beta2"]),
    ("postgresql.cnpg.io", "Cluster", "clusters", ["v1"]),
    ("keda.sh", "ScaledObject", "scaledobjects", ["v1alpha1"]),
    ("velero.io", "Backup", "backups", ["v1"]),
    ("external-secrets.io", "ExternalSecret", "externalsecrets", ["v1beta1"]),
    ("karpenter.sh", "NodePool", "nodepools", ["v1beta1", "v1"]),
]
BIG_CRD_SIZES = [3_000_000, 2_200_000, 1_400_000, 900_000, 600_000]  # bytes, 8.1 MB per set


def _crd_text(rng: Random, profile: tuple[str, str, str, list[str]], size: int, suffix: str) -> str:
    group, kind, plural, versions = profile
    group = f"{suffix}.{group}" if suffix else group
    head = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata:",
        "  annotations:",
        f"    controller-gen.kubebuilder.io/version: v0.{rng.randint(11, 16)}.{rng.randint(0, 5)}",
        f"    operator.{group}/version: {rng.randint(0, 3)}.{rng.randint(0, 80)}.{rng.randint(0, 9)}",
        f"  name: {plural}.{group}",
        "spec:",
        f"  group: {group}",
        "  names:",
        "    categories:",
        f"    - {group.split('.')[0]}",
        f"    kind: {kind}",
        f"    listKind: {kind}List",
        f"    plural: {plural}",
        f"    singular: {kind.lower()}",
        "  scope: Namespaced",
        "  versions:",
    ]
    # one schema text, repeated for each served version (as many operators do)
    budget = [max(10_000, size // len(versions) - 1500)]
    schema: list[str] = []
    indent = 8
    pad = " " * indent
    schema.append(f"{pad}description: {kind} is the Schema for the {plural} API.")
    schema.append(f"{pad}properties:")
    schema.append(f"{pad}  apiVersion:")
    schema.append(f"{pad}    description: |-")
    schema += [
        f"{pad}      {x}"
        for x in (
            "APIVersion defines the versioned schema of this representation of an object.",
            "Servers should convert recognized schemas to the latest internal value, and",
            "may reject unrecognized values.",
        )
    ]
    schema.append(f"{pad}    type: string")
    schema.append(f"{pad}  kind:")
    schema.append(f"{pad}    description: Kind is a string value representing the REST resource.")
    schema.append(f"{pad}    type: string")
    schema.append(f"{pad}  metadata:")
    schema.append(f"{pad}    type: object")
    schema.append(f"{pad}  spec:")
    spec_start = len(schema)
    schema.append(f"{pad}    description: Specification of the desired behavior of the {kind}.")
    schema.append(f"{pad}    properties:")
    used: set[str] = set()
    while budget[0] > 0:
        name = _camel(rng, rng.randint(1, 3))
        if name in used:
            name = f"{name}{len(used)}"
        used.add(name)
        schema.append(f"{pad}      {name}:")
        budget[0] -= len(schema[-1]) + 1
        _schema_node(rng, indent + 8, 2, budget, schema)
    schema.append(f"{pad}    type: object")
    schema.append(f"{pad}  status:")
    schema.append(f"{pad}    description: Most recent observed status of the {kind}.")
    schema.append(f"{pad}    x-kubernetes-preserve-unknown-fields: true")
    schema.append(f"{pad}    type: object")
    schema.append(f"{pad}required:")
    schema.append(f"{pad}- spec")
    schema.append(f"{pad}type: object")
    del spec_start
    schema_text = "\n".join(schema)
    body = list(head)
    for i, v in enumerate(versions):
        body.append("  - additionalPrinterColumns:")
        body.append("    - jsonPath: .metadata.creationTimestamp")
        body.append("      name: Age")
        body.append("      type: date")
        body.append(f"    name: {v}")
        body.append("    schema:")
        body.append("      openAPIV3Schema:")
        body.append(schema_text)
        body.append(f"    served: {'true' if i >= len(versions) - 2 else 'false'}")
        body.append(f"    storage: {'true' if i == len(versions) - 1 else 'false'}")
        body.append("    subresources:")
        body.append("      status: {}")
    return "\n".join(body) + "\n"


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


@dataclass
class _File:
    path: str
    category: str
    docs: list[Doc] | None = None
    text: str | None = None  # for JSON files and raw YAML
    ndocs: int = 0
    crlf: bool = False


class _Gen:
    def __init__(self, seed: int, scale: float) -> None:
        self.seed = seed
        self.scale = scale
        self.rng = Random(f"{seed}:main")

    def r(self, *key: object) -> Random:
        return Random(f"{self.seed}:" + ":".join(map(str, key)))

    def n(self, base: float, minimum: int = 0) -> int:
        return max(minimum, math.floor(base * self.scale + 0.5))

    # ---- helpers shared by documents ------------------------------------------------
    @staticmethod
    def meta(
        name: str,
        ns: str | None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        m: dict[str, Any] = {"name": name}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = labels
        if annotations:
            m["annotations"] = annotations
        return m

    @staticmethod
    def dress(rng: Random, doc: Doc, tricky: float = 0.06) -> Doc:
        r = rng.random()
        if r < tricky:
            doc.order = rng.choice(ORDER_STYLES[1:])
        r = rng.random()
        if r < tricky:
            doc.kind_style = rng.choice(KIND_STYLES[1:])
        if rng.random() < 0.1:
            doc.leading_comment = rng.choice(
                [
                    "Managed by the platform team. Do not edit by hand.",
                    f"source: https://git.example.com/platform/{rng.choice(TEAMS)}",
                    "DO NOT EDIT: generated by kustomize build\n",
                    f"ticket: PLAT-{rng.randint(100, 9999)}",
                ]
            )
        return doc

    # ---- application stacks -----------------------------------------------------------
    def app_files(self, team: str, app: str, idx: int) -> list[_File]:
        rng = self.r("app", idx)
        ns = team
        full = f"{team}-{app}"
        labels = {"app.kubernetes.io/name": full, "app.kubernetes.io/part-of": team, "team": team}
        sel = {"app.kubernetes.io/name": full}
        base = f"apps/{team}/{app}"
        files: list[_File] = []
        replicas = rng.choice([1, 2, 2, 3, 3, 4, 6])
        port = rng.choice([8080, 8080, 3000, 9000, 5000, 8443])
        image = (
            f"registry.example.com/{team}/{app}:{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        )
        json_style = rng.random() < 0.02

        def env(n: int) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for i in range(n):
                k = f"{rng.choice(FIELD_WORDS).upper()}_{rng.choice(FIELD_WORDS).upper()}_{i}"
                if rng.random() < 0.2:
                    out.append(
                        {
                            "name": k,
                            "valueFrom": {"secretKeyRef": {"name": f"{full}-secrets", "key": k.lower()}},
                        }
                    )
                else:
                    out.append(
                        {
                            "name": k,
                            "value": rng.choice(
                                [
                                    "true",
                                    "false",
                                    "info",
                                    str(rng.randint(1, 5000)),
                                    f"{team}.svc.cluster.local",
                                    f"https://{app}.{team}.example.com",
                                ]
                            ),
                        }
                    )
            return out

        container: dict[str, Any] = {
            "name": app,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": env(rng.randint(3, 14)),
            "resources": {
                "requests": {
                    "cpu": f"{rng.choice([100, 250, 500, 1000])}m",
                    "memory": f"{rng.choice([128, 256, 512, 1024])}Mi",
                },
                "limits": {"memory": f"{rng.choice([512, 1024, 2048])}Mi"},
            },
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 10},
            "livenessProbe": {
                "httpGet": {"path": "/healthz", "port": "http"},
                "initialDelaySeconds": 10,
                "periodSeconds": 20,
            },
            "securityContext": {
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [
                {"name": "config", "mountPath": "/etc/app", "readOnly": True},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
        if rng.random() < 0.5:
            container["envFrom"] = [{"configMapRef": {"name": f"{full}-config"}}]
        pod: dict[str, Any] = {
            "serviceAccountName": full,
            "securityContext": {"fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            "volumes": [
                {"name": "config", "configMap": {"name": f"{full}-config"}},
                {"name": "tmp", "emptyDir": {}},
            ],
        }
        if rng.random() < 0.4:
            pod["topologySpreadConstraints"] = [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": sel},
                }
            ]
        if rng.random() < 0.25:
            pod["initContainers"] = [{"name": "migrate", "image": image, "command": ["/app/migrate", "up"]}]
        gpu_job = team == "ml-platform" and rng.random() < 0.5
        dep_kind = "StatefulSet" if rng.random() < 0.08 else "Deployment"
        dep: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": dep_kind,
            "metadata": self.meta(
                full, ns, labels, {"reloader.stakater.com/auto": "true"} if rng.random() < 0.3 else None
            ),
            "spec": {
                "replicas": replicas,
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": sel},
                "template": {
                    "metadata": {
                        "labels": labels,
                        "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(port)},
                    },
                    "spec": pod,
                },
            },
        }
        if dep_kind == "StatefulSet":
            dep["spec"]["serviceName"] = full
        docs = [self.dress(rng, Doc(dep))]
        if gpu_job:
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "batch/v1",
                            "kind": "CronJob",
                            "metadata": self.meta(f"{full}-train", ns, labels),
                            "spec": {
                                "schedule": "0 3 * * *",
                                "jobTemplate": {
                                    "spec": {
                                        "template": {
                                            "spec": {
                                                "restartPolicy": "OnFailure",
                                                "tolerations": [
                                                    {
                                                        "key": "nvidia.com/gpu",
                                                        "operator": "Exists",
                                                        "effect": "NoSchedule",
                                                    }
                                                ],
                                                "containers": [
                                                    {
                                                        "name": "train",
                                                        "image": f"registry.example.com/{team}/trainer:2.1.0",
                                                        "command": ["python", "train.py", "--epochs", "3"],
                                                        "resources": {"limits": {"nvidia.com/gpu": 1}},
                                                    }
                                                ],
                                            }
                                        }
                                    }
                                },
                            },
                        }
                    ),
                )
            )
        elif rng.random() < 0.35:
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "batch/v1",
                            "kind": "CronJob",
                            "metadata": self.meta(f"{full}-cleanup", ns, labels),
                            "spec": {
                                "schedule": f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *",
                                "concurrencyPolicy": "Forbid",
                                "jobTemplate": {
                                    "spec": {
                                        "template": {
                                            "spec": {
                                                "restartPolicy": "Never",
                                                "containers": [
                                                    {
                                                        "name": "cleanup",
                                                        "image": image,
                                                        "args": ["cleanup", "--older-than=72h"],
                                                    }
                                                ],
                                            }
                                        }
                                    }
                                },
                            },
                        }
                    ),
                )
            )
        if json_style:
            files.append(
                _File(
                    f"{base}/deployment.json",
                    "apps",
                    text=json.dumps(strip_comments(dep), indent=2) + "\n",
                    ndocs=1,
                )
            )
        else:
            files.append(_File(f"{base}/deployment.yaml", "apps", docs))

        svc_docs = [
            self.dress(
                rng,
                Doc(
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": self.meta(full, ns, labels),
                        "spec": {
                            "type": "ClusterIP",
                            "selector": sel,
                            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                        },
                    }
                ),
            )
        ]
        if rng.random() < 0.6:
            svc_docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "v1",
                            "kind": "Service",
                            "metadata": self.meta(f"{full}-metrics", ns, labels),
                            "spec": {
                                "clusterIP": "None",
                                "selector": sel,
                                "ports": [{"name": "metrics", "port": 9090, "targetPort": 9090}],
                            },
                        }
                    ),
                )
            )
        if rng.random() < 0.6:
            svc_docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "monitoring.coreos.com/v1",
                            "kind": "ServiceMonitor",
                            "metadata": self.meta(full, ns, labels),
                            "spec": {
                                "selector": {"matchLabels": sel},
                                "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics"}],
                            },
                        }
                    ),
                )
            )
        files.append(_File(f"{base}/service.yaml", "apps", svc_docs))

        cm_docs: list[Doc] = []
        for i in range(rng.randint(1, 5)):
            props = (
                "\n".join(
                    f"{_camel(rng, 2)}.{_camel(rng, 1)}={rng.randint(0, 999)}"
                    for _ in range(rng.randint(8, 50))
                )
                + "\n"
            )
            data: dict[str, Any] = {
                "application.properties": props,
                "LOG_LEVEL": rng.choice(["info", "debug", "warn"]),
            }
            if rng.random() < 0.3:
                data["nginx.conf"] = (
                    "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n"
                    + "".join(
                        f"  upstream u{j} {{ server {app}-{j}.{ns}.svc:{port}; }}\n"
                        for j in range(rng.randint(3, 25))
                    )
                    + "  server {\n    listen 8080;\n    location / { proxy_pass http://u0; }\n  }\n}\n"
                )
            cm_docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": self.meta(
                                f"{full}-config" if i == 0 else f"{full}-config-{i}", ns, labels
                            ),
                            "data": data,
                        }
                    ),
                )
            )
        if rng.random() < 0.5:
            cm_docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "v1",
                            "kind": "Secret",
                            "type": "Opaque",
                            "metadata": self.meta(f"{full}-secrets", ns, labels),
                            "data": {f"k{j}": _hexid(rng, 24) for j in range(rng.randint(1, 5))},
                        }
                    ),
                )
            )
        files.append(_File(f"{base}/configmap.yaml", "apps", cm_docs))

        optional: list[tuple[str, Callable[[], list[Doc]]]] = [
            (
                "serviceaccount.yaml",
                lambda: [
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "v1",
                                "kind": "ServiceAccount",
                                "metadata": self.meta(
                                    full,
                                    ns,
                                    labels,
                                    {"eks.amazonaws.com/role-arn": f"arn:aws:iam::123456789012:role/{full}"},
                                ),
                            }
                        ),
                    )
                ],
            ),
            ("rbac.yaml", lambda: self.rbac_docs(rng, full, ns, labels)),
            (
                "ingress.yaml",
                lambda: [
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "networking.k8s.io/v1",
                                "kind": "Ingress",
                                "metadata": self.meta(
                                    full,
                                    ns,
                                    labels,
                                    {
                                        "cert-manager.io/cluster-issuer": "letsencrypt",
                                        "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
                                    },
                                ),
                                "spec": {
                                    "ingressClassName": "nginx",
                                    "tls": [
                                        {"hosts": [f"{app}.{team}.example.com"], "secretName": f"{full}-tls"}
                                    ],
                                    "rules": [
                                        {
                                            "host": f"{app}.{team}.example.com",
                                            "http": {
                                                "paths": [
                                                    {
                                                        "path": "/",
                                                        "pathType": "Prefix",
                                                        "backend": {
                                                            "service": {"name": full, "port": {"number": 80}}
                                                        },
                                                    }
                                                ]
                                            },
                                        }
                                    ],
                                },
                            }
                        ),
                    )
                ],
            ),
            (
                "hpa.yaml",
                lambda: [
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "autoscaling/v2",
                                "kind": "HorizontalPodAutoscaler",
                                "metadata": self.meta(full, ns, labels),
                                "spec": {
                                    "scaleTargetRef": {
                                        "apiVersion": "apps/v1",
                                        "kind": dep_kind,
                                        "name": full,
                                    },
                                    "minReplicas": replicas,
                                    "maxReplicas": replicas * 4,
                                    "metrics": [
                                        {
                                            "type": "Resource",
                                            "resource": {
                                                "name": "cpu",
                                                "target": {
                                                    "type": "Utilization",
                                                    "averageUtilization": rng.choice([60, 70, 80]),
                                                },
                                            },
                                        }
                                    ],
                                },
                            }
                        ),
                    )
                ],
            ),
            (
                "pdb.yaml",
                lambda: [
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "policy/v1",
                                "kind": "PodDisruptionBudget",
                                "metadata": self.meta(full, ns, labels),
                                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": sel}},
                            }
                        ),
                    )
                ],
            ),
            ("networkpolicy.yaml", lambda: self.netpol_docs(rng, full, ns, sel, port)),
        ]
        for fname, make in optional:
            if rng.random() < 0.8:
                files.append(_File(f"{base}/{fname}", "apps", make()))
        return files

    def rbac_docs(self, rng: Random, full: str, ns: str, labels: dict[str, str]) -> list[Doc]:
        verbs = ["get", "list", "watch", "create", "update", "patch", "delete"]
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": self.meta(full, ns, labels),
            "rules": [
                {
                    "apiGroups": [rng.choice(["", "apps", "batch", "coordination.k8s.io"])],
                    "resources": rng.sample(
                        [
                            "configmaps",
                            "secrets",
                            "pods",
                            "leases",
                            "jobs",
                            "events",
                            "services",
                            "endpoints",
                        ],
                        2,
                    ),
                    "verbs": rng.sample(verbs, rng.randint(1, 4)),
                }
                for _ in range(rng.randint(1, 5))
            ],
        }
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": self.meta(full, ns, labels),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": full},
            "subjects": [{"kind": "ServiceAccount", "name": full, "namespace": ns}],
        }
        docs = [self.dress(rng, Doc(role)), self.dress(rng, Doc(binding))]
        if rng.random() < 0.4:
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "rbac.authorization.k8s.io/v1",
                            "kind": "RoleBinding",
                            "metadata": self.meta(f"{full}-view", ns, labels),
                            "roleRef": {
                                "apiGroup": "rbac.authorization.k8s.io",
                                "kind": "ClusterRole",
                                "name": "view",
                            },
                            "subjects": [
                                {
                                    "kind": "Group",
                                    "name": f"{ns}-developers",
                                    "apiGroup": "rbac.authorization.k8s.io",
                                }
                            ],
                        }
                    ),
                )
            )
        if rng.random() < 0.3:
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "rbac.authorization.k8s.io/v1",
                            "kind": "ClusterRole",
                            "metadata": self.meta(f"{ns}:{full}:reader", None, labels),
                            "rules": [
                                {
                                    "apiGroups": [""],
                                    "resources": ["nodes", "namespaces"],
                                    "verbs": ["get", "list"],
                                }
                            ],
                        }
                    ),
                )
            )
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "rbac.authorization.k8s.io/v1",
                            "kind": "ClusterRoleBinding",
                            "metadata": self.meta(f"{ns}:{full}:reader", None, labels),
                            "roleRef": {
                                "apiGroup": "rbac.authorization.k8s.io",
                                "kind": "ClusterRole",
                                "name": f"{ns}:{full}:reader",
                            },
                            "subjects": [{"kind": "ServiceAccount", "name": full, "namespace": ns}],
                        }
                    ),
                )
            )
        return docs

    def netpol_docs(self, rng: Random, full: str, ns: str, sel: dict[str, str], port: int) -> list[Doc]:
        docs: list[Doc] = []
        if rng.random() < 0.4:
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "networking.k8s.io/v1",
                            "kind": "NetworkPolicy",
                            "metadata": self.meta(f"{full}-default-deny", ns),
                            "spec": {
                                "podSelector": {"matchLabels": sel},
                                "policyTypes": ["Ingress", "Egress"],
                            },
                        }
                    ),
                )
            )
        docs += [
            self.dress(
                rng,
                Doc(
                    {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "NetworkPolicy",
                        "metadata": self.meta(f"{full}-ingress", ns),
                        "spec": {
                            "podSelector": {"matchLabels": sel},
                            "policyTypes": ["Ingress"],
                            "ingress": [
                                {
                                    "from": [
                                        {"namespaceSelector": {"matchLabels": {"name": "ingress-nginx"}}},
                                        {"podSelector": {"matchLabels": {"team": ns}}},
                                    ],
                                    "ports": [{"protocol": "TCP", "port": port}],
                                }
                            ],
                        },
                    }
                ),
            )
        ]
        if rng.random() < 0.5:
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "networking.k8s.io/v1",
                            "kind": "NetworkPolicy",
                            "metadata": self.meta(f"{full}-egress", ns),
                            "spec": {
                                "podSelector": {"matchLabels": sel},
                                "policyTypes": ["Egress"],
                                "egress": [
                                    {"to": [{"namespaceSelector": {}}]},
                                    {
                                        "to": [
                                            {
                                                "ipBlock": {
                                                    "cidr": "0.0.0.0/0",
                                                    "except": ["169.254.169.254/32", "10.0.0.0/8"],
                                                }
                                            }
                                        ],
                                        "ports": [{"protocol": "TCP", "port": 443}],
                                    },
                                ],
                            },
                        }
                    ),
                )
            )
        return docs

    # ---- platform ----------------------------------------------------------------------
    def platform_rbac(self, idx: int) -> _File:
        rng = self.r("rbac", idx)
        docs: list[Doc] = []
        role = rng.choice(["admin", "edit", "view", "deployer", "auditor", "oncall"])
        name = f"{rng.choice(TEAMS)}-{role}-{idx}"
        for j in range(rng.randint(3, 10)):
            res = rng.sample(
                [
                    "pods",
                    "deployments",
                    "statefulsets",
                    "services",
                    "configmaps",
                    "secrets",
                    "ingresses",
                    "jobs",
                    "cronjobs",
                    "nodes",
                    "namespaces",
                    "events",
                    "persistentvolumeclaims",
                    "horizontalpodautoscalers",
                ],
                4,
            )
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "rbac.authorization.k8s.io/v1",
                            "kind": "ClusterRole",
                            "metadata": self.meta(
                                f"{name}-{j}", None, {"rbac.example.com/aggregate": "true"}
                            ),
                            "rules": [
                                {
                                    "apiGroups": ["", "apps", "batch", "networking.k8s.io"],
                                    "resources": res,
                                    "verbs": ["get", "list", "watch"],
                                }
                                for _ in range(rng.randint(2, 6))
                            ],
                        }
                    ),
                )
            )
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "rbac.authorization.k8s.io/v1",
                            "kind": "ClusterRoleBinding",
                            "metadata": self.meta(f"{name}-{j}", None),
                            "roleRef": {
                                "apiGroup": "rbac.authorization.k8s.io",
                                "kind": "ClusterRole",
                                "name": f"{name}-{j}",
                            },
                            "subjects": [
                                {
                                    "kind": "Group",
                                    "name": f"oidc:{rng.choice(TEAMS)}",
                                    "apiGroup": "rbac.authorization.k8s.io",
                                }
                                for _ in range(rng.randint(1, 4))
                            ],
                        }
                    ),
                )
            )
        return _File(f"platform/rbac/{name}.yaml", "platform", docs)

    def platform_misc(self, idx: int) -> _File:
        rng = self.r("platform", idx)
        kind = rng.choice(
            [
                "namespaces",
                "namespaces",
                "prometheusrule",
                "argocd",
                "argocd",
                "certs",
                "quota",
                "quota",
                "priority",
            ]
        )
        docs: list[Doc] = []
        if kind == "namespaces":
            for t in rng.sample(TEAMS, rng.randint(4, 12)):
                docs.append(
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "v1",
                                "kind": "Namespace",
                                "metadata": self.meta(
                                    f"{t}-{idx}",
                                    None,
                                    {
                                        "team": t,
                                        "istio-injection": "enabled",
                                        "pod-security.kubernetes.io/enforce": "restricted",
                                    },
                                ),
                            }
                        ),
                    )
                )
        elif kind == "prometheusrule":
            groups = []
            for _ in range(rng.randint(2, 6)):
                groups.append(
                    {
                        "name": f"{_camel(rng, 2)}.rules",
                        "rules": [
                            {
                                "alert": _camel(rng, 3).capitalize(),
                                "expr": "sum(rate(http_requests_total"
                                f'{{job="{rng.choice(APPS)}",code=~"5.."}}[5m]))'
                                f" / sum(rate(http_requests_total[5m])) > 0.0{rng.randint(1, 9)}",
                                "for": rng.choice(["5m", "10m", "15m"]),
                                "labels": {"severity": rng.choice(["warning", "critical"])},
                                "annotations": {
                                    "summary": _sentence(rng),
                                    "description": " ".join(_paragraph(rng, 2)),
                                    "runbook_url": f"https://runbooks.example.com/{_camel(rng, 2)}",
                                },
                            }
                            for _ in range(rng.randint(3, 12))
                        ],
                    }
                )
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "monitoring.coreos.com/v1",
                            "kind": "PrometheusRule",
                            "metadata": self.meta(f"rules-{idx}", "monitoring"),
                            "spec": {"groups": groups},
                        }
                    ),
                )
            )
        elif kind == "argocd":
            for _ in range(rng.randint(2, 8)):
                t = rng.choice(TEAMS)
                docs.append(
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "argoproj.io/v1alpha1",
                                "kind": "Application",
                                "metadata": self.meta(
                                    f"{t}-{rng.choice(APPS)}-{_hexid(rng, 4)}",
                                    "argocd",
                                    annotations={"argocd.argoproj.io/sync-wave": str(rng.randint(-2, 5))},
                                ),
                                "spec": {
                                    "project": t,
                                    "source": {
                                        "repoURL": "https://git.example.com/platform/gitops.git",
                                        "targetRevision": "main",
                                        "path": f"apps/{t}",
                                    },
                                    "destination": {
                                        "server": "https://kubernetes.default.svc",
                                        "namespace": t,
                                    },
                                    "syncPolicy": {
                                        "automated": {"prune": True, "selfHeal": True},
                                        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
                                    },
                                },
                            }
                        ),
                    )
                )
        elif kind == "certs":
            docs.append(
                self.dress(
                    rng,
                    Doc(
                        {
                            "apiVersion": "cert-manager.io/v1",
                            "kind": "ClusterIssuer",
                            "metadata": self.meta(f"letsencrypt-{idx}", None),
                            "spec": {
                                "acme": {
                                    "server": "https://acme-v02.api.letsencrypt.org/directory",
                                    "email": "platform@example.com",
                                    "privateKeySecretRef": {"name": f"letsencrypt-{idx}"},
                                    "solvers": [{"http01": {"ingress": {"class": "nginx"}}}],
                                }
                            },
                        }
                    ),
                )
            )
            for _ in range(rng.randint(1, 6)):
                t = rng.choice(TEAMS)
                docs.append(
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "cert-manager.io/v1",
                                "kind": "Certificate",
                                "metadata": self.meta(f"{t}-wildcard-{_hexid(rng, 4)}", t),
                                "spec": {
                                    "secretName": f"{t}-wildcard-tls",
                                    "dnsNames": [f"*.{t}.example.com"],
                                    "issuerRef": {"name": f"letsencrypt-{idx}", "kind": "ClusterIssuer"},
                                },
                            }
                        ),
                    )
                )
        elif kind == "quota":
            for t in rng.sample(TEAMS, rng.randint(2, 6)):
                docs.append(
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "v1",
                                "kind": "ResourceQuota",
                                "metadata": self.meta("compute", t),
                                "spec": {
                                    "hard": {
                                        "requests.cpu": str(rng.randint(10, 200)),
                                        "requests.memory": f"{rng.randint(20, 400)}Gi",
                                        "requests.nvidia.com/gpu": str(rng.randint(0, 8)),
                                    }
                                },
                            }
                        ),
                    )
                )
                docs.append(
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "v1",
                                "kind": "LimitRange",
                                "metadata": self.meta("defaults", t),
                                "spec": {
                                    "limits": [
                                        {
                                            "type": "Container",
                                            "default": {"cpu": "500m", "memory": "512Mi"},
                                            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                                        }
                                    ]
                                },
                            }
                        ),
                    )
                )
        else:
            for p in range(rng.randint(2, 4)):
                docs.append(
                    self.dress(
                        rng,
                        Doc(
                            {
                                "apiVersion": "scheduling.k8s.io/v1",
                                "kind": "PriorityClass",
                                "metadata": self.meta(f"tier-{p}-{idx}", None),
                                "value": 1000 * (p + 1),
                                "globalDefault": False,
                                "description": _sentence(rng),
                            }
                        ),
                    )
                )
        return _File(f"platform/{kind}/{kind}-{idx:04d}.yaml", "platform", docs)

    def small_crd(self, idx: int) -> _File:
        rng = self.r("small-crd", idx)
        profile = CRD_PROFILES[idx % len(CRD_PROFILES)]
        text = _crd_text(
            rng, (profile[0], profile[1], profile[2], profile[3][-1:]), rng.randint(15_000, 60_000), f"x{idx}"
        )
        return _File(f"platform/crds/small/{profile[2]}-x{idx}.yaml", "crds-small", [Doc({}, raw=text)])

    def big_crds(self, set_idx: int, size_factor: float, count: int) -> list[_File]:
        files: list[_File] = []
        suffix = "" if set_idx == 0 else f"s{set_idx}"
        for i in range(count):
            rng = self.r("crd", set_idx, i)
            size = int(BIG_CRD_SIZES[i] * size_factor)
            if i == 2:
                # cert-manager style: one file bundling several CRDs
                bundle = [CRD_PROFILES[k] for k in (3, 5, 6, 7, 8, 9)]
                docs = [Doc({}, raw=_crd_text(rng, prof, size // len(bundle), suffix)) for prof in bundle]
                files.append(_File(f"platform/crds/bundle{suffix}.crds.yaml", "crds", docs))
            else:
                prof = CRD_PROFILES[{0: 0, 1: 1, 3: 2, 4: 4}[i]]
                text = _crd_text(rng, prof, size, suffix)
                files.append(
                    _File(
                        f"platform/crds/{prof[2]}{'-' + suffix if suffix else ''}.{prof[0]}.yaml",
                        "crds",
                        [Doc({}, raw=text)],
                    )
                )
        return files

    def kustomization(self, idx: int) -> list[_File]:
        rng = self.r("cluster", idx)
        cluster = f"{rng.choice(['prod', 'staging', 'dev', 'perf'])}-{rng.choice(['eu', 'us', 'ap'])}-{idx}"
        kust: dict[str, Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [f"../../apps/{t}" for t in rng.sample(TEAMS, rng.randint(5, 20))]
            + ["../../platform"],
            "commonLabels": {"cluster": cluster},
            "patches": [{"path": "patches/replicas.yaml"}, {"path": "patches/resources.yaml"}],
            "images": [
                {
                    "name": f"registry.example.com/{t}/api",
                    "newTag": f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.0",
                }
                for t in rng.sample(TEAMS, 3)
            ],
        }
        if rng.random() < 0.5:
            kust["namespace"] = "default"
        files = [_File(f"clusters/{cluster}/kustomization.yaml", "clusters", [Doc(kust)])]
        patch_docs = [
            Doc(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"{t}-{rng.choice(APPS)}", "namespace": t},
                    "spec": {"replicas": rng.randint(2, 10)},
                }
            )
            for t in rng.sample(TEAMS, rng.randint(4, 14))
        ]
        files.append(_File(f"clusters/{cluster}/patches/replicas.yaml", "clusters", patch_docs))
        return files

    def helm_values(self, idx: int) -> list[_File]:
        rng = self.r("helm", idx)
        chart = f"{rng.choice(TEAMS)}-{rng.choice(APPS)}-{idx}"
        values: dict[str, Any] = {
            "replicaCount": rng.randint(1, 5),
            "image": {"repository": f"registry.example.com/{chart}", "tag": "", "pullPolicy": "IfNotPresent"},
            "serviceAccount": {"create": True, "annotations": {}, "name": ""},
            "podAnnotations": {},
            "service": {"type": "ClusterIP", "port": 80},
            "ingress": {
                "enabled": False,
                "className": "",
                "hosts": [{"host": f"{chart}.local", "paths": [{"path": "/", "pathType": "Prefix"}]}],
            },
            "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}},
            "autoscaling": {
                "enabled": False,
                "minReplicas": 1,
                "maxReplicas": 10,
                "targetCPUUtilizationPercentage": 80,
            },
            "nodeSelector": {},
            "tolerations": [],
            "affinity": {},
            "config": {
                _camel(rng, 2): rng.choice([True, False, rng.randint(1, 100), _camel(rng, 1)])
                for _ in range(rng.randint(10, 60))
            },
        }
        if idx % 7 == 3:  # an LLM chart's values: not a manifest, no findings expected
            values["vllm"] = {
                "model": "meta-llama/Llama-3.1-8B-Instruct",
                "gpuMemoryUtilization": 0.97,
                "tensorParallelSize": 4,
                "image": {"repository": "vllm/vllm-openai", "tag": "latest"},
            }
        files = [
            _File(
                f"charts/{chart}/values.yaml",
                "helm-values",
                [Doc(values, leading_comment=f"Default values for {chart}.\nThis is a YAML-formatted file.")],
            )
        ]
        if rng.random() < 0.5:
            files.append(
                _File(
                    f"charts/{chart}/Chart.yaml",
                    "helm-values",
                    [
                        Doc(
                            {
                                "apiVersion": "v2",
                                "name": chart,
                                "description": f"A Helm chart for {chart}",
                                "type": "application",
                                "version": f"0.{rng.randint(1, 30)}.{rng.randint(0, 9)}",
                                "appVersion": f"{rng.randint(1, 5)}.{rng.randint(0, 9)}.0",
                            }
                        )
                    ],
                )
            )
        return files

    def dashboard(self, idx: int) -> _File:
        rng = self.r("dash", idx)
        panels = [
            {
                "id": p,
                "type": rng.choice(["timeseries", "stat", "table", "gauge"]),
                "title": _sentence(rng, 2, 5),
                "gridPos": {"h": 8, "w": 12, "x": (p % 2) * 12, "y": p * 8},
                "targets": [{"expr": f"sum(rate({_camel(rng, 2)}_total[5m])) by (pod)", "refId": "A"}],
                "fieldConfig": {
                    "defaults": {"unit": rng.choice(["s", "percent", "bytes", "reqps"])},
                    "overrides": [],
                },
            }
            for p in range(rng.randint(4, 30))
        ]
        dash = {
            "annotations": {"list": []},
            "editable": True,
            "panels": panels,
            "schemaVersion": 39,
            "tags": [rng.choice(TEAMS)],
            "title": f"{rng.choice(TEAMS)} overview {idx}",
            "uid": _hexid(rng, 9),
            "version": rng.randint(1, 40),
        }
        return _File(
            f"platform/monitoring/dashboards/dash-{idx:03d}.json",
            "json",
            text=json.dumps(dash, indent=2) + "\n",
            ndocs=1,
        )

    def json_manifest(self, idx: int) -> _File:
        rng = self.r("json", idx)
        t = rng.choice(TEAMS)
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"{t}-flags-{j}", "namespace": t},
                    "data": {
                        _camel(rng, 2): str(rng.random() < 0.5).lower() for _ in range(rng.randint(3, 20))
                    },
                }
                for j in range(rng.randint(1, 4))
            ],
        }
        if rng.random() < 0.5:
            obj = {
                "kind": "ConfigMap",
                "apiVersion": "v1",
                "metadata": {"name": f"{t}-json-{idx}", "namespace": t},
                "data": {_camel(rng, 2): _sentence(rng) for _ in range(rng.randint(3, 20))},
            }
        text = json.dumps(obj, indent=None if rng.random() < 0.3 else 2) + "\n"
        return _File(f"platform/json/{t}-{idx:03d}.json", "json", text=text, ndocs=1)

    # ---- LLM stacks --------------------------------------------------------------------
    MODELS: ClassVar[list[tuple[str, str]]] = [
        ("meta-llama/Llama-3.1-8B-Instruct", "8B"),
        ("meta-llama/Llama-3.1-70B-Instruct", "70B"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "8x7B"),
        ("Qwen/Qwen2.5-7B-Instruct", "7B"),
        ("Qwen/Qwen2.5-72B-Instruct-AWQ", "72B"),
        ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "8B"),
        ("google/gemma-2-9b-it", "9B"),
        ("microsoft/Phi-3-mini-4k-instruct", "3.8B"),
        ("meta-llama/Llama-3.1-405B-Instruct-FP8", "405B"),
        ("mistralai/Mistral-7B-Instruct-v0.3", "7B"),
    ]
    FRAMEWORKS: ClassVar[list[str]] = [
        "vllm",
        "sglang",
        "tgi",
        "vllm",
        "triton",
        "nim",
        "vllm",
        "ollama",
        "lws",
        "vllm",
        "kserve",
        "sglang",
        "vllm",
        "llamacpp",
        "vllm",
        "tgi",
        "vllm",
        "nim",
        "sglang",
        "vllm",
    ]

    def llm_stack(self, idx: int, max_files: int) -> list[_File]:
        rng = self.r("llm", idx)
        fw = self.FRAMEWORKS[idx % len(self.FRAMEWORKS)]
        model, params = rng.choice(self.MODELS)
        slug = model.split("/")[1].lower().replace(".", "-")[:24].rstrip("-")
        name = f"{fw}-{slug}-{idx}"
        ns = rng.choice(["ml-serving", "llm", "inference", f"llm-{rng.choice(TEAMS)}"])
        labels = {"app": name, "app.kubernetes.io/component": "inference"}
        bad = {
            b
            for b in [
                "gmu",
                "gmu_cm",
                "no_startup",
                "tp_no_shm",
                "no_pdb",
                "rwo_shared",
                "latest",
                "gpu_mismatch",
                "healthz",
                "port",
                "hf_token",
                "no_toleration",
                "hpa_cpu",
                "shm_disk",
                "surge",
                "small_budget",
            ]
            if rng.random() < 0.18
        }
        if rng.random() < 0.25:
            bad = set()  # a clean stack, like the seed's production example
        replicas = rng.choice([1, 2, 2, 3]) if "no_pdb" not in bad and "rwo_shared" not in bad else 2
        tp = 4 if "tp_no_shm" in bad else rng.choice([1, 1, 2, 4, 8])
        if params in ("70B", "72B", "8x7B") and tp < 2:
            tp = 4
        if params == "405B":
            tp = 8
        gpus = tp
        base = f"llm/{name}"
        files: list[_File] = []
        cm_name = f"{name}-config"
        gmu = "0.97" if "gmu" in bad or "gmu_cm" in bad else rng.choice(["0.90", "0.85", "0.9"])
        cm_data: dict[str, Any] = {
            "MODEL_ID": model,
            "TENSOR_PARALLEL_SIZE": str(tp),
            "GPU_MEMORY_UTILIZATION": gmu,
            "MAX_MODEL_LEN": rng.choice(["8192", "32768"]),
        }
        port = {
            "vllm": 8000,
            "sglang": 30000,
            "tgi": 8080,
            "triton": 8000,
            "nim": 8000,
            "ollama": 11434,
            "llamacpp": 8080,
            "kserve": 8080,
            "lws": 8000,
        }[fw]
        health = {"triton": "/v2/health/ready", "nim": "/v1/health/ready", "ollama": "/"}.get(fw, "/health")
        if "healthz" in bad:
            health = "/healthz"
        probe_port = port + 1 if "port" in bad else port
        tag_latest = "latest" in bad
        image, command, args = self.server(rng, fw, model, tp, gmu, port, tag_latest, "gmu_cm" in bad)
        container: dict[str, Any] = {"name": fw if fw not in ("kserve", "lws") else "server", "image": image}
        if command:
            container["command"] = command
        if args:
            container["args"] = args
        env: list[dict[str, Any]] = []
        if "hf_token" in bad:
            env.append(
                {
                    "name": "HF_TOKEN",
                    "value": "hf_"
                    + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEF") for _ in range(34)),
                }
            )
        else:
            env.append(
                {
                    "name": "HF_TOKEN",
                    "valueFrom": {"secretKeyRef": {"name": "hf-credentials", "key": "token"}},
                }
            )
        if "gmu_cm" in bad or rng.random() < 0.3:
            env.append(
                {
                    "name": "GPU_MEMORY_UTILIZATION",
                    "valueFrom": {"configMapKeyRef": {"name": cm_name, "key": "GPU_MEMORY_UTILIZATION"}},
                }
            )
        env.append({"name": "HF_HOME", "value": "/model-cache"})
        container["env"] = env
        if rng.random() < 0.4:
            container["envFrom"] = [{"configMapRef": {"name": cm_name}}]
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        gpu_req = gpus if "gpu_mismatch" not in bad else max(1, gpus // 2)
        container["resources"] = {
            "requests": {"cpu": str(4 * gpus), "memory": f"{32 * gpus}Gi", "nvidia.com/gpu": str(gpu_req)},
            "limits": {
                "cpu": str(4 * gpus),
                "memory": f"{32 * gpus}Gi",
                "nvidia.com/gpu": Commented(str(gpus), "GPU: requests must equal limits"),
            },
        }

        def probe(extra: dict[str, Any]) -> dict[str, Any]:
            return {"httpGet": {"path": health, "port": probe_port}, **extra}

        if "no_startup" not in bad:
            fail = 30 if "small_budget" in bad else (180 if params in ("70B", "72B", "405B", "8x7B") else 60)
            container["startupProbe"] = probe(
                {
                    "initialDelaySeconds": 30,
                    "periodSeconds": 10,
                    "failureThreshold": Commented(fail, f"budget {30 + 10 * fail}s"),
                }
            )
        container["readinessProbe"] = probe({"periodSeconds": 5, "failureThreshold": 3})
        container["livenessProbe"] = probe({"periodSeconds": 10, "failureThreshold": 6})
        mounts: list[dict[str, Any]] = [{"name": "model-cache", "mountPath": "/model-cache"}]
        volumes: list[dict[str, Any]] = [
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": f"{name}-cache"}}
        ]
        if "tp_no_shm" not in bad and (tp > 1 or rng.random() < 0.5):
            mounts.append({"name": "shm", "mountPath": "/dev/shm"})
            volumes.append(
                {
                    "name": "shm",
                    "emptyDir": {}
                    if "shm_disk" in bad
                    else {"medium": "Memory", "sizeLimit": f"{8 * max(1, tp)}Gi"},
                }
            )
        container["volumeMounts"] = mounts
        pod: dict[str, Any] = {}
        if "no_toleration" not in bad:
            pod["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
        pod["nodeSelector"] = {
            "nvidia.com/gpu.product": rng.choice(
                ["NVIDIA-A100-SXM4-80GB", "NVIDIA-H100-80GB-HBM3", "NVIDIA-L4", "NVIDIA-A10G"]
            )
        }
        if replicas > 1 and rng.random() < 0.6:
            pod["affinity"] = {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "podAffinityTerm": {
                                "labelSelector": {"matchLabels": {"app": name}},
                                "topologyKey": "kubernetes.io/hostname",
                            },
                        }
                    ]
                }
            }
        pod["containers"] = [container]
        pod["volumes"] = volumes
        tmpl = {"metadata": {"labels": labels}, "spec": pod}
        annotations = {"llmlint.io/model-params": params} if rng.random() < 0.2 else None
        tricky = 0.35
        kind = {"lws": "LeaderWorkerSet", "kserve": "InferenceService"}.get(fw, "Deployment")
        if kind == "Deployment" and rng.random() < 0.2:
            kind = "StatefulSet"
        if kind == "InferenceService":
            pred = {
                "minReplicas": replicas,
                "maxReplicas": replicas,
                "model": {
                    "modelFormat": {"name": "huggingface"},
                    "args": [f"--model_name={slug}", f"--model_id={model}"],
                    "resources": container["resources"],
                    "env": env,
                },
                "tolerations": pod.get("tolerations", []),
            }
            if "no_startup" not in bad:
                pred["model"]["startupProbe"] = container.get("startupProbe")
            wl: dict[str, Any] = {
                "apiVersion": "serving.kserve.io/v1beta1",
                "kind": kind,
                "metadata": self.meta(name, ns, labels, annotations),
                "spec": {"predictor": pred},
            }
        elif kind == "LeaderWorkerSet":
            wl = {
                "apiVersion": "leaderworkerset.x-k8s.io/v1",
                "kind": kind,
                "metadata": self.meta(name, ns, labels, annotations),
                "spec": {
                    "replicas": replicas,
                    "leaderWorkerTemplate": {
                        "size": 2,
                        "restartPolicy": "RecreateGroupOnPodRestart",
                        "leaderTemplate": tmpl,
                        "workerTemplate": {
                            "metadata": {"labels": labels},
                            "spec": {
                                **{k: v for k, v in pod.items() if k != "containers"},
                                "containers": [
                                    {
                                        **container,
                                        "name": "worker",
                                        "command": [
                                            "sh",
                                            "-c",
                                            "ray start --block --address=$(LWS_LEADER_ADDRESS):6379",
                                        ],
                                        "args": [],
                                    }
                                ],
                            },
                        },
                    },
                },
            }
        else:
            spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"app": name}}}
            if kind == "StatefulSet":
                spec["serviceName"] = name
            elif "surge" in bad or rng.random() < 0.3:
                spec["strategy"] = {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                }
            else:
                spec["strategy"] = {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxSurge": 0,
                        "maxUnavailable": Commented(1, "no spare GPUs for a surge"),
                    },
                }
            spec["template"] = tmpl
            wl = {
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": self.meta(name, ns, labels, annotations),
                "spec": spec,
            }
        wl_file = {
            "Deployment": "deployment.yaml",
            "StatefulSet": "statefulset.yaml",
            "LeaderWorkerSet": "leaderworkerset.yaml",
            "InferenceService": "inferenceservice.yaml",
        }[kind]
        wl_doc = self.dress(rng, Doc(wl, leading_comment=f"{fw} serving {model}"), tricky)
        if rng.random() < 0.1:
            files.append(
                _File(
                    f"{base}/{wl_file.replace('.yaml', '.json')}",
                    "llm",
                    text=json.dumps(strip_comments(_reorder(wl, rng.choice(ORDER_STYLES))), indent=2) + "\n",
                    ndocs=1,
                )
            )
        else:
            files.append(_File(f"{base}/{wl_file}", "llm", [wl_doc], crlf=rng.random() < 0.08))
        svc = Doc(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": self.meta(name, ns, labels),
                "spec": {
                    "selector": {"app": name},
                    "ports": [{"name": "http", "port": 80, "targetPort": port}],
                },
            }
        )
        cm = Doc(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": self.meta(cm_name, ns, labels),
                "data": cm_data,
            }
        )
        pvc_spec: dict[str, Any] = {
            "accessModes": [
                Commented("ReadWriteOnce", "single-node mount")
                if "rwo_shared" in bad or rng.random() < 0.3
                else "ReadWriteMany"
            ],
            "storageClassName": rng.choice(["gp3", "efs-sc", "premium-rwo", "filestore"]),
            "resources": {"requests": {"storage": "200Gi"}},
        }
        if rng.random() < 0.3:
            pvc_spec["dataSource"] = {
                "apiGroup": "snapshot.storage.k8s.io",
                "kind": "VolumeSnapshot",
                "name": f"{slug}-weights",
            }
        pvc = Doc(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": self.meta(f"{name}-cache", ns, labels),
                "spec": pvc_spec,
            }
        )
        others: list[tuple[str, list[Doc]]] = []
        if rng.random() < 0.5:
            others.append(("service.yaml", [self.dress(rng, svc, tricky), self.dress(rng, cm, tricky)]))
        else:
            others.append(("service.yaml", [self.dress(rng, svc, tricky)]))
            others.append(("configmap.yaml", [self.dress(rng, cm, tricky)]))
        others.append(("pvc.yaml", [self.dress(rng, pvc, tricky)]))
        if "no_pdb" not in bad and (replicas > 1 or rng.random() < 0.5):
            pdb = {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": self.meta(f"{name}-pdb", ns),
                "spec": {
                    "minAvailable": replicas if rng.random() < 0.1 else 1,
                    "selector": {"matchLabels": {"app": name}},
                },
            }
            others.append(("pdb.yaml", [self.dress(rng, Doc(pdb), tricky)]))
        if rng.random() < 0.5:
            others.append(("networkpolicy.yaml", self.netpol_docs(rng, name, ns, {"app": name}, port)))
        if "hpa_cpu" in bad and kind in ("Deployment", "StatefulSet"):
            others.append(
                (
                    "hpa.yaml",
                    [
                        Doc(
                            {
                                "apiVersion": "autoscaling/v2",
                                "kind": "HorizontalPodAutoscaler",
                                "metadata": self.meta(name, ns),
                                "spec": {
                                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
                                    "minReplicas": replicas,
                                    "maxReplicas": replicas + 2,
                                    "metrics": [
                                        {
                                            "type": "Resource",
                                            "resource": {
                                                "name": "cpu",
                                                "target": {"type": "Utilization", "averageUtilization": 70},
                                            },
                                        }
                                    ],
                                },
                            }
                        )
                    ],
                )
            )
        if "hf_token" in bad and rng.random() < 0.5:
            others.append(
                (
                    "secret.yaml",
                    [
                        Doc(
                            {
                                "apiVersion": "v1",
                                "kind": "Secret",
                                "type": "Opaque",
                                "metadata": self.meta("hf-credentials", ns),
                                "stringData": {"token": "hf_" + _hexid(rng, 30)},
                            }
                        )
                    ],
                )
            )
        for fname, docs in others:
            files.append(_File(f"{base}/{fname}", "llm", docs, crlf=rng.random() < 0.05))
        return files[:max_files]

    @staticmethod
    def server(
        rng: Random, fw: str, model: str, tp: int, gmu: str, port: int, latest: bool, via_env: bool
    ) -> tuple[str, list[Any], list[Any]]:
        def tag(image: str, t: str) -> str:
            return image if latest and rng.random() < 0.5 else f"{image}:{'latest' if latest else t}"

        gmu_arg: Any = (
            "--gpu-memory-utilization=$(GPU_MEMORY_UTILIZATION)"
            if via_env
            else f"--gpu-memory-utilization={gmu}"
        )
        if gmu == "0.97" and not via_env:
            gmu_arg = Commented(gmu_arg, "squeeze the KV cache")
        if fw in ("vllm", "lws"):
            image = tag("vllm/vllm-openai", rng.choice(["v0.6.3", "v0.6.6.post1", "v0.7.2", "v0.8.4"]))
            if fw == "lws":
                return (
                    image,
                    ["sh", "-c"],
                    [
                        f"ray start --head --port=6379 && vllm serve {model} --tensor-parallel-size {tp}"
                        f" --pipeline-parallel-size 2 --gpu-memory-utilization {gmu} --port {port}"
                    ],
                )
            style = rng.random()
            args: list[Any] = [
                f"--model={model}",
                f"--tensor-parallel-size={tp}",
                gmu_arg,
                f"--port={port}",
                "--max-model-len=8192",
                "--enable-prefix-caching",
            ]
            if style < 0.4:
                return image, ["python3", "-m", "vllm.entrypoints.openai.api_server"], args
            if style < 0.7:
                return image, ["vllm", "serve", model], args[1:]
            flat: list[Any] = []
            for a in args:
                s = a.value if isinstance(a, Commented) else a
                k, _, v = str(s).partition("=")
                flat += [k, v] if v else [k]
            return image, [], flat
        if fw == "sglang":
            return (
                tag("lmsysorg/sglang", "v0.4.1.post7-cu124"),
                ["python3", "-m", "sglang.launch_server"],
                [
                    "--model-path",
                    model,
                    "--tp",
                    str(tp),
                    "--mem-fraction-static",
                    "0.85",
                    "--port",
                    str(port),
                    "--host",
                    "0.0.0.0",
                ],
            )
        if fw == "tgi":
            return (
                tag(
                    rng.choice(
                        [
                            "ghcr.io/huggingface/text-generation-inference",
                            "registry.example.com/mirror/huggingface/text-generation-inference",
                        ]
                    ),
                    "2.4.0",
                ),
                [],
                [f"--model-id={model}", f"--num-shard={tp}", f"--port={port}", "--max-total-tokens=8192"],
            )
        if fw == "triton":
            return (
                tag("nvcr.io/nvidia/tritonserver", "24.08-trtllm-python-py3"),
                ["tritonserver"],
                [
                    "--model-repository=/model-cache/triton",
                    "--http-port=8000",
                    "--grpc-port=8001",
                    "--metrics-port=8002",
                ],
            )
        if fw == "nim":
            return tag("nvcr.io/nim/meta/llama-3.1-8b-instruct", "1.3.3"), [], []
        if fw == "ollama":
            return tag("ollama/ollama", "0.5.4"), [], []
        if fw == "llamacpp":
            return (
                tag("ghcr.io/ggerganov/llama.cpp", "server-b4500"),
                ["llama-server"],
                ["-m", "/model-cache/model.gguf", "--port", str(port), "--host", "0.0.0.0", "-ngl", "99"],
            )
        return tag("kserve/huggingfaceserver", "v0.14.1-gpu"), [], []

    def edge_cases(self) -> list[_File]:
        """Hand-shaped documents that defeat naive prefilters; always written, whatever the scale."""
        b = "llm/edge-cases"
        gpu_tol = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]

        def vllm_pod(name: str, extra_args: list[Any], shm: bool = True) -> dict[str, Any]:
            c: dict[str, Any] = {
                "name": "vllm",
                "image": "vllm/vllm-openai:v0.6.3",
                "args": ["--model=meta-llama/Llama-3.1-8B-Instruct", "--port=8000", *extra_args],
                "ports": [{"containerPort": 8000}],
                "resources": {"limits": {"nvidia.com/gpu": 1}, "requests": {"nvidia.com/gpu": 1}},
                "readinessProbe": {"httpGet": {"path": "/health", "port": 8000}},
            }
            return {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "tolerations": gpu_tol,
                    "containers": [c],
                    "volumes": [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}]
                    if shm
                    else [],
                },
            }

        def dep(
            name: str, tmpl: dict[str, Any], replicas: int = 1, kind: str = "Deployment"
        ) -> dict[str, Any]:
            return {
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": {
                    "name": name,
                    "namespace": "edge",
                    "ownerReferences": [
                        {
                            "apiVersion": "example.com/v1",
                            "kind": "ModelDeployment",
                            "name": name,
                            "uid": "0f6c2b4e-0000-4000-8000-000000000001",
                        }
                    ],
                },
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": tmpl},
            }

        files: list[_File] = []
        d = dep("kind-last", vllm_pod("kind-last", ["--gpu-memory-utilization=0.97"]))
        files.append(_File(f"{b}/kind-last.yaml", "llm", [Doc(d, order="last")]))
        d = dep("kind-after-spec", vllm_pod("kind-after-spec", ["--gpu-memory-utilization=0.98"]))
        files.append(
            _File(
                f"{b}/kind-after-spec.yaml",
                "llm",
                [Doc(d, order="after-spec", leading_comment="kind comes after spec here")],
            )
        )
        d = dep("metadata-first", vllm_pod("metadata-first", ["--tensor-parallel-size=4"], shm=False))
        files.append(_File(f"{b}/metadata-first.yml", "llm", [Doc(d, order="metadata-first")]))
        tgi = dep(
            "quoted-kind",
            {
                "metadata": {"labels": {"app": "quoted-kind"}},
                "spec": {
                    "tolerations": gpu_tol,
                    "containers": [
                        {
                            "name": "tgi",
                            "image": "ghcr.io/huggingface/text-generation-inference:2.4.0",
                            "args": ["--model-id=mistralai/Mistral-7B-Instruct-v0.3", "--port=8080"],
                            "resources": {"limits": {"nvidia.com/gpu": 1}, "requests": {"nvidia.com/gpu": 1}},
                            "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                        }
                    ],
                },
            },
        )
        files.append(_File(f"{b}/quoted-kind.yaml", "llm", [Doc(tgi, kind_style="double")]))
        sts = dep(
            "single-quoted", vllm_pod("single-quoted", ["--gpu-memory-utilization=0.99"]), kind="StatefulSet"
        )
        sts["spec"]["serviceName"] = "single-quoted"
        files.append(_File(f"{b}/single-quoted.yaml", "llm", [Doc(sts, kind_style="single")], crlf=True))
        # a ConfigMap whose data embeds a manifest: nested "kind:" lines before the real one (last)
        cm = {
            "apiVersion": "v1",
            "metadata": {"name": "edge-llm-config", "namespace": "edge"},
            "data": {
                "example.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                "metadata:\n  name: ignored.example.com\n",
                "GPU_MEMORY_UTILIZATION": "0.97",
            },
            "kind": "ConfigMap",
        }
        d = dep(
            "via-configmap",
            vllm_pod("via-configmap", ["--gpu-memory-utilization=$(GPU_MEMORY_UTILIZATION)"]),
            replicas=2,
        )
        d["spec"]["template"]["spec"]["containers"][0]["env"] = [
            {
                "name": "GPU_MEMORY_UTILIZATION",
                "valueFrom": {
                    "configMapKeyRef": {"name": "edge-llm-config", "key": "GPU_MEMORY_UTILIZATION"}
                },
            }
        ]
        files.append(
            _File(
                f"{b}/via-configmap.yaml",
                "llm",
                [
                    Doc(cm, kind_style="quoted-key", leading_comment="model settings"),
                    Doc(d, kind_style="comment"),
                ],
            )
        )
        # a PVC whose nested dataSource.kind comes before its own kind; shared by two replicas
        pvc = {
            "apiVersion": "v1",
            "metadata": {"name": "edge-shared-cache", "namespace": "edge"},
            "spec": {
                "dataSource": {
                    "apiGroup": "snapshot.storage.k8s.io",
                    "kind": "VolumeSnapshot",
                    "name": "weights",
                },
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "100Gi"}},
            },
            "kind": "PersistentVolumeClaim",
        }
        d = dep("rwo-shared", vllm_pod("rwo-shared", []), replicas=3)
        d["spec"]["template"]["spec"]["volumes"].append(
            {"name": "cache", "persistentVolumeClaim": {"claimName": "edge-shared-cache"}}
        )
        d["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
            {"name": "cache", "mountPath": "/root/.cache/huggingface"}
        ]
        files.append(_File(f"{b}/rwo-shared.yaml", "llm", [Doc(pvc, order="standard"), Doc(d)]))
        # a List, as `kubectl get -o yaml` prints it
        lst = {
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": ""},
            "items": [dep("in-a-list", vllm_pod("in-a-list", ["--gpu-memory-utilization=0.96"]))],
        }
        files.append(_File(f"{b}/list.yaml", "llm", [Doc(lst)]))
        # JSON with kind last
        j = dep("json-kind-last", vllm_pod("json-kind-last", ["--gpu-memory-utilization=0.97"]))
        files.append(
            _File(
                f"{b}/json-kind-last.json",
                "llm",
                text=json.dumps(_reorder(j, "last"), indent=2) + "\n",
                ndocs=1,
            )
        )
        # comment-only and empty documents around a real one, plus a separator comment
        ol = dep(
            "ollama-side",
            {
                "metadata": {"labels": {"app": "ollama-side"}},
                "spec": {
                    "containers": [
                        {
                            "name": "ollama",
                            "image": "ollama/ollama",
                            "ports": [{"containerPort": 11434}],
                            "resources": {"limits": {"nvidia.com/gpu": 2}},
                        }
                    ]
                },
            },
            replicas=2,
        )
        text = (
            "# leading comment only\n---\n--- # the real object follows\n"
            + _render_doc(Doc(ol))
            + "...\n---\n# trailing comment-only document\n"
        )
        files.append(_File(f"{b}/separators.yaml", "llm", text=text, ndocs=1))
        return files

    # ---- assembling the corpus -------------------------------------------------------------
    def plan(self) -> list[_File]:
        target = max(40, self.n(BASE_FILES))
        files: list[_File] = []
        big_sets = max(1, self.n(1.0))
        size_factor = min(1.0, self.scale)
        for s in range(big_sets):
            files += self.big_crds(s, size_factor, 5)
        files += [self.small_crd(i) for i in range(self.n(20))]
        files += self.edge_cases()
        llm_target = self.n(BASE_FILES * 0.04, minimum=8)
        i = 0
        llm_files = 0
        while llm_files < llm_target:
            stack = self.llm_stack(i, llm_target - llm_files)
            files += stack
            llm_files += len(stack)
            i += 1
        files += [self.platform_rbac(i) for i in range(self.n(180))]
        files += [self.platform_misc(i) for i in range(self.n(300))]
        for i in range(self.n(20)):
            files += self.kustomization(i)
        for i in range(self.n(70)):
            files += self.helm_values(i)
        files += [self.dashboard(i) for i in range(self.n(20))]
        files += [self.json_manifest(i) for i in range(self.n(30))]
        remaining = target - len(files)
        idx = 0
        while remaining > 0:
            team = TEAMS[idx % len(TEAMS)]
            app = APPS[(idx // len(TEAMS)) % len(APPS)]
            if idx >= len(TEAMS) * len(APPS):
                app = f"{app}-{idx // (len(TEAMS) * len(APPS))}"
            app_files = self.app_files(team, app, idx)[:remaining]
            files += app_files
            remaining -= len(app_files)
            idx += 1
        return files


def _write(root: Path, f: _File, rng: Random, stats: CorpusStats) -> None:
    path = root / f.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if f.text is not None:
        text = f.text
        ndocs = f.ndocs
        if f.path.endswith(".json"):
            obj = json.loads(text)
            if isinstance(obj, dict) and "kind" in obj and "metadata" in obj:
                keys = list(obj)
                stats.kind_not_first += keys.index("kind") > keys.index("metadata")
    else:
        assert f.docs is not None
        text = _render_file(f.docs, rng, separators=f.category != "crds")
        ndocs = _count_docs(f.docs)
        for d in f.docs:
            if d.raw is None and d.data:
                stats.kind_not_first += d.order != "standard"
                stats.quoted_kind += d.kind_style in ("double", "single", "quoted-key")
    if f.crlf:
        text = text.replace("\n", "\r\n")
        stats.crlf_files += 1
    data = text.encode("utf-8")
    path.write_bytes(data)
    stats.add(f.category, ndocs, len(data))
    if f.category == "llm":
        stats.llm_files += 1


def generate(out_dir: str | os.PathLike[str], scale: float = 1.0, seed: int = 7) -> CorpusStats:
    """Write the corpus under ``out_dir`` (created if needed) and return its counts."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    gen = _Gen(seed, scale)
    files = gen.plan()
    seen: set[str] = set()
    stats = CorpusStats()
    for f in files:
        if f.path in seen:
            raise AssertionError(f"duplicate path in plan: {f.path}")
        seen.add(f.path)
        _write(root, f, Random(f"{seed}:write:{f.path}"), stats)
    (root / "README.md").write_text(
        "# platform-gitops (generated)\n\nA synthetic platform repository for the llmlint benchmark.\n"
        f"Generated by bench/generate_corpus.py --scale {scale} --seed {seed}.\n",
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("*.tgz\ncharts/*/charts/\n", encoding="utf-8")
    stats.other_files = 2
    return stats


def iter_corpus_files(root: str | os.PathLike[str]) -> Iterator[Path]:
    """The files llmlint walks (``*.yaml``, ``*.yml``, ``*.json``), in a stable order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml", ".json")):
                yield Path(dirpath, name)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("out_dir", help="directory to write the corpus into (created if missing)")
    ap.add_argument("--scale", type=float, default=1.0, help="size multiplier (1.0: 3,000 files, ~15 MB)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    ns = ap.parse_args(argv)
    stats = generate(ns.out_dir, ns.scale, ns.seed)
    print(stats.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
