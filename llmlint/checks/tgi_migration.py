"""LLM007's fix: a Text Generation Inference container rewritten as a vLLM one.

Every TGI launcher option (on the command line or, as clap reads it, from the environment variable of
the same name) is either mapped to its vLLM equivalent, dropped because vLLM has no such limit (and
named in the fix's description), or it blocks the migration: a fix that silently changed what the server
serves (a quantisation vLLM cannot do, LoRA adapters, RoPE scaling) or could not run (a model vLLM does
not serve, an image user the vLLM image does not have) is not offered, and the reason is returned.
``$(VAR)`` references stay references; values are rewritten only where vLLM spells them otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llmlint.checks import Context, make_fix
from llmlint.checks.common import display_name
from llmlint.checks.storage import cache_dir
from llmlint.graph.objects import as_int, as_list, as_map
from llmlint.graph.selectors import map_matches
from llmlint.model import AppendItem, Edit, Fix, Path, SetValue
from llmlint.serving.args import EnvVar
from llmlint.serving.frameworks import image_repository
from llmlint.serving.server import Server

VLLM_COMMAND = ["python3", "-m", "vllm.entrypoints.openai.api_server"]

# TGI option → vLLM option (same value).
MAPPED: dict[str, str] = {
    "--model-id": "--model",
    "--revision": "--revision",
    "--num-shard": "--tensor-parallel-size",
    "--quantize": "--quantization",
    "--dtype": "--dtype",
    "--kv-cache-dtype": "--kv-cache-dtype",
    "--max-total-tokens": "--max-model-len",
    "--max-batch-size": "--max-num-seqs",
    "--max-batch-prefill-tokens": "--max-num-batched-tokens",
    "--hostname": "--host",
    "--port": "--port",
    "-p": "--port",
    "--huggingface-hub-cache": "--download-dir",
    "--cuda-memory-fraction": "--gpu-memory-utilization",
    "--api-key": "--api-key",
    "--otlp-endpoint": "--otlp-traces-endpoint",
}
BOOLEAN: dict[str, str] = {"--trust-remote-code": "--trust-remote-code"}
# Options whose effect vLLM has no knob for (limits it does not enforce, TGI's own scheduler and
# sharding, telemetry): dropped, and named in the description.
DROPPED = frozenset(
    {
        "--max-input-tokens", "--max-input-length", "--max-batch-total-tokens", "--max-concurrent-requests",
        "--max-best-of", "--max-stop-sequences", "--max-top-n-tokens", "--max-client-batch-size",
        "--max-waiting-tokens", "--waiting-served-ratio", "--payload-limit", "--validation-workers",
        "--sharded", "--shard-uds-path", "--master-addr", "--master-port", "--cuda-graphs",
        "--enable-cuda-graphs", "--disable-custom-kernels", "--json-output", "--disable-grammar-support",
        "--enable-prefill-logprobs", "--usage-stats", "--disable-usage-stats", "--disable-crash-reports",
        "--otlp-service-name", "--graceful-termination-timeout", "-g", "--speculate",
        "--watermark-gamma", "--watermark-delta",
    }
)  # fmt: skip
# Options that change what is served or where from: no automatic migration.
BLOCKING: dict[str, str] = {
    "--lora-adapters": "vLLM loads LoRA adapters otherwise",
    "--rope-scaling": "RoPE scaling is spelled differently in vLLM",
    "--rope-factor": "RoPE scaling is spelled differently in vLLM",
    "--tokenizer-config-path": "a custom tokenizer config has no vLLM flag",
    "--weights-cache-override": "a weights cache override has no vLLM flag",
    "--cors-allow-origin": "CORS origins are spelled differently in vLLM",
    "--prometheus-port": "vLLM serves /metrics on its API port",
    "--ngrok": "ngrok tunnels have no vLLM flag",
    "--ngrok-authtoken": "ngrok tunnels have no vLLM flag",
    "--ngrok-edge": "ngrok tunnels have no vLLM flag",
    "--env": "--env prints the environment and exits",
    "-e": "--env prints the environment and exits",
}
# TGI --quantize values → vLLM --quantization values; None: vLLM has no equivalent.
QUANTIZE: dict[str, str | None] = {
    "awq": "awq",
    "gptq": "gptq",
    "fp8": "fp8",
    "compressed-tensors": "compressed-tensors",
    "bitsandbytes-nf4": "bitsandbytes",  # vLLM's in-flight bitsandbytes quantisation is 4-bit NF4
    "bitsandbytes": None,  # TGI: 8-bit LLM.int8(); vLLM quantises in flight to 4 bits only
    "bitsandbytes-fp4": None,
    "eetq": None,
    "exl2": None,
    "marlin": None,
}
KV_CACHE_DTYPE: dict[str, str | None] = {"fp8": "fp8", "fp8_e4m3fn": "fp8_e4m3", "fp8_e5m2": "fp8_e5m2"}
VALUE_MAPS: dict[str, dict[str, str | None]] = {"--quantize": QUANTIZE, "--kv-cache-dtype": KV_CACHE_DTYPE}

# Encoder-decoder families TGI serves and vLLM does not.
_UNSERVED = re.compile(
    r"(?i)(?:^|[^a-z0-9])(t5|mt5|flan-ul2|ul2|bart|mbart|pegasus|marian|opus-mt|m2m100|nllb)(?:[^a-z]|$)"
)
# Decoder-only families vLLM serves.
_SERVED = re.compile(
    r"(?i)llama|mistral|mixtral|qwen|qwq|gemma|falcon|phi-?\d|deepseek|starcoder|bigcode|santacoder|bloom|mpt-|"
    r"gpt-?neox|pythia|gpt-?j|gpt2|gpt-oss|(?:^|/)opt-|baichuan|chatglm|glm-|internlm|(?:^|/)yi-|command-r|"
    r"c4ai|cohere|aya|dbrx|olmo|granite|jamba|exaone|nemotron|zephyr|vicuna|stablelm|solar|jais|arctic|"
    r"minicpm|smollm|hermes|openchat|neural-chat|wizard|tulu|mamba|codegen|dolly|redpajama|persimmon|xverse|"
    r"orion|llava|pixtral|paligemma|kimi"
)
# Mixtures of experts. vLLM's in-flight bitsandbytes quantisation does not load Mixtral (vllm#17199, open; the
# MoE support of vllm#20061, v0.10, lists Qwen-MoE and Phi-3.5-MoE and not Mixtral; gpt-oss: vllm#25653):
# until a release is known to load one, a bitsandbytes TGI serving any of them is not migrated.
_MOE = re.compile(
    r"(?i)mixtral|\d+x\d+(?:\.\d+)?b|moe|dbrx|deepseek-(?:v2|v3|r1|coder-v2)|gpt-oss|arctic|jamba|grok|"
    r"llama-4|-a\d+(?:\.\d+)?b(?:[^a-z0-9]|$)|kimi-k2|glm-4\.5"
)
# The mixtures of experts vllm#20061 (v0.10) made load with in-flight bitsandbytes.
_BNB_MOE = re.compile(r"(?i)qwen[\d.]*-(?:\d+b-)?(?:moe|\d+b-a\d+b)|phi-3\.5-moe")
_TRUE = frozenset({"true", "1", "yes", "on"})


def env_name(flag: str) -> str:
    return flag.lstrip("-").upper().replace("-", "_")


ENV_FLAGS: dict[str, str] = {
    env_name(f): f for f in (*MAPPED, *BOOLEAN, *DROPPED, *BLOCKING) if f.startswith("--")
}


def model_unserved(model: str | None) -> str | None:
    """Why vLLM cannot serve ``model`` (None: it can, as far as its name tells)."""
    if not model:
        return "the model id is unknown"
    if model.rstrip("/") == "/mnt/models":
        return "the model is the InferenceService's, not named here"
    m = _UNSERVED.search(model)
    if m:
        return f"vLLM does not serve {m.group(1).upper()} (encoder-decoder)"
    if not _SERVED.search(model):
        return f"cannot tell whether vLLM serves {model}"
    return None


@dataclass
class _Plan:
    s: Server
    edits: list[Edit] = field(default_factory=list)
    command_tail: list[str] = field(default_factory=list)  # flags that were written in `command`
    added: list[str] = field(default_factory=list)  # new args
    dropped: list[str] = field(default_factory=list)
    given: set[str] = field(default_factory=set)  # vLLM flags the result sets
    args_set: dict[int, str] = field(default_factory=dict)  # args items rewritten
    args_drop: set[int] = field(default_factory=set)  # args items removed
    env_edits: list[Edit] = field(default_factory=list)

    @property
    def c_path(self) -> Path:
        return self.s.container.path


class NoFix(Exception):
    """The migration cannot be made safe; the message says why."""


def _non_root(s: Server) -> bool:
    """Does the pod or container insist on a non-root user (the vLLM image runs as root)?"""
    for sc in (
        as_map(s.container.data.get("securityContext")),
        as_map(s.container.template.spec.get("securityContext")),
    ):
        if sc.get("runAsNonRoot") is True:
            return True
        uid = as_int(sc.get("runAsUser"))
        if uid is not None and uid != 0:
            return True
    return False


_OTHER_BUILDS = re.compile(r"(?i)rocm|gaudi|habana|neuron|intel|xpu|cpu")


def _not_nvidia(s: Server) -> str | None:
    """Why the CUDA vLLM image would not run where this TGI runs (None: an NVIDIA GPU pod)."""
    c = s.container
    repo, tag = image_repository(c.image)
    build = _OTHER_BUILDS.search(f"{repo.rsplit('/', 1)[-1]}:{tag or ''}")
    if build:
        return f"this is a {build.group(0)} build of TGI and the vLLM image is for NVIDIA GPUs"
    if not any(c.resource(section, "nvidia.com/gpu") is not None for section in ("limits", "requests")):
        return "the pod requests no NVIDIA GPU, which the vLLM image needs"
    return None


def _raw_item(s: Server, path: Path) -> str | None:
    """The string as written at an argv item path of the container itself."""
    c = s.container
    if len(path) != len(c.path) + 2 or path[: len(c.path)] != c.path or path[-2] not in ("command", "args"):
        return None
    items = as_list(c.data.get(str(path[-2])))
    i = path[-1]
    item = items[i] if isinstance(i, int) and i < len(items) else None
    return item if isinstance(item, str) else None


def _map_value(p: _Plan, flag: str, value_text: str, value: str | None, env: EnvVar | None) -> str:
    """The value text for vLLM: references kept; a value vLLM spells otherwise rewritten where it is written."""
    table = VALUE_MAPS.get(flag)
    if table is None:
        return value_text
    if value is None:
        raise NoFix(f"the {flag} value is unknown")
    key = value.strip().lower()
    if key not in table or table[key] is None:
        raise NoFix(f"vLLM has no {flag.lstrip('-')} {value}")
    new = table[key]
    assert new is not None
    model = p.s.model() or ""
    if new == "bitsandbytes" and _MOE.search(model) and not _BNB_MOE.search(model):
        raise NoFix(
            "vLLM does not quantise this mixture of experts with bitsandbytes in flight (vllm#17199: Mixtral "
            "and most MoE models fail to load); use a GPTQ or AWQ checkpoint"
        )
    if new == value:
        return value_text
    if value_text == value:
        return new
    ref = re.fullmatch(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value_text)
    var = env if env is not None else (p.s.env.get(ref.group(1)) if ref else None)
    if var is None or not var.literal or var.source is None or var.source.obj is not p.s.obj:
        raise NoFix(f"{flag} {value} comes from where it cannot be rewritten")
    p.env_edits.append(SetValue(var.source.obj.target, var.source.path, new))
    return value_text


def _command_line(p: _Plan) -> None:
    s = p.s
    for f in s.flags:
        if f.env is not None:
            continue
        name = f.name
        if name in BLOCKING:
            raise NoFix(BLOCKING[name])
        name_path = f.word.anchor.path
        raw = _raw_item(s, name_path)
        if raw is None:
            raise NoFix(f"{name} is not written as a plain argument")
        joined = f.value_word is f.word
        value_path = f.value_word.anchor.path if f.value_word is not None and not joined else None
        raw_value = _raw_item(s, value_path) if value_path is not None else None
        if value_path is not None and raw_value is None:
            raise NoFix(f"the value of {name} is not written as a plain argument")
        in_command = name_path[-2] == "command"
        if name in DROPPED or (name not in MAPPED and name not in BOOLEAN):
            if name not in DROPPED:
                raise NoFix(f"TGI's {name} has no known vLLM equivalent")
            p.dropped.append(name)
            if not in_command:
                p.args_drop.add(int(name_path[-1]))
                if value_path is not None:
                    p.args_drop.add(int(value_path[-1]))
            continue
        new = MAPPED.get(name) or BOOLEAN[name]
        p.given.add(new)
        if name in BOOLEAN:
            if joined or value_path is not None:
                raise NoFix(f"{name} with a value")
            items = [new]
        elif joined:
            if not raw.startswith(name + "="):
                raise NoFix(f"{name} is not written as a plain argument")
            text = raw[len(name) + 1 :]
            items = [f"{new}={_map_value(p, name, text, f.value, None)}"]
        elif raw_value is not None:
            items = [new, _map_value(p, name, raw_value, f.value, None)]
        else:
            raise NoFix(f"{name} has no value")
        if in_command:
            p.command_tail.extend(items)
            continue
        if value_path is not None and value_path[-2] != "args":
            raise NoFix(f"{name} and its value are split between command and args")
        p.args_set[int(name_path[-1])] = items[0]
        if len(items) > 1 and value_path is not None and items[1] != raw_value:
            p.args_set[int(value_path[-1])] = items[1]


def _environment(p: _Plan) -> None:
    s = p.s
    on_line = {f.name for f in s.flags if f.env is None}
    for var in s.env.values():
        flag = ENV_FLAGS.get(var.name)
        if flag is None or flag in on_line or flag == "--port" or flag == "--hostname":
            continue  # the port is chosen below; HOSTNAME is the pod's name in Kubernetes
        if flag in BLOCKING:
            raise NoFix(f"{BLOCKING[flag]} ({var.name})")
        if flag in DROPPED:
            p.dropped.append(var.name)
            continue
        if flag in BOOLEAN:
            if var.value is None:
                raise NoFix(f"the value of {var.name} is unknown")
            if var.value.strip().lower() in _TRUE:
                p.added.append(BOOLEAN[flag])
                p.given.add(BOOLEAN[flag])
            continue
        new = MAPPED[flag]
        value = _map_value(p, flag, f"$({var.name})", var.value, var)
        p.added.append(f"{new}={value}")
        p.given.add(new)


def _service_ports(ctx: Context, s: Server) -> set[int]:
    """Numeric ``targetPort``s of the Services that select the server's pods."""
    t = s.container.template
    out: set[int] = set()
    for svc in ctx.graph.of_kind("Service", s.obj.namespace):
        selector = as_map(as_map(svc.data.get("spec")).get("selector"))
        if not selector or not map_matches(selector, t.labels):
            continue
        for port in as_list(as_map(svc.data.get("spec")).get("ports")):
            pm = as_map(port)
            n = as_int(pm.get("targetPort", pm.get("port")))
            if n is not None:
                out.add(n)
    return out


def _port(ctx: Context, p: _Plan) -> None:
    """vLLM listens where TGI listened, so Services and probes still match."""
    s = p.s
    if "--port" in p.given:
        return
    repo, _ = image_repository(s.container.image)
    google_dlc = "huggingface-text-generation-inference" in repo.rsplit("/", 1)[-1]
    for name in ("AIP_HTTP_PORT", "PORT") if google_dlc else ("PORT",):
        if name in s.env:
            p.added.append(f"--port=$({name})")
            p.given.add("--port")
            return
    if repo.endswith("huggingface/text-generation-inference") or repo.endswith("/tgi-gaudi"):
        p.added.append("--port=80")  # the official image sets PORT=80
        p.given.add("--port")
        return
    declared = {
        n
        for port in as_list(s.container.data.get("ports"))
        if (n := as_int(as_map(port).get("containerPort"))) is not None
    }
    known = declared or _service_ports(ctx, s)
    if len(known) == 1:
        p.added.append(f"--port={known.pop()}")
        p.given.add("--port")
        return
    raise NoFix("the port this TGI image listens on is unknown")


def _defaults(p: _Plan) -> None:
    """What the TGI image did without being told: shard over every GPU, cache under /data."""
    s = p.s
    if "--model" not in p.given:
        raise NoFix("no --model-id or MODEL_ID names the model")
    sharded = next((f for f in s.flags if f.name == "--sharded"), None)
    off = sharded is not None and (sharded.value or "").lower() == "false"
    if "--tensor-parallel-size" not in p.given and s.gpus > 1 and not off:
        p.added.append(f"--tensor-parallel-size={s.gpus}")
    _keep_cache(p)


# The hub cache variables huggingface_hub (and so vLLM) reads; an explicit one in the pod is kept as it is.
_CACHE_VARS = frozenset({"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})


def _keep_cache(p: _Plan) -> None:
    """vLLM caches where TGI did when a volume backs that place. TGI's cache is the image's (stock: /data;
    Google's and AWS's deep-learning containers: /tmp) unless the pod names one; the vLLM image has no such
    default (/root/.cache/huggingface), so without this the download lands in the container's filesystem.
    ``HF_HUB_CACHE`` names the hub cache itself, the layout TGI wrote: what is on the volume is reused."""
    s = p.s
    if "--download-dir" in p.given or _CACHE_VARS & set(s.env):
        return  # --huggingface-hub-cache became --download-dir; an explicit variable is honoured by vLLM
    cache = cache_dir(s).rstrip("/") or "/"
    backed = any(
        cache == (mp := str(m.get("mountPath", "")).rstrip("/") or "/")
        or cache.startswith(mp.rstrip("/") + "/")
        for _, m in s.container.mounts
    )
    if not backed:
        return  # TGI cached in the container's filesystem too: vLLM's default is no worse
    item = {"name": "HF_HUB_CACHE", "value": cache}
    path = (*p.c_path, "env")
    tgt = s.obj.target
    p.env_edits.append(
        AppendItem(tgt, path, item) if "env" in s.container.data else SetValue(tgt, path, [item])
    )


def _probes(p: _Plan) -> None:
    """TGI's /info does not exist in vLLM: probes on it use /health."""
    c = p.s.container
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        h = as_map(as_map(c.data.get(kind)).get("httpGet"))
        if str(h.get("path", "")).rstrip("/") == "/info":
            p.edits.append(SetValue(c.obj.target, (*c.path, kind, "httpGet", "path"), "/health"))


def migration_fix(ctx: Context, s: Server) -> tuple[Fix | None, str | None]:
    """The migration of a TGI container to vLLM, or None and the reason it is not offered."""
    c = s.container
    if s.in_shell:
        return None, "TGI starts from a shell script"
    why = model_unserved(s.model())
    if why:
        return None, why
    if _non_root(s):
        return None, "the pod must run as non-root, the vLLM image runs as root"
    hardware = _not_nvidia(s)
    if hardware:
        return None, hardware
    p = _Plan(s)
    try:
        _command_line(p)
        _environment(p)
        _port(ctx, p)
        _defaults(p)
    except NoFix as exc:
        return None, str(exc)
    _probes(p)
    tgt = c.obj.target
    image = str(ctx.param("vllm-image"))
    edits: list[Edit] = [SetValue(tgt, (*c.path, "image"), image)]
    edits.append(SetValue(tgt, (*c.path, "command"), [*VLLM_COMMAND, *p.command_tail]))
    edits.extend(p.edits)
    args_path = (*c.path, "args")
    args = c.data.get("args")
    if p.args_drop and isinstance(args, list):
        # removals and rewrites of one list are one edit: the list as it ends up
        kept = [p.args_set.get(i, a) for i, a in enumerate(args) if i not in p.args_drop]
        edits.append(SetValue(tgt, args_path, [*kept, *p.added]))
    else:
        edits.extend(SetValue(tgt, (*args_path, i), v) for i, v in sorted(p.args_set.items()))
        if p.added and isinstance(args, list):
            edits.extend(AppendItem(tgt, args_path, a) for a in p.added)
        elif p.added:
            edits.append(SetValue(tgt, args_path, list(p.added)))  # one edit: a new list, whole
    edits.extend(p.env_edits)
    desc = f"migrate {display_name(s)} to vLLM ({image}) with the same model, parallelism and port"
    if p.dropped:
        desc += "; dropped (no vLLM equivalent): " + ", ".join(sorted(set(p.dropped)))
    return make_fix("unsafe", desc, *edits), None
