"""Reading a live cluster with the ``kubernetes`` client: connection, and paged, read-only listing.

Only ``GET`` requests are made, Secrets are never asked for, and every answer is parsed here (``json.loads``
on the raw body) so that a malformed one becomes a warning instead of a traceback. This module is imported
by ``llmlint audit`` only: ``scan`` never pays for the ``kubernetes`` import.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

PAGE_SIZE = 500
INCLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
INCLUSTER_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
# After this many resources in a row fail at the transport level (timeouts, closed connections), the
# remaining ones are skipped: a dying server must not cost one timeout per resource.
MAX_TRANSPORT_FAILURES = 2
# Pages of one list (``continue`` tokens): 1,000 pages of 500 are half a million objects of one kind, more
# than any cluster holds; a server that never stops paging gets a clear error instead of a hang.
MAX_PAGES = 1000
# An object nesting deeper than this is no Kubernetes object (a few dozen levels at most): it is an error
# entry, and its data never reaches code that recurses.
MAX_OBJECT_DEPTH = 100
_TOO_DEEP = "\x00llmlint: nested too deeply\x00"
_TRUNCATED = "\x00llmlint-truncated"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_USERINFO = re.compile(r"(?<=//)[^/@\s]*@")


class ClusterError(Exception):
    """The cluster cannot be audited at all (bad kubeconfig, unreachable server, bad credentials)."""


@dataclass(frozen=True)
class Resource:
    """A resource kind the audit lists."""

    kind: str
    group: str  # "" for the core API
    version: str
    plural: str
    namespaced: bool = True
    custom: bool = False  # a custom resource: listed only when discovery shows its group and version

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"

    def label(self, namespace: str | None) -> str:
        name = self.plural if not self.group else f"{self.plural}.{self.group}"
        if self.namespaced and namespace is not None:
            return f"{name} in namespace {namespace}"
        return name


RESOURCES: tuple[Resource, ...] = (
    Resource("Deployment", "apps", "v1", "deployments"),
    Resource("StatefulSet", "apps", "v1", "statefulsets"),
    Resource("DaemonSet", "apps", "v1", "daemonsets"),
    Resource("ReplicaSet", "apps", "v1", "replicasets"),
    Resource("Job", "batch", "v1", "jobs"),
    Resource("CronJob", "batch", "v1", "cronjobs"),
    Resource("Pod", "", "v1", "pods"),
    Resource("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims"),
    Resource("ConfigMap", "", "v1", "configmaps"),
    Resource("Service", "", "v1", "services"),
    Resource("Event", "", "v1", "events"),
    Resource("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets"),
    Resource("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers"),
    Resource("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies"),
    Resource("Node", "", "v1", "nodes", namespaced=False),
    Resource("LeaderWorkerSet", "leaderworkerset.x-k8s.io", "v1", "leaderworkersets", custom=True),
    Resource("InferenceService", "serving.kserve.io", "v1beta1", "inferenceservices", custom=True),
)


@dataclass
class Connection:
    """An API client for one kubeconfig context."""

    client: Any  # kubernetes.client.ApiClient
    host: str
    namespace: str  # the context's namespace (or the pod's, in a cluster)
    context: str | None  # None in a cluster


@dataclass
class Snapshot:
    """The objects listed from a cluster, and warnings about what could not be."""

    objects: list[dict[str, Any]] = field(default_factory=list)  # every listed object, kind/apiVersion set
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    # pods of other namespaces on the nodes (namespace-scoped audits): only to count used GPUs
    other_pods: list[dict[str, Any]] | None = None
    forbidden: set[str] = field(default_factory=set)  # plurals the server refused (403)
    listed: set[str] = field(default_factory=set)  # plurals listed in full
    errors: list[str] = field(default_factory=list)  # objects that could not be audited (too deep, not UTF-8)


class _Transport(Exception):
    """A request got no usable HTTP answer (refused, timed out, closed, TLS)."""


class _Status(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status
        self.reason = reason


class _Malformed(Exception):
    pass


# ---- connection ---------------------------------------------------------------------------------------


def _kubeconfig_path(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        return env
    default = os.path.expanduser("~/.kube/config")
    return default if os.path.exists(default) else None


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and os.path.exists(INCLUSTER_TOKEN_FILE)


def connect(kubeconfig: str | None, context: str | None, timeout: float) -> Connection:
    """Load credentials (kubeconfig, else in-cluster) and check the server answers; ClusterError if not."""
    from kubernetes import client as kclient
    from kubernetes import config as kconfig
    from kubernetes.config.config_exception import ConfigException

    cfg = kclient.Configuration()
    path = _kubeconfig_path(kubeconfig)
    namespace = "default"
    ctx_name: str | None = context
    try:
        if path is None:
            if not _in_cluster():
                raise ClusterError(
                    "no kubeconfig: pass --kubeconfig, set $KUBECONFIG, or create ~/.kube/config "
                    "(or run llmlint in a pod with a service account)"
                )
            if context:
                raise ClusterError(
                    "--context needs a kubeconfig; running in a cluster uses its service account"
                )
            kconfig.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            try:
                with open(INCLUSTER_NAMESPACE_FILE, encoding="utf-8") as fh:
                    namespace = fh.read().strip() or "default"
            except OSError:
                pass
        else:
            files = [p for p in path.split(os.pathsep) if p]
            if not any(os.path.exists(os.path.expanduser(p)) for p in files):
                origin = "" if kubeconfig else " ($KUBECONFIG)"
                raise ClusterError(f"kubeconfig {path}{origin}: no such file")
            contexts, active = kconfig.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
            chosen = active
            if context:
                chosen = next((c for c in contexts or [] if c.get("name") == context), None)
                if chosen is None:
                    names = ", ".join(sorted(str(c.get("name")) for c in contexts or [])) or "none"
                    raise ClusterError(f"context {context!r} not found in {path} (contexts: {names})")
            if isinstance(chosen, dict):
                ctx_name = str(chosen.get("name"))
                ns = (chosen.get("context") or {}).get("namespace")
                if isinstance(ns, str) and ns:
                    namespace = ns
            _with_deadline(
                lambda: kconfig.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=path, context=context, client_configuration=cfg, persist_config=False
                ),
                timeout,
            )
    except ClusterError:
        raise
    except ConfigException as exc:
        raise ClusterError(f"bad kubeconfig {path or '(in-cluster)'}: {_one_line(exc)}") from None
    except FileNotFoundError as exc:
        raise ClusterError(f"kubeconfig {exc.filename or path}: no such file") from None
    except Exception as exc:  # YAML errors, bad base64, unreadable files: one line, never a traceback
        raise ClusterError(
            f"bad kubeconfig {path or '(in-cluster)'}: {type(exc).__name__}: {_one_line(exc)}"
        ) from None
    cfg.retries = False  # our own, bounded retry policy (see _get)
    api = kclient.ApiClient(configuration=cfg)
    conn = Connection(api, scrub(str(cfg.host)), namespace, ctx_name)
    where = f"{conn.host}" + (f" (context {ctx_name})" if ctx_name else "")
    try:
        # /api is a trivial answer: a server that cannot give it in 10 s is not usable
        status, _ = _get(conn, "/api", [], min(timeout, 10.0))
    except _Transport as exc:
        raise ClusterError(f"cannot reach the API server at {where}: {exc}") from None
    except _Malformed as exc:
        raise ClusterError(
            f"the API server at {where} did not answer as a Kubernetes API server: {exc}"
        ) from None
    if status == 401:
        raise ClusterError(f"the API server at {where} rejected the credentials (HTTP 401 Unauthorized)")
    if status >= 400 and status != 403:
        raise ClusterError(f"the API server at {where} answered HTTP {status} to GET /api")
    return conn


def _with_deadline(work: Callable[[], Any], timeout: float) -> Any:
    """Run ``work`` (loading the kubeconfig, which runs its ``exec`` credential plugin) within ``timeout``.

    The client waits for a plugin without a limit; past the deadline the plugin processes this process
    started are killed and the audit stops with a clear error."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    before = _children()
    worker = threading.Thread(target=run, name="llmlint-kubeconfig", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        for pid in _children() - before:
            _kill_tree(pid)
        raise ClusterError(
            f"the kubeconfig's credential plugin (exec) gave no answer within {_secs(timeout)} (--timeout)"
        )
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _children(pid: str = "self") -> set[int]:
    """Process IDs of the children of ``pid`` (Linux ``/proc``; elsewhere none are known)."""
    out: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.update(int(p) for p in fh.read().split())
        except (OSError, ValueError):
            continue
    return out


def _kill_tree(pid: int) -> None:
    """Kill a process this one started, and the processes it started (a plugin script's ``sleep``)."""
    for child in _children(str(pid)):
        _kill_tree(child)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _one_line(exc: BaseException) -> str:
    text = scrub(" ".join(str(exc).split()))
    return text[:300] or type(exc).__name__


def scrub(text: str) -> str:
    """``text`` without the user and password of URLs in it (``https://admin:pw@host`` → ``https://host``)."""
    return _USERINFO.sub("", text) if "@" in text else text


def _transport_message(exc: BaseException, timeout: float) -> str:
    import urllib3.exceptions as ue

    # NewConnectionError is a ConnectTimeoutError in urllib3 2: test it first
    if isinstance(exc, ue.NameResolutionError):
        return "cannot resolve the server's host name"
    if isinstance(exc, ue.NewConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        if "timed out" not in text.lower():
            return "cannot connect: " + _one_line(exc).split(": ", 1)[-1]
    if isinstance(exc, ue.ConnectTimeoutError):
        return f"connection timed out after {_secs(min(timeout, 10))}"
    if isinstance(exc, ue.ReadTimeoutError | TimeoutError):
        return f"no answer within {_secs(timeout)} (--timeout)"
    if isinstance(exc, ue.SSLError) or "SSL" in type(exc).__name__ or "CERTIFICATE" in str(exc).upper():
        text = _one_line(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return "TLS certificate verification failed (check certificate-authority in the kubeconfig)"
        return "TLS error: " + text
    if isinstance(exc, ue.ProtocolError | ConnectionError):
        return "the server closed the connection"
    return _one_line(exc)


def _secs(t: float) -> str:
    return f"{t:g} s"


def _fetch(conn: Connection, path: str, query: list[tuple[str, str]], timeout: float) -> tuple[int, bytes]:
    """One GET (status, raw body); _Transport on any failure to get a whole answer."""
    import urllib3.exceptions as ue
    from kubernetes.client.exceptions import ApiException

    api = conn.client
    try:
        method, url, headers, _, _ = api.param_serialize(
            "GET",
            path,
            query_params=query or None,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        resp = api.call_api(
            method, url, header_params=headers, _request_timeout=(min(timeout, 10.0), timeout)
        )
        raw = resp.read()
        return int(resp.status), raw if isinstance(raw, bytes) else bytes(raw or b"")
    except ApiException as exc:
        # the client wraps TLS failures (status 0)
        raise _Transport(_transport_message(Exception(str(exc.reason or exc)), timeout)) from None
    except (ue.HTTPError, OSError, ValueError) as exc:
        cause: BaseException = exc
        if isinstance(exc, ue.MaxRetryError) and exc.reason is not None:
            cause = exc.reason
        raise _Transport(_transport_message(cause, timeout)) from None


def _get(conn: Connection, path: str, query: list[tuple[str, str]], timeout: float) -> tuple[int, Any]:
    """One GET; (status, parsed JSON body). _Transport / _Malformed on failures; never another exception.

    urllib3's timeouts bound each socket operation, not the request: a server that trickles its answer a
    byte at a time would never time out. The request runs in a worker thread with a deadline instead.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["answer"] = _fetch(conn, path, query, timeout)
        except _Transport as exc:
            box["error"] = exc
        except Exception as exc:  # reported, never raised in a thread
            box["error"] = _Transport(_one_line(exc))

    worker = threading.Thread(target=work, name="llmlint-get", daemon=True)
    worker.start()
    worker.join(min(timeout, 10.0) + timeout)
    if worker.is_alive():
        raise _Transport(f"no complete answer within {_secs(timeout)} (--timeout)")
    if "error" in box:
        raise box["error"]
    status, raw = box["answer"]
    if status >= 400:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        return status, body
    try:
        body = _loads_bounded(raw)
    except RecursionError:
        body = _loads_shallow(raw)
    except ValueError as exc:
        raise _Malformed(f"malformed JSON ({_one_line(exc)})") from None
    if isinstance(body, dict) and _SURROGATE_ESCAPE.search(raw) is not None:
        body[_TRUNCATED] = "text"
    return status, body


def _loads_bounded(raw: bytes) -> Any:
    """``json.loads``, with RecursionError for a body nesting deeper than an object may (a check at C
    speed: the decoder counts its depth against the interpreter's recursion limit). Python 3.12 counts
    C recursion apart; there every page is walked instead (:func:`_object_problem`)."""
    if sys.version_info >= (3, 12):
        body = json.loads(raw)
        if isinstance(body, dict):
            body[_TRUNCATED] = True
        return body
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + MAX_OBJECT_DEPTH + 20)
    try:
        return json.loads(raw)
    finally:
        sys.setrecursionlimit(old)


def _stack_depth() -> int:
    n = 0
    f: Any = sys._getframe()
    while f is not None:
        n += 1
        f = f.f_back
    return n


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _loads_shallow(raw: bytes) -> Any:
    """``raw`` parsed with every value nested deeper than :data:`MAX_OBJECT_DEPTH` + 2 (list → items →
    object) replaced by a marker: one hostile object costs itself, not its page."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Malformed(f"malformed JSON ({_one_line(exc)})") from None
    limit = MAX_OBJECT_DEPTH + 2
    parts: list[str] = []
    depth = 0
    pos = 0
    cut: int | None = None  # where the container that went too deep starts
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group(0)
        if tok[0] == '"':
            continue
        if tok in "[{":
            depth += 1
            if depth == limit + 1 and cut is None:
                cut = m.start()
        else:
            depth -= 1
            if depth == limit and cut is not None:
                parts.append(text[pos:cut])
                parts.append(json.dumps(_TOO_DEEP))
                pos, cut = m.end(), None
    parts.append(text[pos:])
    try:
        body = json.loads("".join(parts))
    except (ValueError, RecursionError) as exc:
        raise _Malformed(f"malformed JSON ({type(exc).__name__})") from None
    if isinstance(body, dict):
        body[_TRUNCATED] = True
    return body


def _object_problem(item: dict[str, Any], check_text: bool) -> str | None:
    """Why ``item`` cannot be audited: nesting deeper than any object, or text that is not Unicode."""
    stack: list[tuple[Any, int]] = [(item, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, dict):
            if d > MAX_OBJECT_DEPTH:
                return f"nests more than {MAX_OBJECT_DEPTH} levels deep"
            for k, v in node.items():
                if check_text and isinstance(k, str) and not _is_unicode(k):
                    return "holds text that is not valid Unicode (a lone surrogate)"
                stack.append((v, d + 1))
        elif isinstance(node, list):
            if d > MAX_OBJECT_DEPTH:
                return f"nests more than {MAX_OBJECT_DEPTH} levels deep"
            stack.extend((v, d + 1) for v in node)
        elif isinstance(node, str):
            if node == _TOO_DEEP:
                return f"nests more than {MAX_OBJECT_DEPTH} levels deep"
            if check_text and not _is_unicode(node):
                return "holds text that is not valid Unicode (a lone surrogate)"
    return None


def _is_unicode(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe_item(item: dict[str, Any], res: Resource) -> str:
    from llmlint.report.redact import printable

    md = item.get("metadata")
    md = md if isinstance(md, dict) else {}
    ns, name = md.get("namespace"), md.get("name")
    where = f"{ns}/" if isinstance(ns, str) and ns else ""
    return printable(f"{res.kind} {where}{name if isinstance(name, str) else '?'}")


# ---- listing ------------------------------------------------------------------------------------------


ProgressFn = Callable[[str, int], None]


def _pages(
    conn: Connection,
    res: Resource,
    namespace: str | None,
    timeout: float,
    snap: Snapshot,
    extra_query: list[tuple[str, str]],
) -> Iterator[list[dict[str, Any]]]:
    token: str | None = None
    restarted = False
    pages = 0
    seen_tokens: set[str] = set()
    while True:
        pages += 1
        if pages > MAX_PAGES:
            raise ClusterError(
                f"listing {res.label(namespace)}: the server sent more than {MAX_PAGES:,} pages, each with a "
                "continue token (a list without end); the audit stops"
            )
        query = [("limit", str(PAGE_SIZE)), *extra_query]
        if token:
            query.append(("continue", token))
        attempt = 0
        while True:
            try:
                snap.requests += 1
                status, body = _get(conn, res.path(namespace), query, timeout)
                break
            except _Transport as exc:
                # one retry for a dropped connection; a timeout is not retried (it would double the wait)
                if attempt == 0 and "closed" in str(exc):
                    attempt += 1
                    continue
                raise
        if status == 410 and token and not restarted:
            # the continue token expired (the list changed too much): start over, once
            restarted, token = True, None
            continue
        if status >= 400:
            reason = body.get("message") if isinstance(body, dict) else None
            raise _Status(status, str(reason or ""))
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise _Malformed("the answer is not a Kubernetes list")
        items = [i for i in body.get("items") or [] if isinstance(i, dict)]
        flagged = body.pop(_TRUNCATED, None)
        kept = []
        for item in items:
            problem = _object_problem(item, check_text=flagged == "text") if flagged else None
            if problem is not None:
                snap.errors.append(f"{_describe_item(item, res)}: {problem}; not audited")
                continue
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", res.kind)
            kept.append(item)
        yield kept
        meta = body.get("metadata")
        token = meta.get("continue") if isinstance(meta, dict) else None
        if not token:
            return
        if not isinstance(token, str) or token in seen_tokens:
            raise ClusterError(
                f"listing {res.label(namespace)}: the server sent the same continue token twice (a list "
                "without end); the audit stops"
            )
        seen_tokens.add(token)


def _served_custom(conn: Connection, timeout: float, snap: Snapshot) -> set[str]:
    """``group/version`` of the custom resources the server offers (from ``/apis``)."""
    snap.requests += 1
    try:
        status, body = _get(conn, "/apis", [], timeout)
    except (_Transport, _Malformed) as exc:
        snap.warnings.append(f"API discovery (GET /apis) failed: {exc}; custom resources skipped")
        return set()
    if status >= 400 or not isinstance(body, dict):
        return set()
    out: set[str] = set()
    for g in body.get("groups") or []:
        if not isinstance(g, dict):
            continue
        for v in g.get("versions") or []:
            if isinstance(v, dict) and isinstance(v.get("groupVersion"), str):
                out.add(v["groupVersion"])
    return out


def snapshot(
    conn: Connection, namespace: str | None, *, timeout: float, progress: ProgressFn | None = None
) -> Snapshot:
    """List every resource llmlint reads (``namespace`` None: all namespaces). Failures become warnings."""
    snap = Snapshot()
    served = _served_custom(conn, timeout, snap)
    failures = 0
    pending = [r for r in RESOURCES if not r.custom or r.api_version in served]
    for i, res in enumerate(pending):
        if failures >= MAX_TRANSPORT_FAILURES:
            rest = ", ".join(r.plural for r in pending[i:])
            snap.warnings.append(
                f"skipped {rest} after {failures} failed requests in a row; the audit is partial"
            )
            break
        failures = _list_one(conn, res, namespace, timeout, snap, progress, failures)
    # GPU accounting needs every pod on the GPU nodes, not only the audited namespace's
    if (
        namespace is not None
        and failures < MAX_TRANSPORT_FAILURES
        and "pods" not in snap.forbidden
        and _has_gpu_nodes(snap.objects)
    ):
        pods = Resource("Pod", "", "v1", "pods")
        extra: list[dict[str, Any]] = []
        try:
            for page in _pages(
                conn,
                pods,
                None,
                timeout,
                snap,
                [("fieldSelector", "status.phase!=Succeeded,status.phase!=Failed")],
            ):
                extra.extend(page)
        except (_Transport, _Malformed, _Status) as exc:
            why = "forbidden" if isinstance(exc, _Status) and exc.status == 403 else str(exc)
            snap.warnings.append(
                f"cannot list pods in all namespaces ({why}): free GPUs are counted from namespace "
                f"{namespace}'s pods only"
            )
        else:
            snap.other_pods = [
                p
                for p in extra
                if isinstance(p.get("metadata"), dict) and p["metadata"].get("namespace") != namespace
            ]
    return snap


def _has_gpu_nodes(objects: list[dict[str, Any]]) -> bool:
    for o in objects:
        if o.get("kind") == "Node":
            alloc = (o.get("status") or {}).get("allocatable") or {}
            if isinstance(alloc, dict) and any(k.endswith("/gpu") for k in alloc):
                return True
    return False


def _list_one(
    conn: Connection,
    res: Resource,
    namespace: str | None,
    timeout: float,
    snap: Snapshot,
    progress: ProgressFn | None,
    failures: int,
) -> int:
    got: list[dict[str, Any]] = []
    label = res.label(namespace)
    started = time.monotonic()
    try:
        for page in _pages(conn, res, namespace, timeout, snap, []):
            got.extend(page)
            if progress is not None:
                progress(res.plural, len(got))
    except _Status as exc:
        if exc.status == 403:
            snap.warnings.append(f"forbidden to list {label} (RBAC, HTTP 403); skipped")
            snap.forbidden.add(res.plural)
        elif exc.status == 404:
            if not res.custom:
                snap.warnings.append(f"the server does not serve {label} ({res.api_version}); skipped")
        else:
            snap.warnings.append(f"listing {label} failed ({exc}); " + _partial(got))
        snap.objects.extend(got)
        return failures
    except _Malformed as exc:
        snap.warnings.append(f"listing {label}: {exc}; " + _partial(got))
        snap.objects.extend(got)
        return failures
    except _Transport as exc:
        took = time.monotonic() - started
        snap.warnings.append(f"listing {label} failed after {took:.1f} s: {exc}; " + _partial(got))
        snap.objects.extend(got)
        return failures + 1
    snap.objects.extend(got)
    snap.listed.add(res.plural)
    return 0


def _partial(got: list[dict[str, Any]]) -> str:
    return f"kept the {len(got)} objects read before the failure" if got else "skipped"
