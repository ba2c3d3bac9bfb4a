"""What each serving framework looks like: images, commands, ports, health paths, flag names.

Facts, with their sources in the rules' references:
- vLLM: OpenAI server on port 8000; ``/health`` (200 once the engine runs), ``/ping``, ``/v1/models``,
  ``/version``, ``/metrics`` (vllm/entrypoints/openai/api_server.py).
- SGLang: port 30000; ``/health``, ``/health_generate``, ``/get_model_info`` (sglang/srt/entrypoints/http_server.py).
- TGI: launcher default port 3000, the official image sets ``PORT=80``; ``/health``, ``/info``, ``/metrics``;
  every flag is also read from an environment variable of the same name in upper snake case (clap ``env``).
- Triton: HTTP 8000, gRPC 8001, metrics 8002; ``/v2/health/ready``, ``/v2/health/live``.
- NIM for LLMs: port 8000 (``NIM_SERVER_PORT``); ``/v1/health/ready``, ``/v1/health/live``.
- llama.cpp server: port 8080; ``/health``.
- Ollama: port 11434 (``OLLAMA_HOST``); ``/`` answers "Ollama is running", ``/api/version``, ``/api/tags``.
- KServe Hugging Face runtime: port 8080; ``/v2/health/ready``, ``/v2/health/live``, ``/v1/models``; engine
  arguments use underscores (``--model_id``, ``--tensor_parallel_size``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from llmlint.lazyre import LazyRe


class Framework(NamedTuple):
    key: str
    title: str
    images: LazyRe  # matched against the image reference with registry and tag stripped
    commands: tuple[LazyRe, ...]  # matched against the argv (joined with spaces)
    default_port: int | None
    ready_paths: tuple[str, ...]
    live_paths: tuple[str, ...]
    # semantic name → the flags that set it (first one is the canonical spelling)
    flags: dict[str, tuple[str, ...]]
    positional_model: bool = False  # ``vllm serve MODEL``
    env_flags: bool = False  # every flag can also come from an env var (TGI)
    port_env: str | None = None
    shell_entrypoint: bool = False  # the image's entrypoint is the server: args are its flags
    uses_vllm_engine: bool = False  # takes vLLM engine arguments (gpu-memory-utilization, max-model-len…)
    extra_ports: tuple[int, ...] = ()
    other_paths: tuple[str, ...] = ()
    env_settings: bool = False  # ``flags`` holds environment variable names (NIM reads its settings from env)

    def flag_names(self, semantic: str) -> tuple[str, ...]:
        return self.flags.get(semantic, ())


def _rx(s: str) -> LazyRe:
    return LazyRe(s, re.IGNORECASE)


VLLM = Framework(
    key="vllm",
    title="vLLM",
    images=_rx(r"(^|/)(vllm-openai|vllm-tpu|vllm-cpu|vllm-rocm)$|(^|/)vllm/|(^|/)rocm/vllm|(^|/)vllm$"),
    commands=(
        _rx(r"(^|\s|/)vllm\s+serve(\s|$)"),
        _rx(r"vllm\.entrypoints\.(openai\.api_server|api_server|grpc_server)(\s|$)"),
        _rx(r"(^|\s)python[\d.]*\s+(\S*/)?vllm/inference_api\.py(\s|$)"),  # KAITO's vLLM preset
    ),
    default_port=8000,
    ready_paths=("/health", "/ping", "/v1/models", "/health/ready"),
    live_paths=("/health", "/ping", "/version"),
    flags={
        "model": ("--model",),
        "port": ("--port",),
        "host": ("--host",),
        "tp": ("--tensor-parallel-size", "-tp"),
        "pp": ("--pipeline-parallel-size", "-pp"),
        "dp": ("--data-parallel-size", "-dp"),
        "mem": ("--gpu-memory-utilization",),
        "max_len": ("--max-model-len",),
        "quant": ("--quantization", "-q"),
        "dtype": ("--dtype",),
        "download_dir": ("--download-dir",),
        "served_name": ("--served-model-name",),
    },
    positional_model=True,
    shell_entrypoint=True,
    uses_vllm_engine=True,
    other_paths=("/metrics", "/version", "/v1/models", "/tokenize", "/load"),
)

SGLANG = Framework(
    key="sglang",
    title="SGLang",
    images=_rx(r"(^|/)lmsysorg/sglang$|(^|/)sglang$"),
    commands=(_rx(r"sglang\.launch_server"), _rx(r"(^|\s|/)sglang\s+serve(\s|$)")),
    default_port=30000,
    ready_paths=("/health", "/health_generate", "/get_model_info", "/v1/models"),
    live_paths=("/health", "/health_generate"),
    flags={
        "model": ("--model-path", "--model"),
        "port": ("--port",),
        "host": ("--host",),
        "tp": ("--tensor-parallel-size", "--tp-size", "--tp"),
        "pp": ("--pipeline-parallel-size", "--pp-size"),
        "dp": ("--data-parallel-size", "--dp-size", "--dp"),
        "mem": ("--mem-fraction-static",),
        "max_len": ("--context-length",),
        "quant": ("--quantization",),
        "dtype": ("--dtype",),
        "download_dir": ("--download-dir",),
    },
    other_paths=("/metrics", "/get_server_info", "/flush_cache"),
)

TGI = Framework(
    key="tgi",
    title="Text Generation Inference",
    images=_rx(r"(^|/)text-generation-inference$|(^|/)tgi-gaudi$|(^|/)huggingface-text-generation-inference"),
    commands=(_rx(r"(^|\s|/)text-generation-launcher(\s|$)"),),
    default_port=80,
    ready_paths=("/health", "/info"),
    live_paths=("/health", "/info"),
    flags={
        "model": ("--model-id",),
        "port": ("--port", "-p"),
        "host": ("--hostname",),
        "tp": ("--num-shard",),
        "max_len": ("--max-total-tokens",),
        "quant": ("--quantize",),
        "dtype": ("--dtype",),
        "download_dir": ("--huggingface-hub-cache",),
    },
    env_flags=True,
    port_env="PORT",
    shell_entrypoint=True,
    other_paths=("/metrics", "/v1/models"),
)

TRITON = Framework(
    key="triton",
    title="Triton Inference Server",
    images=_rx(r"(^|/)tritonserver$|(^|/)triton(-inference-server)?$"),
    commands=(_rx(r"(^|\s|/)tritonserver(\s|$)"),),
    default_port=8000,
    ready_paths=("/v2/health/ready",),
    live_paths=("/v2/health/live", "/v2/health/ready"),
    flags={
        "port": ("--http-port",),
        "model": ("--model-repository", "--model-store"),
    },
    extra_ports=(8001, 8002),
    other_paths=("/metrics", "/v2", "/v2/models"),
)

NIM = Framework(
    key="nim",
    title="NVIDIA NIM",
    images=_rx(r"^nvcr\.io/nim/|(^|/)nim/[^/]+/[^/]+$"),
    commands=(),
    default_port=8000,
    ready_paths=("/v1/health/ready",),
    live_paths=("/v1/health/live", "/v1/health/ready"),
    # NIM for LLMs reads its settings from the environment (docs.nvidia.com/nim, "Configuring a NIM").
    flags={
        "model": ("NIM_MODEL_NAME",),
        "served_name": ("NIM_SERVED_MODEL_NAME",),
        "tp": ("NIM_TENSOR_PARALLEL_SIZE",),
        "pp": ("NIM_PIPELINE_PARALLEL_SIZE",),
        "max_len": ("NIM_MAX_MODEL_LEN",),
        "download_dir": ("NIM_CACHE_PATH",),
        "port": ("NIM_SERVER_PORT",),
    },
    env_settings=True,
    port_env="NIM_SERVER_PORT",
    other_paths=("/v1/metrics", "/v1/models", "/metrics"),
)

LLAMACPP = Framework(
    key="llamacpp",
    title="llama.cpp server",
    images=_rx(r"(^|/)llama\.cpp$|(^|/)llama-cpp(-server)?$|(^|/)llamacpp$"),
    commands=(_rx(r"(^|\s|/)llama-server(\s|$)"), _rx(r"(^|/)server\s+(-m|--model)\s")),
    default_port=8080,
    ready_paths=("/health", "/v1/health"),
    live_paths=("/health", "/v1/health"),
    flags={
        "model": ("--model", "-m"),
        "port": ("--port",),
        "host": ("--host",),
        "max_len": ("--ctx-size", "-c"),
    },
    shell_entrypoint=True,
    other_paths=("/metrics", "/props", "/v1/models"),
)

OLLAMA = Framework(
    key="ollama",
    title="Ollama",
    images=_rx(r"(^|/)ollama/ollama$|(^|/)ollama$"),
    commands=(_rx(r"(^|\s|/)ollama\s+serve(\s|$)"),),
    default_port=11434,
    ready_paths=("/", "/api/version", "/api/tags"),
    live_paths=("/", "/api/version", "/api/tags"),
    flags={},
    port_env="OLLAMA_HOST",
    other_paths=("/api/ps",),
)

KSERVE_HF = Framework(
    key="kserve-huggingface",
    title="KServe Hugging Face runtime",
    images=_rx(r"(^|/)kserve/huggingfaceserver$|(^|/)huggingfaceserver$"),
    commands=(_rx(r"(^|\s|/|\.)huggingfaceserver(\s|$)"),),
    default_port=8080,
    ready_paths=("/v2/health/ready", "/v1/models"),
    live_paths=("/v2/health/live", "/v2/health/ready"),
    flags={
        "model": ("--model_id", "--model-id"),
        "port": ("--http_port", "--http-port"),
        "tp": ("--tensor_parallel_size", "--tensor-parallel-size"),
        "pp": ("--pipeline_parallel_size", "--pipeline-parallel-size"),
        "mem": ("--gpu_memory_utilization", "--gpu-memory-utilization"),
        "max_len": ("--max_model_len", "--max-model-len"),
        "quant": ("--quantization",),
        "dtype": ("--dtype",),
    },
    shell_entrypoint=True,
    uses_vllm_engine=True,
)

FRAMEWORKS: tuple[Framework, ...] = (VLLM, SGLANG, TGI, TRITON, NIM, LLAMACPP, OLLAMA, KSERVE_HF)
BY_KEY = {f.key: f for f in FRAMEWORKS}


def image_repository(image: str) -> tuple[str, str | None]:
    """``registry/org/name:tag@sha256:…`` → (``registry/org/name``, tag or None)."""
    ref = image.strip()
    if "@" in ref:
        ref = ref.split("@", 1)[0]
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    return ref, tag


def strip_registry(repo: str) -> str:
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        return "/".join(parts[1:])
    return repo


def by_image(image: str) -> Framework | None:
    repo, _ = image_repository(image)
    full = repo.lower()
    path = strip_registry(full)
    for fw in FRAMEWORKS:
        if fw.key == "nim":
            if full.startswith("nvcr.io/nim/"):
                return fw
            continue
        if fw.images.search(path) or fw.images.search(full):
            return fw
    return None


def by_command(argv_text: str) -> Framework | None:
    for fw in FRAMEWORKS:
        if any(rx.search(argv_text) for rx in fw.commands):
            return fw
    return None
