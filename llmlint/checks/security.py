"""Security: credentials in plain text, and inference servers open to the network (and it open to them)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.availability import pod_selector_labels
from llmlint.checks.facts import container_label, is_context
from llmlint.graph.objects import Container, K8sObject, PodTemplate, Workload, as_int, as_list, as_map, dig
from llmlint.graph.selectors import matches
from llmlint.lazyre import LazyRe
from llmlint.model import AddDocument, AppendItem, Edit, Finding, Fix, Path, RemoveItem, SetValue

# ---- LLM013 -------------------------------------------------------------------------------------------

HF_TOKEN_VARS = frozenset(
    {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "HUGGINGFACE_TOKEN", "HF_API_TOKEN"}
)
HF_TOKEN = re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{20,}(?![A-Za-z0-9])")
_PLACEHOLDER = LazyRe(
    r"^(hf_)?(x+|\*+|0+|\.+|<.*>|\$\{.*\}|.*(your|placeholder|changeme|change-me|example|dummy|redacted|fake|secret).*)$",
    re.IGNORECASE,
)
_VAR_REF = LazyRe(r"^\$\([A-Za-z_][A-Za-z0-9_]*\)$")
# A value that names a token instead of being one: a variable (``$HF_TOKEN``, ``${HF_TOKEN}``, ``HF_TOKEN``,
# ``YOUR_HUGGINGFACE_TOKEN_HERE``), a template (``{{ .Values.token }}``), or text in angle brackets.
_NAMES_A_TOKEN = LazyRe(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[A-Z][A-Z0-9_]*|\{\{.*\}\}|<[^>]*>)$")


def mask(value: str) -> str:
    """What a message may show of a credential: its first three characters."""
    return value.strip()[:3] + "…"


def is_placeholder(value: str) -> bool:
    v = value.strip()
    return bool(_PLACEHOLDER.match(v) or _NAMES_A_TOKEN.match(v))


def _what(token: str) -> str:
    """How a message calls the value: never the value itself."""
    return "a token placeholder" if is_placeholder(token) else "a Hugging Face token"


def _after(token: str) -> str:
    """What the user does once the fix is written: a real token was exposed and must be revoked; a
    placeholder exposed nothing, but the real token must reach the Secret, never the manifest."""
    if is_placeholder(token):
        return "create that Secret outside the repository first, holding the real token, not the placeholder"
    return "create that Secret outside the repository first, and revoke the exposed token"


def _decoded(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None


def _token_in(key: str, value: str) -> str | None:
    """The credential in ``value`` (under ``key``), or None."""
    m = HF_TOKEN.search(value)
    if m:
        return m.group(0)
    if key.upper() in HF_TOKEN_VARS and value.strip() and not _VAR_REF.match(value.strip()):
        return value.strip()
    return None


def _hf_secret(ctx: Context, namespace: str) -> tuple[str, str]:
    """The Secret (name, key) an env var should reference: one already used for a Hugging Face token in the
    namespace, else the configured one."""
    for w in ctx.graph.workloads:
        if w.obj.namespace != namespace:
            continue
        for t in w.templates:
            for c in t.all_containers():
                for e in c.env:
                    ref = dig(e, "valueFrom", "secretKeyRef")
                    if str(e.get("name", "")).upper() in HF_TOKEN_VARS and isinstance(ref, dict):
                        name, key = ref.get("name"), ref.get("key")
                        if isinstance(name, str) and isinstance(key, str):
                            return name, key
    return str(ctx.param("hf-token-secret")), str(ctx.param("hf-token-secret-key"))


def _configmap_fix(ctx: Context, cm: K8sObject, key: str, raw: str, token: str) -> Fix:
    """Remove ``key`` from the ConfigMap and give each container that read it the value from a Secret."""
    secret, skey = _hf_secret(ctx, cm.namespace)
    ref = {"secretKeyRef": {"name": secret, "key": skey}}
    data = as_map(cm.data.get("data"))
    # the fixer cannot remove the only key of a mapping (it reads back as null): drop `data` itself
    edits: list[Edit] = [RemoveItem(cm.target, ("data", key) if len(data) > 1 else ("data",))]
    users: list[str] = []
    for w in ctx.graph.workloads:
        if w.obj.namespace != cm.namespace:
            continue
        for t in w.templates:
            for c in t.all_containers():
                names = {str(e.get("name")) for e in c.env}
                for i, e in enumerate(as_list(c.data.get("env"))):
                    cref = dig(e, "valueFrom", "configMapKeyRef")
                    if isinstance(cref, dict) and cref.get("name") == cm.name and cref.get("key") == key:
                        edits.append(SetValue(c.obj.target, (*c.path, "env", i, "valueFrom"), ref))
                        users.append(c.name)
                for src in as_list(c.data.get("envFrom")):
                    if dig(src, "configMapRef", "name") != cm.name:
                        continue
                    name = f"{as_map(src).get('prefix') or ''}{key}"
                    if name not in names:
                        edits.append(
                            AppendItem(c.obj.target, (*c.path, "env"), {"name": name, "valueFrom": ref})
                        )
                        names.add(name)
                        users.append(c.name)
    who = f" and read it in {', '.join(repr(u) for u in users)} from" if users else "; reference"
    fix = make_fix(
        "unsafe",
        f"remove {key} from ConfigMap {cm.name}{who} Secret {secret!r} (key {skey!r}) with secretKeyRef; "
        + _after(token),
        *edits,
    )
    if not is_placeholder(token):
        fix.redact = [raw, token]
    return fix


def _store_findings(ctx: Context, obj: K8sObject, skip_placeholders: bool) -> Iterator[Finding]:
    sections: list[tuple[str, bool]] = (
        [("stringData", False), ("data", True)] if obj.kind == "Secret" else [("data", False)]
    )
    for section, encoded in sections:
        for key, raw in as_map(obj.data.get(section)).items():
            value = _decoded(raw) if encoded else (raw if isinstance(raw, str) else None)
            if value is None:
                continue
            token = _token_in(str(key), value)
            if token is None or (skip_placeholders and is_placeholder(token)):
                continue
            if obj.kind == "Secret":
                how = "base64 data" if encoded else "stringData"
                msg = (
                    f"Secret {obj.name} has {_what(token)} under {key!r} in {how} in the repository: create the "
                    "Secret from a secret store or kubectl instead"
                )
            else:
                msg = (
                    f"ConfigMap {obj.name} has {_what(token)} under {key!r}: ConfigMaps are not secret; move it to "
                    "a Secret created outside the repository"
                )
            fix = _configmap_fix(ctx, obj, str(key), raw, token) if obj.kind == "ConfigMap" else None
            yield ctx.finding("LLM013", obj, (section, str(key)), msg, fix=fix)


def _container_findings(ctx: Context, c: Container, skip_placeholders: bool) -> Iterator[Finding]:
    for i, e in enumerate(as_list(c.data.get("env"))):
        if not isinstance(e, dict) or not isinstance(e.get("value"), str):
            continue
        name = str(e.get("name", ""))
        token = _token_in(name, e["value"])
        if token is None or (skip_placeholders and is_placeholder(token)):
            continue
        secret, key = _hf_secret(ctx, c.obj.namespace)
        fix = make_fix(
            "unsafe",
            f"read {name} from Secret {secret!r} (key {key!r}) with secretKeyRef; " + _after(token),
            SetValue(
                c.obj.target,
                (*c.path, "env", i),
                {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}},
            ),
        )
        if not is_placeholder(token):  # a placeholder is no credential: its diff may show it (and apply)
            fix.redact = [e["value"], token]
        if is_placeholder(token):
            msg = (
                f"env {name} of {container_label(c)!r} is a token placeholder: filled in, the token is committed in "
                "plain text; read it from a Secret with secretKeyRef"
            )
        else:
            msg = (
                f"env {name} of {container_label(c)!r} is a Hugging Face token in plain text: revoke it and read it "
                "from a Secret with secretKeyRef"
            )
        yield ctx.finding("LLM013", c.obj, (*c.path, "env", i, "value"), msg, container=c, fix=fix)
    for section in ("command", "args"):
        for i, word in enumerate(as_list(c.data.get(section))):
            if not isinstance(word, str):
                continue
            m = HF_TOKEN.search(word)
            if m is None or (skip_placeholders and is_placeholder(m.group(0))):
                continue
            what = "replace it with" if is_placeholder(m.group(0)) else "revoke it and pass"
            msg = (
                f"{container_label(c)!r} has {_what(m.group(0))} in its {section}: {what} $(HF_TOKEN) "
                "from an env var with secretKeyRef"
            )
            yield ctx.finding("LLM013", c.obj, (*c.path, section, i), msg, container=c, span=m.span())


@check("LLM013")
def hf_token_in_plain_text(ctx: Context) -> Iterator[Finding]:
    skip = bool(ctx.param("ignore-placeholder-tokens"))
    for w in ctx.graph.workloads:
        if is_context(w.obj):
            continue
        for t in w.templates:
            for c in t.all_containers():
                yield from _container_findings(ctx, c, skip)
    for kind in ("Secret", "ConfigMap"):
        for obj in ctx.graph.of_kind(kind):
            if not is_context(obj):
                yield from _store_findings(ctx, obj, skip)


# ---- LLM020 -------------------------------------------------------------------------------------------

METADATA_ADDRESS = "169.254.169.254"  # the cloud metadata endpoint
METADATA_CIDR = "169.254.169.254/32"
LWS_NAME_LABEL = "leaderworkerset.sigs.k8s.io/name"


def policy_types(np: K8sObject) -> set[str]:
    """The directions a NetworkPolicy isolates (the API's default: Ingress, plus Egress with egress rules)."""
    spec = as_map(np.data.get("spec"))
    given = spec.get("policyTypes")
    if isinstance(given, list) and given:
        return {str(x) for x in given}
    out = {"Ingress"}
    if as_list(spec.get("egress")):
        out.add("Egress")
    return out


def _pod_labels(w: Workload, t: PodTemplate) -> dict[str, str]:
    labels = dict(t.labels)
    if w.kind == "LeaderWorkerSet":
        labels.setdefault(LWS_NAME_LABEL, w.obj.name)
    return labels


def selecting_policies(ctx: Context, w: Workload, t: PodTemplate) -> list[K8sObject]:
    labels = _pod_labels(w, t)
    out = []
    for np in ctx.graph.of_kind("NetworkPolicy", w.obj.namespace):
        sel = dig(np.data, "spec", "podSelector")
        if matches({} if sel is None else sel, labels):
            out.append(np)
    return out


def _covers_metadata(cidr: Any, excepts: Any) -> bool:
    try:
        import ipaddress  # only policies with CIDRs need it: not on every scan's start-up path

        metadata_ip = ipaddress.ip_address(METADATA_ADDRESS)
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    if net.version != 4 or metadata_ip not in net:
        return False
    for ex in as_list(excepts):
        try:
            if metadata_ip in ipaddress.ip_network(str(ex), strict=False):
                return False
        except ValueError:
            continue
    return True


def _ports_allow_http(ports: Any) -> bool:
    """Whether a rule's ports admit TCP 80, where the AWS, GCP and Azure metadata services answer."""
    items = as_list(ports)
    if not items:
        return True
    for p in items:
        if not isinstance(p, dict):
            continue
        if str(p.get("protocol") or "TCP").upper() != "TCP":
            continue
        port, end = p.get("port"), as_int(p.get("endPort"))
        if port is None:
            return True
        n = as_int(port)
        if n is None:
            continue  # a named port never names a port of an address outside the cluster
        if n == 80 or (end is not None and n <= 80 <= end):
            return True
    return False


def metadata_openings(np: K8sObject) -> Iterator[tuple[Path, str, Edit]]:
    """Egress rules of ``np`` that let pods reach 169.254.169.254: (where, what, the edit that closes it)."""
    if "Egress" not in policy_types(np):
        return
    for i, rule in enumerate(as_list(dig(np.data, "spec", "egress"))):
        if not isinstance(rule, dict) or not _ports_allow_http(rule.get("ports")):
            continue
        peers = as_list(rule.get("to"))
        if not peers:
            what = "allows egress to every address" + ("" if rule.get("ports") else " on every port")
            new_to = [
                {"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_CIDR]}},
                {"namespaceSelector": {}},
            ]
            yield ("spec", "egress", i), what, SetValue(np.target, ("spec", "egress", i, "to"), new_to)
            continue
        for j, peer in enumerate(peers):
            block = as_map(as_map(peer).get("ipBlock"))
            if block and _covers_metadata(block.get("cidr"), block.get("except")):
                path: Path = ("spec", "egress", i, "to", j, "ipBlock")
                what = f"allows egress to {block.get('cidr')} without excepting {METADATA_CIDR}"
                yield (*path, "cidr"), what, AppendItem(np.target, (*path, "except"), METADATA_CIDR)


def _port_adder(ports: list[int]) -> Callable[[int | None], None]:
    def add(n: int | None) -> None:
        if n is not None and 0 < n < 65536 and n not in ports:
            ports.append(n)

    return add


def _serving(ctx: Context) -> list[tuple[Workload, PodTemplate, list[int]]]:
    """Inference workloads, the template that runs the server, and the ports its pods serve: the server's,
    every container's (sidecars too), and the target ports of the Services that select the pods."""
    out: dict[int, tuple[Workload, PodTemplate, list[int]]] = {}
    for s in ctx.inference_servers():
        t = s.container.template
        w = t.workload
        if id(w) in out:
            continue
        ports: list[int] = []
        add = _port_adder(ports)
        add(s.port())
        if s.framework is not None:
            for x in s.framework.extra_ports:
                add(x)
        named: dict[str, int] = {}
        for c in t.all_containers():
            for cp in as_list(c.data.get("ports")):
                n = as_int(dig(cp, "containerPort"))
                add(n)
                if isinstance(dig(cp, "name"), str) and n is not None:
                    named[str(cp["name"])] = n
        for svc in ctx.graph.of_kind("Service", w.obj.namespace):
            sel = dig(svc.data, "spec", "selector")
            if not isinstance(sel, dict) or not sel or any(t.labels.get(k) != v for k, v in sel.items()):
                continue
            for sp in as_list(dig(svc.data, "spec", "ports")):
                tp = as_map(sp).get("targetPort", as_map(sp).get("port"))
                add(named.get(tp) if isinstance(tp, str) and as_int(tp) is None else as_int(tp))
        out[id(w)] = (w, t, ports)
    return list(out.values())


# What a generated policy cannot know it must allow: peers of a multi-node server (NCCL, Ray, torchrun use
# ports of their own), services named in args or env (a KV-cache server, a database), package managers that
# fetch over plain HTTP at start.
_MULTI_NODE = LazyRe(
    r"--nnodes|torchrun|\bray\s+start|--distributed-executor-backend[=\s]+ray|--dist-init-addr|"
    r"--master[-_]addr|NCCL_|LWS_LEADER_ADDRESS|--ray[-_]address|--headless",
)
_OTHER_SERVICE = LazyRe(
    r"[a-z][a-z0-9+.-]*://(?!(huggingface\.co|hf\.co)\b)[^\s\"']+|\.svc\b|_SERVICE_HOST|"
    r"\b[a-z0-9-]+(\.[a-z0-9-]+)*:(?!443\b)\d{2,5}\b",
)
_PLAIN_HTTP_INSTALL = LazyRe(r"\b(apt-get|apt|yum|dnf|apk|microdnf)\s+(install|add|update)\b")


def _unknown_traffic(w: Workload, t: PodTemplate) -> str | None:
    """Why a generated policy would block traffic the pods need (None when nothing suggests it)."""
    texts: list[str] = []
    for c in t.all_containers():
        texts.extend(str(x) for x in [*c.strings("command"), *c.strings("args")])
        texts.extend(str(e.get("name", "")) + "=" + str(e.get("value", "")) for e in c.env)
    text = " ".join(texts)
    if w.kind == "LeaderWorkerSet" or _MULTI_NODE.search(text):
        return "the pods of a multi-node server talk to each other on ports of their own (NCCL, Ray)"
    if _PLAIN_HTTP_INSTALL.search(text):
        return "packages installed at start are fetched over plain HTTP"
    m = _OTHER_SERVICE.search(text)
    if m:
        return f"the pods call other services ({m.group(0)[:40]})"
    return None


def _new_policy(
    w: Workload, labels: dict[str, str], ports: list[int], directions: list[str]
) -> dict[str, Any]:
    md: dict[str, Any] = {"name": f"{w.obj.name}-network-policy"}
    if w.obj.ref.namespace:
        md["namespace"] = w.obj.ref.namespace
    spec: dict[str, Any] = {"podSelector": {"matchLabels": labels}, "policyTypes": directions}
    if "Ingress" in directions:
        spec["ingress"] = [{"ports": [{"protocol": "TCP", "port": p} for p in ports]}]
    if "Egress" in directions:
        spec["egress"] = [
            {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_CIDR]}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            },
        ]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": md, "spec": spec}


def _policy_fix(
    ctx: Context, w: Workload, t: PodTemplate, ports: list[int], missing: list[str]
) -> Fix | None:
    """A policy that allows what the manifests show, or none when they show traffic it cannot know."""
    sel = pod_selector_labels(w)
    if w.kind == "InferenceService" or not sel or not ports or _unknown_traffic(w, t) is not None:
        return None
    doc = _new_policy(w, sel, ports, missing)
    name = doc["metadata"]["name"]
    if ctx.graph.get("NetworkPolicy", w.obj.namespace, name) is not None:
        return None  # never replace a policy of that name (it selects other pods)
    ports_txt = ", ".join(str(p) for p in ports)
    parts = []
    if "Ingress" in missing:
        parts.append(f"ingress on port {ports_txt} only")
    if "Egress" in missing:
        parts.append(f"egress to DNS and TCP 443 except {METADATA_CIDR}")
    return make_fix(
        "unsafe",
        f"add NetworkPolicy {name} ({'; '.join(parts)}); check the callers, Services' target ports and the "
        "destinations the server needs",
        AddDocument(w.obj.target, doc),
    )


@check("LLM020")
def no_network_policy(ctx: Context) -> Iterator[Finding]:
    selected: dict[int, tuple[K8sObject, list[str]]] = {}
    for w, t, ports in _serving(ctx):
        policies = selecting_policies(ctx, w, t)
        for np in policies:
            selected.setdefault(id(np), (np, []))[1].append(f"{w.kind} {w.obj.name}")
        if is_context(w.obj):
            continue
        types = set().union(*(policy_types(np) for np in policies)) if policies else set()
        missing = [d for d in ("Ingress", "Egress") if d not in types]
        if not missing:
            continue
        names = ", ".join(np.name for np in policies)
        if not policies:
            msg = (
                f"no NetworkPolicy selects the pods of {w.kind} {w.obj.name}: any pod can call its API, and it can "
                f"reach the metadata endpoint {METADATA_ADDRESS}"
            )
        elif missing == ["Egress"]:
            msg = (
                f"the NetworkPolicies selecting {w.obj.name} ({names}) restrict ingress only: egress is open"
            )
        else:
            msg = (
                f"the NetworkPolicies selecting {w.obj.name} ({names}) restrict egress only: any pod can call "
                "its API"
            )
        at: Path = (
            (*t.path, "metadata", "labels")
            if t.labels and w.kind != "InferenceService"
            else ("metadata", "name")
        )
        if w.kind == "Pod":
            at = ("metadata", "labels") if t.labels else ("metadata", "name")
        yield ctx.finding("LLM020", w.obj, at, msg, fix=_policy_fix(ctx, w, t, ports, missing))
    for np, users in selected.values():
        if is_context(np):
            continue
        for path, what, edit in metadata_openings(np):
            who = ", ".join(users[:2]) + (f" and {len(users) - 2} more" if len(users) > 2 else "")
            msg = f"NetworkPolicy {np.name} {what}: the pods of {who} can reach the cloud metadata endpoint"
            fix = make_fix(
                "unsafe", f"except {METADATA_CIDR} from the egress rule of NetworkPolicy {np.name}", edit
            )
            yield ctx.finding("LLM020", np, path, msg, fix=fix)
