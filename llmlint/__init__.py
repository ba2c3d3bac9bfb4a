"""llmlint: lint Kubernetes manifests for LLM inference servers."""

__version__ = "0.1.0"
