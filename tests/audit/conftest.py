"""A small Kubernetes API server of the tests' own, for ``llmlint audit``.

HTTPS (a CA and a server certificate generated here with ``cryptography``), a bearer token, discovery
(``/api``, ``/apis``), list endpoints with paging (``limit`` / ``continue``, a server-side page cap so
paging really happens), 403 for Secrets (and for any resource named in ``forbidden``), 405 for anything but
GET, and a log of every request. The real ``kubernetes`` client talks to it through a generated kubeconfig.
Faults for the robustness tests: ``slow`` (seconds to wait before answering, per path fragment),
``close`` (drop the connection without an answer), ``malformed`` (a 200 with broken JSON). Hostile modes:
``endless`` (every page carries a fresh ``continue`` token, for ever), ``same_token`` (every page carries
the same one), ``raw_items`` (JSON text spliced into a list's items, e.g. a 100,000-deep list that
``json.dumps`` could not write) and ``fail`` (an error status with a message of the test's choosing).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TOKEN = "test-token-7f3a9c"
SECRET_VALUE = "hf_NeverPrintThisTokenValue1234567890"

# plural → (kind, group, version, namespaced)
RESOURCES: dict[str, tuple[str, str, str, bool]] = {
    "pods": ("Pod", "", "v1", True),
    "persistentvolumeclaims": ("PersistentVolumeClaim", "", "v1", True),
    "configmaps": ("ConfigMap", "", "v1", True),
    "secrets": ("Secret", "", "v1", True),
    "services": ("Service", "", "v1", True),
    "events": ("Event", "", "v1", True),
    "nodes": ("Node", "", "v1", False),
    "namespaces": ("Namespace", "", "v1", False),
    "deployments": ("Deployment", "apps", "v1", True),
    "statefulsets": ("StatefulSet", "apps", "v1", True),
    "daemonsets": ("DaemonSet", "apps", "v1", True),
    "replicasets": ("ReplicaSet", "apps", "v1", True),
    "jobs": ("Job", "batch", "v1", True),
    "cronjobs": ("CronJob", "batch", "v1", True),
    "poddisruptionbudgets": ("PodDisruptionBudget", "policy", "v1", True),
    "horizontalpodautoscalers": ("HorizontalPodAutoscaler", "autoscaling", "v2", True),
    "networkpolicies": ("NetworkPolicy", "networking.k8s.io", "v1", True),
    "leaderworkersets": ("LeaderWorkerSet", "leaderworkerset.x-k8s.io", "v1", True),
    "inferenceservices": ("InferenceService", "serving.kserve.io", "v1beta1", True),
}
CUSTOM_GROUPS = ("leaderworkerset.x-k8s.io", "serving.kserve.io")


# ---- certificates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    cert_file: Path
    key_file: Path
    other_ca_pem: bytes  # a CA that did not sign the server's certificate


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_pki(directory: Path) -> Pki:
    ca_key, ca_cert = _ca("llmlint-test-ca")
    _, other = _ca("some-other-ca")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("kube-apiserver"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = directory / "server.crt", directory / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Pki(
        ca_cert.public_bytes(serialization.Encoding.PEM),
        cert_file,
        key_file,
        other.public_bytes(serialization.Encoding.PEM),
    )


# ---- the API server -----------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorized: bool


@dataclass
class FakeCluster:
    objects: list[dict[str, Any]] = field(default_factory=list)
    page_cap: int = 2  # the server returns at most this many items per page, whatever the limit
    custom: bool = True  # serve the LeaderWorkerSet and InferenceService groups
    forbidden: set[str] = field(default_factory=lambda: {"secrets"})
    forbidden_cluster_wide: set[str] = field(
        default_factory=set
    )  # allowed per namespace only (a RoleBinding)
    slow: dict[str, float] = field(default_factory=dict)  # path fragment → seconds before answering
    close: set[str] = field(default_factory=set)  # path fragments: drop the connection
    malformed: set[str] = field(default_factory=set)  # path fragments: 200 with broken JSON
    trickle: set[str] = field(default_factory=set)  # path fragments: a byte every 0.2 s, for ever
    endless: set[str] = field(default_factory=set)  # path fragments: a new continue token on every page
    same_token: set[str] = field(default_factory=set)  # path fragments: the same continue token every time
    raw_items: dict[str, list[str]] = field(default_factory=dict)  # path fragment → raw JSON items to add
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)  # path fragment → (status, message)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset_faults(self) -> None:
        self.slow.clear()
        self.trickle.clear()
        self.close.clear()
        self.malformed.clear()
        self.endless.clear()
        self.same_token.clear()
        self.raw_items.clear()
        self.fail.clear()

    def find(self, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
        for o in self.objects:
            md = o["metadata"]
            if o["kind"] == kind and md.get("namespace") == namespace and md["name"] == name:
                return o
        raise KeyError((kind, namespace, name))

    def replace(self, new: dict[str, Any]) -> None:
        md = new["metadata"]
        for i, o in enumerate(self.objects):
            if (
                o["kind"] == new["kind"]
                and o["metadata"].get("namespace") == md.get("namespace")
                and o["metadata"]["name"] == md["name"]
            ):
                self.objects[i] = new
                return
        self.objects.append(new)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _discovery(cluster: FakeCluster) -> dict[str, Any]:
    groups: dict[str, str] = {}
    for _, (_, group, version, _) in RESOURCES.items():
        if group and (cluster.custom or group not in CUSTOM_GROUPS):
            groups[group] = version
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": g,
                "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v},
            }
            for g, v in sorted(groups.items())
        ],
    }


def _route(path: str) -> tuple[str, str, str | None] | None:
    """(group/version, plural, namespace) of a list path."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        gv, rest = parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    if len(rest) == 3 and rest[0] == "namespaces":
        return gv, rest[2], rest[1]
    if len(rest) == 1:
        return gv, rest[0], None
    return None


def make_handler(cluster: FakeCluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this, Nagle + delayed ACK cost 40 ms each
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any, raw: bytes | None = None) -> None:
            data = raw if raw is not None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> tuple[str, dict[str, list[str]], bool]:
            url = urlsplit(self.path)
            scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
            ok = scheme.lower() == "bearer" and value == TOKEN
            with cluster.lock:
                cluster.requests.append(Request(self.command, url.path, parse_qs(url.query), ok))
            return url.path, parse_qs(url.query), ok

        def do_GET(self) -> None:
            path, query, ok = self._record()
            for frag, secs in list(cluster.slow.items()):
                if frag in path:
                    time.sleep(secs)
            if any(frag in path for frag in cluster.close):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if any(frag in path for frag in cluster.trickle):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass
                self.close_connection = True
                return
            if any(frag in path for frag in cluster.malformed):
                self._send(200, None, b'{"kind": "PodList", "items": [{"metadata": ')
                return
            if not ok:
                self._send(401, _status(401, "Unauthorized", "Unauthorized"))
                return
            if path == "/version":
                self._send(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.4"})
                return
            if path == "/api":
                self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
                return
            if path == "/apis":
                self._send(200, _discovery(cluster))
                return
            route = _route(path)
            if route is None or route[1] not in RESOURCES:
                self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
                return
            gv, plural, ns = route
            kind, group, version, namespaced = RESOURCES[plural]
            want_gv = f"{group}/{version}" if group else version
            if (
                gv != want_gv
                or (group in CUSTOM_GROUPS and not cluster.custom)
                or (ns is not None and not namespaced)
            ):
                self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
                return
            for frag, (code, message) in cluster.fail.items():
                if frag in path:
                    self._send(code, _status(code, "InternalError", message))
                    return
            if plural in cluster.forbidden or (ns is None and plural in cluster.forbidden_cluster_wide):
                where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
                self._send(
                    403,
                    _status(
                        403,
                        "Forbidden",
                        f'{plural} is forbidden: User "system:serviceaccount:ml:llmlint" cannot list resource "{plural}" in API group "{group}"{where}',
                    ),
                )
                return
            items = [
                o
                for o in cluster.objects
                if o["kind"] == kind and (ns is None or o["metadata"].get("namespace") == ns)
            ]
            for sel in query.get("fieldSelector", []):
                for term in sel.split(","):
                    if term.startswith("status.phase!="):
                        items = [
                            o for o in items if (o.get("status") or {}).get("phase") != term.split("!=", 1)[1]
                        ]
            limit = int(query.get("limit", ["0"])[0] or 0) or len(items) or 1
            limit = min(limit, cluster.page_cap)
            start = int(base64.b64decode(query["continue"][0]).decode()) if "continue" in query else 0
            page = items[start : start + limit]
            more = start + limit < len(items)
            endless = any(frag in path for frag in cluster.endless)
            same = any(frag in path for frag in cluster.same_token)
            if endless or same:
                more = True
                page = items[:limit]
            body = {
                "kind": f"{kind}List",
                "apiVersion": want_gv,
                "metadata": {
                    "resourceVersion": "12345",
                    **(
                        {
                            "continue": base64.b64encode(str(0 if same else start + limit).encode()).decode(),
                            "remainingItemCount": max(0, len(items) - start - limit),
                        }
                        if more
                        else {}
                    ),
                },
                # a list's items carry no kind/apiVersion, as the real API server sends them
                "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page],
            }
            extra = [
                raw for frag, raws in cluster.raw_items.items() if frag in path and start == 0 for raw in raws
            ]
            if extra:
                text = json.dumps(body)
                head, sep, tail = text.rpartition('"items": [')
                glue = ", " if not tail.startswith("]") else ""
                text = head + sep + ", ".join(extra) + glue + tail
                self._send(200, None, text.encode())
                return
            self._send(200, body)

        def _refuse(self) -> None:
            self._record()
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self._send(405, _status(405, "MethodNotAllowed", "read-only test server"))

        do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    return Handler


@dataclass
class Server:
    cluster: FakeCluster
    url: str
    pki: Pki
    directory: Path
    closed_port: int

    def kubeconfig(
        self,
        name: str = "kubeconfig.yaml",
        *,
        current: str = "live",
        namespace: str | None = "ml",
        token: str = TOKEN,
        ca: bytes | None = None,
    ) -> Path:
        """A kubeconfig with contexts ``live`` (this server) and ``dead`` (a closed port)."""
        ca_data = base64.b64encode(ca or self.pki.ca_pem).decode()
        ctx: dict[str, Any] = {"cluster": "live", "user": "tester"}
        dead: dict[str, Any] = {"cluster": "dead", "user": "tester"}
        if namespace:
            ctx["namespace"] = namespace
            dead["namespace"] = namespace
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "live", "cluster": {"server": self.url, "certificate-authority-data": ca_data}},
                {
                    "name": "dead",
                    "cluster": {
                        "server": f"https://127.0.0.1:{self.closed_port}",
                        "certificate-authority-data": ca_data,
                    },
                },
            ],
            "users": [{"name": "tester", "user": {"token": token}}],
            "contexts": [{"name": "live", "context": ctx}, {"name": "dead", "context": dead}],
            "current-context": current,
        }
        path = self.directory / name
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        return path


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are what some tests are about


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def api(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A running API server serving the default cluster (``default_objects``); tests may change it."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config of the machine's
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    cluster = FakeCluster(objects=default_objects())
    httpd = _QuietServer(("127.0.0.1", 0), make_handler(cluster))
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert_file, pki.key_file)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    try:
        yield Server(cluster, f"https://127.0.0.1:{port}", pki, tmp_path, closed_port())
    finally:
        httpd.shutdown()
        httpd.server_close()


# ---- the served cluster -------------------------------------------------------------------------------

_T0 = "2026-11-30T10:00:00Z"
_uid_counter = [0]


def _uid(prefix: str) -> str:
    _uid_counter[0] += 1
    return f"{prefix}-{_uid_counter[0]:04d}-0000-4000-8000-000000000000"


def _container_defaults(c: dict[str, Any]) -> None:
    c.setdefault("imagePullPolicy", "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for key in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = c.get(key)
        if isinstance(probe, dict):
            for k, v in (
                ("timeoutSeconds", 1),
                ("periodSeconds", 10),
                ("successThreshold", 1),
                ("failureThreshold", 3),
            ):
                probe.setdefault(k, v)
            if "httpGet" in probe:
                probe["httpGet"].setdefault("scheme", "HTTP")


def _pod_spec_defaults(spec: dict[str, Any]) -> None:
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        _container_defaults(c)


def served(
    obj: dict[str, Any], *, owner: dict[str, Any] | None = None, status: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``obj`` as the API server returns it: uid, resourceVersion, managedFields, defaults, status."""
    o = copy.deepcopy(obj)
    md = o.setdefault("metadata", {})
    md.setdefault("uid", _uid(o["kind"].lower()))
    md.setdefault("resourceVersion", "4711")
    md.setdefault("creationTimestamp", _T0)
    md.setdefault("generation", 1)
    md["managedFields"] = [
        {
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": o.get("apiVersion"),
            "time": _T0,
            "fieldsType": "FieldsV1",
            # what a managedFields entry looks like: keys that name fields, including probes and args
            "fieldsV1": {
                "f:spec": {
                    "f:template": {
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"vllm"}': {"f:args": {}, "f:readinessProbe": {".": {}}}
                            }
                        }
                    }
                }
            },
        }
    ]
    if owner is not None:
        md["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    kind = o["kind"]
    spec = o.get("spec")
    if not isinstance(spec, dict):
        spec = None
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job") and spec is not None:
        if kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault(
                "strategy",
                {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            )
        if kind not in ("DaemonSet", "Job"):
            spec.setdefault("replicas", 1)
        tpl_spec = (spec.get("template") or {}).get("spec")
        if isinstance(tpl_spec, dict):
            _pod_spec_defaults(tpl_spec)
        o["status"] = status or {
            "replicas": spec.get("replicas", 1),
            "readyReplicas": spec.get("replicas", 1),
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastTransitionTime": _T0,
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                }
            ],
        }
    elif kind == "Pod" and spec is not None:
        _pod_spec_defaults(spec)
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault(
            "tolerations",
            [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
        )
        o["status"] = status or {"phase": "Running"}
    elif kind == "PersistentVolumeClaim":
        o["status"] = status or {"phase": "Bound", "accessModes": (spec or {}).get("accessModes", [])}
    elif kind == "Service" and spec is not None:
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("clusterIP", "10.96.12.34")
        spec.setdefault("sessionAffinity", "None")
        o["status"] = {"loadBalancer": {}}
    elif status is not None:
        o["status"] = status
    return o


def vllm_deployment(
    name: str = "vllm-llama3-8b", namespace: str = "ml", *, utilization: str = "0.97"
) -> dict[str, Any]:
    """The article's vLLM Deployment with two headline mistakes: utilization 0.97 and no startupProbe."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": name},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "vllm",
                            "image": "vllm/vllm-openai:v0.10.1",
                            "args": [
                                "--model=meta-llama/Llama-3.1-8B-Instruct",
                                f"--gpu-memory-utilization={utilization}",
                                "--max-model-len=8192",
                            ],
                            "env": [
                                {
                                    "name": "HF_TOKEN",
                                    "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}},
                                }
                            ],
                            "ports": [{"name": "http", "containerPort": 8000}],
                            "resources": {
                                "requests": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"},
                                "limits": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"},
                            },
                            "readinessProbe": {
                                "httpGet": {"path": "/health", "port": 8000},
                                "periodSeconds": 5,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/health", "port": 8000},
                                "periodSeconds": 10,
                                "failureThreshold": 3,
                            },
                        }
                    ],
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                },
            },
        },
    }


def pods_of(deploy: dict[str, Any], statuses: list[dict[str, Any]], nodes: list[str]) -> list[dict[str, Any]]:
    """A ReplicaSet of ``deploy`` and its pods (one per status), the way controllers make them."""
    h = "6d5f7c9b8"
    tpl = copy.deepcopy(deploy["spec"]["template"])
    rs = served(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{deploy['metadata']['name']}-{h}",
                "namespace": deploy["metadata"]["namespace"],
                "labels": {**tpl["metadata"]["labels"], "pod-template-hash": h},
            },
            "spec": {"replicas": len(statuses), "selector": deploy["spec"]["selector"], "template": tpl},
        },
        owner=deploy,
        status={"replicas": len(statuses)},
    )
    out = [rs]
    for i, (st, node) in enumerate(zip(statuses, nodes, strict=True)):
        spec = copy.deepcopy(tpl["spec"])
        spec["nodeName"] = node
        out.append(
            served(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{rs['metadata']['name']}-{chr(97 + i % 26)}x{i}q7",
                        "namespace": deploy["metadata"]["namespace"],
                        "labels": {**tpl["metadata"]["labels"], "pod-template-hash": h},
                    },
                    "spec": spec,
                },
                owner=rs,
                status=st,
            )
        )
    return out


def running_status(
    started: str = "2026-11-30T10:00:00Z", ready: str = "2026-11-30T10:03:00Z", **cs: Any
) -> dict[str, Any]:
    return {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": started},
            {"type": "Ready", "status": "True", "lastTransitionTime": ready},
        ],
        "containerStatuses": [
            {
                "name": "vllm",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "image": "vllm/vllm-openai:v0.10.1",
                "state": {"running": {"startedAt": started}},
                **cs,
            }
        ],
    }


def oom_status() -> dict[str, Any]:
    return {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": "2026-11-30T10:20:00Z"}],
        "containerStatuses": [
            {
                "name": "vllm",
                "ready": False,
                "started": False,
                "restartCount": 5,
                "state": {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 5m0s restarting failed container",
                    }
                },
                "lastState": {
                    "terminated": {
                        "reason": "OOMKilled",
                        "exitCode": 137,
                        "startedAt": "2026-11-30T10:12:01Z",
                        "finishedAt": "2026-11-30T10:14:37Z",
                    }
                },
            }
        ],
    }


def node(
    name: str, product: str = "NVIDIA-L4", gpus: int = 2, *, ready: bool = True, cordoned: bool = False
) -> dict[str, Any]:
    n: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "nvidia.com/gpu.product": product,
                "nvidia.com/gpu.count": str(gpus),
            },
        },
        "spec": {"unschedulable": True} if cordoned else {},
    }
    return served(
        n,
        status={
            "capacity": {"cpu": "48", "memory": "192Gi", "nvidia.com/gpu": str(gpus)},
            "allocatable": {"cpu": "47", "memory": "188Gi", "nvidia.com/gpu": str(gpus)},
            "conditions": [
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": _T0}
            ],
        },
    )


def default_objects() -> list[dict[str, Any]]:
    """ml: a vLLM Deployment (2 pods, one OOMKilled), a Secret, a ConfigMap, a Service; other: another vLLM."""
    objs: list[dict[str, Any]] = []
    dep = served(vllm_deployment())
    objs.append(dep)
    objs += pods_of(dep, [running_status(), oom_status()], ["gpu-node-1", "gpu-node-2"])
    objs.append(
        served(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "hf-token", "namespace": "ml"},
                "type": "Opaque",
                "stringData": {"token": SECRET_VALUE},
                "data": {"token": base64.b64encode(SECRET_VALUE.encode()).decode()},
            }
        )
    )
    objs.append(
        served(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "vllm-config", "namespace": "ml"},
                "data": {"MAX_MODEL_LEN": "8192"},
            }
        )
    )
    objs.append(
        served(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "vllm", "namespace": "ml"},
                "spec": {
                    "selector": {"app": "vllm-llama3-8b"},
                    "ports": [{"port": 8000, "targetPort": 8000}],
                },
            }
        )
    )
    objs.append(
        served(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": "vllm.1", "namespace": "ml"},
                "involvedObject": {"kind": "Pod", "namespace": "ml", "name": objs[3]["metadata"]["name"]},
                "reason": "BackOff",
                "type": "Warning",
                "message": "Back-off restarting failed container vllm",
                "count": 9,
                "lastTimestamp": "2026-11-30T10:20:00Z",
            }
        )
    )
    other = served(vllm_deployment("vllm-other", "other", utilization="0.99"))
    objs.append(other)
    objs += [node("gpu-node-1"), node("gpu-node-2")]
    return objs
