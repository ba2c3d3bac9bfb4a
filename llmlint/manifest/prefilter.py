"""Which documents a scan parses, decided from their text before any YAML is parsed.

Most documents of a platform repository are not about LLM serving: CRDs, RBAC, the Deployments and
Services of ordinary applications. Parsing them costs more than everything else a scan does, so a document
is parsed only when some rule could read it:

- kinds no rule reads (CRDs, RBAC, Services, Ingresses…) are skipped;
- workloads are parsed only when their text names something a rule recognises: a GPU resource, a serving
  framework's image or command, a persistent volume claim (shared model caches), a ``$(VAR)`` reference
  (a command that may come from a ConfigMap), or a Hugging Face token;
- Secrets only when they may hold a Hugging Face token (``hf_``, or its base64 ``aGZf``);
- documents without a ``kind`` (Helm values, ``Chart.yaml``) are only checked to be YAML (libyaml's
  parser, without building anything), which costs little;
- ConfigMaps that may hold a token are parsed; the others are deferred, and parsed only when a parsed
  workload refers to one of their names (``envFrom``, ``configMapKeyRef``);
- PodDisruptionBudgets, HPAs, NetworkPolicies and PersistentVolumeClaims are deferred, and parsed only
  when their text names the namespace of a parsed workload (all of them when a workload has none).

Documents that are skipped are not validated either: llmlint reports the YAML errors of what it lints
(and of unrendered templates of lintable kinds), not of every file in the repository.
``LLMLINT_NO_PREFILTER=1`` (Settings.prefilter) turns all of this off; the test suite checks that it
changes no finding.
"""

from __future__ import annotations

import yaml

from llmlint.kinds import ALWAYS_PARSE, BESIDE_KINDS, SCREENED_WORKLOADS
from llmlint.lazyre import LazyRe
from llmlint.manifest.loader import Document, reader_error
from llmlint.model import InputError

PARSE, SKIP, DEFER, CHECK = 0, 1, 2, 3

# The kinds come from one declaration (llmlint.kinds) that the graph and the loader read too.
ALWAYS = ALWAYS_PARSE
# Objects that matter only beside an inference workload of their namespace: parsed once one is found.
BESIDE = BESIDE_KINDS
WORKLOADS = SCREENED_WORKLOADS

# Lower-case words whose presence makes a workload worth parsing (substring tests run at memchr speed,
# far faster than one case-insensitive alternation over a large document).
_SERVING = (
    "nvidia.com/gpu",
    "amd.com/gpu",
    "vllm",
    "sglang",
    "text-generation",
    "tgi",
    "triton",
    "nvcr.io/nim",
    "/nim/",
    "llama",
    "ollama",
    "huggingface",
    "kserve",
    "model",
    "persistentvolumeclaim",
    "$(",
    "hf_",
    "hugging",
)
_TOKENS = ("hf_", "aGZf")  # a Hugging Face token, plain or base64
_TEMPLATE = LazyRe(r"\{\{-?\s*[.$\w(\"'/]")


def decide(doc: Document) -> int:
    text, start, end = doc.source.text, doc.start, doc.end
    if text.find("kind", start, end) == -1:
        return CHECK  # no kind: not a Kubernetes object (Helm values, Chart.yaml); only check it is YAML
    if not doc.kind_certain:
        return PARSE
    kind = doc.kind_hint
    if kind in ALWAYS:
        return PARSE
    if kind in BESIDE:
        return DEFER
    if kind not in WORKLOADS and kind not in ("Secret", "ConfigMap"):
        return SKIP
    if text.find("{{", start, end) != -1 and _TEMPLATE.search(text, start, end):
        return PARSE  # an unrendered Helm template: parsing it gives the user the error that says so
    if kind in WORKLOADS:
        low = text[start:end].lower()
        return PARSE if any(word in low for word in _SERVING) else SKIP
    token = any(text.find(t, start, end) != -1 for t in _TOKENS)
    if kind == "Secret":
        return PARSE if token else SKIP
    return PARSE if token else DEFER


def syntax_error(doc: Document) -> tuple[InputError | None, bool]:
    """Run libyaml's parser over ``doc`` without building objects.

    Returns the error if it is not YAML, and whether its root is something other than a mapping."""
    not_mapping = False
    try:
        events = yaml.parse(doc.source.text[doc.start : doc.end], Loader=yaml.CSafeLoader)
        for ev in events:
            if isinstance(ev, yaml.DocumentStartEvent):
                root = next(events)
                not_mapping = isinstance(root, yaml.SequenceStartEvent) or (
                    isinstance(root, yaml.ScalarEvent) and root.value not in ("", "~", "null")
                )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = doc.line0 + (mark.line + 1 if mark else 1)
        col = mark.column + 1 if mark else None
        return InputError(doc.source.name, line, f"invalid YAML: {exc.problem or exc.context}", col), False
    except yaml.reader.ReaderError as exc:
        return reader_error(doc, exc), False
    except (yaml.YAMLError, RecursionError, MemoryError) as exc:
        return InputError(
            doc.source.name, doc.line0 + 1, f"invalid YAML: {' '.join(str(exc).split())}"
        ), False
    return None, not_mapping
