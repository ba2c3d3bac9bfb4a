"""Which Kubernetes kinds llmlint reads, declared once (as kube-linter's ``scope.objectKinds``).

The prefilter (what to parse), the graph (what makes pods, where their templates are) and the loader's
type checks (which pod specs to validate) all read these tables: supporting the next operator CRD that
makes pods is one entry here (and, if its shape is new, one builder in :mod:`llmlint.graph.index`).

Pure data, no imports beyond the standard library: it sits on the one-file scan path.
"""

from __future__ import annotations

Path = tuple[str, ...]

# Built-in controllers: kind → (path of the pod template (metadata + spec), path of the replica count).
TEMPLATE_WORKLOADS: dict[str, tuple[Path, Path | None]] = {
    "Deployment": (("spec", "template"), ("spec", "replicas")),
    "StatefulSet": (("spec", "template"), ("spec", "replicas")),
    "ReplicaSet": (("spec", "template"), ("spec", "replicas")),
    "DaemonSet": (("spec", "template"), None),
    "Job": (("spec", "template"), ("spec", "parallelism")),
    "CronJob": (("spec", "jobTemplate", "spec", "template"), ("spec", "jobTemplate", "spec", "parallelism")),
    # Argo Rollouts: a Deployment with canary/blue-green steps (``spec.workloadRef`` rollouts have no template)
    "Rollout": (("spec", "template"), ("spec", "replicas")),
}

# Operator workloads (custom resources that make pods), each with its own builder in the graph.
LWS = "LeaderWorkerSet"
ISVC = "InferenceService"
SERVING_RUNTIMES = frozenset({"ServingRuntime", "ClusterServingRuntime"})  # KServe: containers + pod fields
OPERATOR_WORKLOADS = frozenset({LWS, ISVC, *SERVING_RUNTIMES})

# Workloads whose pods run until replaced (disruption budgets and spreading concern them; not Jobs).
LONG_RUNNING_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "Rollout", LWS, ISVC})

# Every kind the graph turns into a workload (rules read its containers).
WORKLOAD_KINDS = frozenset({*TEMPLATE_WORKLOADS, "Pod", *OPERATOR_WORKLOADS})

# Where each kind keeps its pod specs (``containers``, ``initContainers``, ``volumes``): the loader checks
# their field types, as the API server would.
POD_SPECS: dict[str, tuple[Path, ...]] = {
    **{kind: ((*tpl, "spec"),) for kind, (tpl, _) in TEMPLATE_WORKLOADS.items()},
    "Pod": (("spec",),),
    LWS: (
        ("spec", "leaderWorkerTemplate", "leaderTemplate", "spec"),
        ("spec", "leaderWorkerTemplate", "workerTemplate", "spec"),
    ),
    "ServingRuntime": (("spec",),),
    "ClusterServingRuntime": (("spec",),),
}

# Objects that matter only beside an inference workload of their namespace (claims, budgets, autoscalers,
# policies): read once such a workload is found.
BESIDE_KINDS = frozenset(
    {
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ScaledObject",  # KEDA
        "PodAutoscaler",  # AIBrix (autoscaling.aibrix.ai), Knative (KServe serverless)
        "NetworkPolicy",
    }
)

# Kinds the prefilter always parses: lists (any kind inside) and the operator workloads (few, and their
# text need not name a framework: a ServingRuntime may be referenced by an InferenceService elsewhere).
ALWAYS_PARSE = frozenset({"List", *OPERATOR_WORKLOADS})

# Built-in workloads: parsed when their text names something a rule recognises.
SCREENED_WORKLOADS = frozenset({*TEMPLATE_WORKLOADS, "Pod"})

# Kinds read from the unnamed files of a repository as context (a pre-commit run names a few files): facts
# that change what is true of a named workload.
CONTEXT_KINDS = frozenset({*BESIDE_KINDS, "ConfigMap", *SERVING_RUNTIMES})
