"""Which containers are inference servers, and how they are configured."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from llmlint.graph.objects import Container, K8sObject, as_int
from llmlint.kinds import SERVING_RUNTIMES
from llmlint.lazyre import LazyRe
from llmlint.serving import flags as flagdata
from llmlint.serving.args import (
    SHELLS,
    EnvVar,
    Origin,
    Word,
    basename,
    container_argv,
    resolve_env,
    unwrap_shell,
)
from llmlint.serving.frameworks import (
    KSERVE_HF,
    TRITON,
    VLLM,
    Framework,
    by_command,
    by_image,
    image_repository,
)
from llmlint.serving.model_size import (
    checkpoint_bytes_per_param,
    gpu_bytes_per_param,
    model_info,
    params_from_annotation,
    params_from_name,
)

MODEL_PARAMS_ANNOTATION = "llmlint.io/model-params"

# Where a launcher ends and its flags begin.
_LAUNCHERS = frozenset(
    {
        "text-generation-launcher",
        "llama-server",
        "tritonserver",
        "vllm.entrypoints.openai.api_server",
        "vllm.entrypoints.api_server",
        "sglang.launch_server",
        "huggingfaceserver",
    }
)
_SUBCOMMAND_OF = {"serve": frozenset({"vllm", "sglang", "ollama"})}
_BOOLEAN_HINT = LazyRe(r"^--?(enable|disable|no|use|trust|enforce|skip|allow|return|sharded|disable)[-_]")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(slots=True, eq=False)
class Flag:
    """One server flag and its value, with the words they were read from."""

    name: str  # as written (``--gpu-memory-utilization``, ``-tp``)
    value: str | None
    word: Word  # the word holding the flag name
    value_word: Word | None  # the word holding the value (the same word for ``--k=v``)
    value_start: int = 0  # offset of the value in value_word
    env: EnvVar | None = None  # set when the flag came from an environment variable (TGI)

    def value_origin(self) -> Origin | None:
        if self.env is not None:
            src = self.env.source
            return (
                Origin(src.obj, src.path, 0, len(self.value or ""))
                if src and self.value is not None
                else None
            )
        if self.value_word is None or self.value is None:
            return None
        return self.value_word.origin(self.value_start, self.value_start + len(self.value))

    def anchor(self) -> tuple[K8sObject, tuple[str | int, ...], tuple[int, int] | None]:
        """Where a finding about this flag points: the arg item, and the flag's span inside it."""
        if self.env is not None:
            return self.env.item.obj, self.env.item.path, None
        w = self.word
        o = w.origin()
        if o is not None and o.path == w.anchor.path:
            return w.anchor.obj, w.anchor.path, (o.start, o.end)
        return w.anchor.obj, w.anchor.path, None


@dataclass(eq=False)
class Server:
    """An inference server (or a GPU container) and its configuration."""

    container: Container
    framework: Framework | None  # None: a GPU container no framework rule recognises
    env: dict[str, EnvVar] = field(default_factory=dict)
    argv: list[Word] = field(default_factory=list)  # the server's own arguments
    flags: list[Flag] = field(default_factory=list)
    positionals: list[Word] = field(default_factory=list)
    in_shell: bool = False
    version: str | None = None  # a release tag of the framework; None for a custom build, a digest, latest
    activity: str = "serve"  # "idle" (sleep infinity…), "download" (a model download), "client": no server
    argv_known: bool = True  # ``argv`` is exactly the server's own argv (not a wrapper script's)
    raw_tag: str | None = None  # the image tag as written
    default_port: int | None = None  # where the server listens when nothing sets it (a wrapper's default)

    @property
    def obj(self) -> K8sObject:
        return self.container.obj

    @property
    def key(self) -> str:
        return self.framework.key if self.framework else "gpu"

    def _norm(self, name: str) -> str:
        if self.framework and (self.framework.uses_vllm_engine or self.framework.key == "vllm"):
            return name.replace("_", "-")
        return name

    def flag(self, semantic: str) -> Flag | None:
        """The flag that sets ``semantic`` (the last one given wins, as with argparse and clap)."""
        if self.framework is None:
            return None
        names = {self._norm(n) for n in self.framework.flag_names(semantic)}
        found = None
        for f in self.flags:
            if self._norm(f.name) in names:
                found = f
        return found

    def knows(self, semantic: str) -> bool:
        """Whether the setting is known: a flag sets it (with a readable value), or nothing does and the
        argv is the server's own (so the framework's default applies). False for a wrapper script's
        arguments, or a ``$(VAR)`` nothing resolves."""
        f = self.flag(semantic)
        if f is None:
            return self.argv_known
        return f.value is not None and "$(" not in f.value and not f.value.startswith("$")

    def value(self, semantic: str) -> str | None:
        f = self.flag(semantic)
        return f.value if f else None

    def int_value(self, semantic: str, default: int | None = None) -> int | None:
        v = self.value(semantic)
        n = as_int(v) if v is not None else None
        return default if n is None else n

    @property
    def tp(self) -> int:
        return max(self.int_value("tp", 1) or 1, 1)

    @property
    def pp(self) -> int:
        return max(self.int_value("pp", 1) or 1, 1)

    @property
    def gpus(self) -> int:
        return self.container.gpus()

    def model(self) -> str | None:
        v = self.value("model")
        if v:
            return v
        if self.framework and self.framework.positional_model and self.positionals:
            return self.positionals[0].text
        if self.framework and self.framework.key == "nim":
            repo, _ = image_repository(self.container.image)
            name = repo.rsplit("/", 1)[-1]
            # ``llm-nim`` (the multi-LLM NIM) serves whatever NIM_MODEL_NAME names: unknown without it
            return None if name in _GENERIC_NIMS or not name else name
        uri = self.container.data.get("storageUri")
        if isinstance(uri, str) and uri:
            return uri
        return None

    def display_name(self) -> str:
        """What a message calls this server: its model if known, else its framework (never an image)."""
        m = self.model()
        if m:
            return m.rstrip("/").removeprefix("hf://")
        return self.framework.title if self.framework else f"GPU container {self.container.name!r}"

    def model_params(self) -> float | None:
        for ann in (self.container.template.annotations, self.obj.annotations):
            if MODEL_PARAMS_ANNOTATION in ann:
                p = params_from_annotation(ann[MODEL_PARAMS_ANNOTATION])
                if p is not None:
                    return p
        m = self.model()
        return params_from_name(m) if m else None

    def bytes_per_param(self) -> float:
        """Bytes per parameter in GPU memory."""
        return gpu_bytes_per_param(self.value("quant"), self.value("dtype"), self.model())

    def weight_gb(self) -> float | None:
        """GB of weights held in GPU memory (after any on-load quantisation)."""
        p = self.model_params()
        return None if p is None else p * self.bytes_per_param()

    def download_gb(self) -> float | None:
        """GB of the checkpoint on disk (what is downloaded and read at start-up): bitsandbytes and
        dynamic FP8 quantise a 16-bit checkpoint on load; a model shipped in FP8 (DeepSeek-V3/R1) is 1
        byte per parameter; every expert of a mixture of experts is in the checkpoint."""
        p = self.model_params()
        return None if p is None else p * checkpoint_bytes_per_param(self.value("quant"), self.model())

    def context_length(self) -> int | None:
        m = self.model()
        if not m:
            return None
        ctx = model_info(m).get("context")
        return int(ctx) if isinstance(ctx, int) else None

    def port(self) -> int | None:
        """The port the server listens on: its flag, its env, or the framework's default when nothing
        sets it. None when it is not known: an unresolved ``$(PORT)``, a value that is not a number, or a
        wrapper script whose arguments to the server are unknown."""
        if self.framework is None:
            return None
        f = self.flag("port")
        if f is not None:
            if f.env is not None and f.env.name == self.framework.port_env:
                return _env_port(f.value, self.framework.default_port)
            return as_int(f.value) if f.value is not None else None
        if not self.argv_known:
            return None
        default = self.default_port if self.default_port is not None else self.framework.default_port
        if self.framework.port_env and self.framework.port_env in self.env:
            return _env_port(self.env[self.framework.port_env].value, default)
        return default


def _env_port(raw: str | None, default: int | None) -> int | None:
    """A port from ``PORT=8080`` / ``OLLAMA_HOST=0.0.0.0:11434`` (host only: the default port)."""
    if raw is None:
        return None  # from a Secret, a fieldRef, a ConfigMap not in the scan
    text = raw.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    if ":" in text:
        return as_int(text.rsplit(":", 1)[-1])
    n = as_int(text)
    if n is not None:
        return n
    return default if text and "$" not in text and all(c.isalnum() or c in ".-" for c in text) else None


_GENERIC_NIMS = frozenset({"llm-nim", "nim-llm", "llm"})


_PYTHON = LazyRe(r"^python(\d+(\.\d+)?)?$")
_PYTHON_OPTS_WITH_VALUE = frozenset({"-W", "-X", "-Q"})
# Modules whose argv is a server's (``python -m MODULE …``).
_MODULES = LazyRe(
    r"^(vllm\.entrypoints\.[\w.]+|sglang\.launch_server|huggingfaceserver|text_generation_server[\w.]*)$"
)
# Wrapper scripts known to hand their arguments to a server: (path pattern, own flag prefixes, the port
# it listens on by default). KAITO's vLLM preset (``/workspace/vllm/inference_api.py``) parses vLLM's
# engine arguments with vLLM's own parser, adds ``--kaito-*`` options and serves on port 5000.
_FORWARDERS: tuple[tuple[LazyRe, tuple[str, ...], int | None], ...] = (
    (LazyRe(r"(^|/)vllm/inference_api\.py$"), ("--kaito-",), 5000),
)
_PREFIXES = frozenset(
    {"exec", "nohup", "env", "time", "stdbuf", "numactl", "taskset", "dumb-init", "tini", "--"}
)


@dataclass(slots=True)
class Entry:
    """Where a command's server arguments start, and whether they are the server's own."""

    words: list[Word]
    found: bool  # an entrypoint was recognised
    known: bool  # the words are exactly the server's arguments
    own_prefixes: tuple[str, ...] = ()  # flags of a forwarding wrapper (not the server's)
    default_port: int | None = None  # the wrapper's default port, when it is not the framework's


def _python_target(words: list[Word], i: int) -> tuple[str, str, int] | None:
    """For ``python [opts] -m MOD …`` / ``python [opts] script.py …`` at ``i``: (kind, target, next index)."""
    j = i + 1
    while j < len(words):
        t = words[j].text
        if t == "-m" and j + 1 < len(words):
            return "module", words[j + 1].text, j + 2
        if t.startswith("-m") and len(t) > 2:
            return "module", t[2:], j + 1
        if t == "-c":
            return "code", words[j + 1].text if j + 1 < len(words) else "", len(words)
        if t.startswith("-"):
            j += 2 if t in _PYTHON_OPTS_WITH_VALUE else 1
            continue
        return "script", t, j + 1
    return None


def server_entry(words: list[Word]) -> Entry:
    """The server's own arguments in a command: after ``vllm serve``, ``python -m <server module>``,
    ``text-generation-launcher``… ``python -m`` and its options are Python's, never the server's."""
    i = 0
    while i < len(words):
        w = words[i]
        b = basename(w.text)
        if b in _LAUNCHERS:
            return Entry(words[i + 1 :], True, True)
        if b == "server" and i + 1 < len(words) and words[i + 1].text in ("-m", "--model"):
            return Entry(words[i + 1 :], True, True)  # llama.cpp's server binary in older images
        if b in _SUBCOMMAND_OF and i > 0 and basename(words[i - 1].text) in _SUBCOMMAND_OF[b]:
            return Entry(words[i + 1 :], True, True)
        if _PYTHON.match(b):
            target = _python_target(words, i)
            if target is None:
                return Entry([], False, False)
            kind, name, nxt = target
            if kind == "module" and _MODULES.match(name):
                return Entry(words[nxt:], True, True)
            if kind == "script":
                for rx, own, port in _FORWARDERS:
                    if rx.search(name):
                        return Entry(words[nxt:], True, True, own, port)
                return Entry(words[nxt:], False, False)
            return Entry([], False, False)
        if b in _PREFIXES or ("=" in w.text and not w.text.startswith("-")):
            i += 1  # ``exec``, ``env A=B``: the command follows
            continue
        if b in _SUBCOMMAND_OF.get("serve", ()) and i + 1 < len(words) and words[i + 1].text == "serve":
            i += 1
            continue
        break
    return Entry(words, False, False)


# ---- containers that run no server: idle clients, model downloads ------------------------------------

_IDLE = LazyRe(r"^(sleep|pause|tail|cat)$")
_DOWNLOAD_WORDS = LazyRe(
    r"(huggingface-cli\s+download|(^|\s|/)hf\s+download|download-to-cache|create-model-store|"
    r"snapshot_download|hf_hub_download|huggingface_hub\s+download|(^|\s)ollama\s+pull\s)"
)


_CLIENT_WORDS = LazyRe(
    r"((^|\s|/)genai-perf\s|benchmark_serving\.py|benchmark_throughput\.py|benchmark_latency\.py|"
    r"(^|\s|/)vllm\s+bench\s|sglang\.bench_(serving|one_batch|offline_throughput)|(^|\s|/)guidellm\s|"
    r"(^|\s|/)locust\s|(^|\s|/)perf_analyzer\s)"
)


def _idles(cmd: list[Word]) -> bool:
    words = [w.text for w in cmd]
    while words and words[0] in ("do", "then", "exec", "else"):
        words = words[1:]
    if not words:
        return False
    b = basename(words[0])
    if b == "sleep":
        return True
    if b == "tail" and "-f" in words[1:]:
        return True
    return b in ("pause", "cat") and len(words) == 1


def activity(argv: list[Word], shell: list[list[Word]] | None, has_command: bool) -> str:
    """``serve`` (or unknown), ``idle`` (``sleep infinity``, ``tail -f /dev/null``, a bare shell),
    ``download`` (the command fetches a model: ``huggingface-cli download``, NIM ``download-to-cache``…)
    or ``client`` (a benchmark run against a server: ``genai-perf``, ``vllm bench``, ``benchmark_serving.py``)."""
    commands = shell if shell is not None else [argv]
    text = " ".join(w.text for cmd in commands for w in cmd)
    if any(by_command(" ".join(w.text for w in cmd)) is not None for cmd in commands):
        return "serve"
    if _DOWNLOAD_WORDS.search(text):
        return "download"
    if _CLIENT_WORDS.search(text):
        return "client"  # a benchmark or load generator run in a server image
    if shell is None and argv and basename(argv[0].text) in SHELLS and len(argv) == 1:
        return "idle"  # a bare shell: waits on its (tty) input
    steps = [cmd for cmd in commands if [w.text for w in cmd] not in (["done"], ["fi"], ["true"], ["wait"])]
    if steps and _idles(steps[-1]):
        return "idle"  # what the container ends up doing is waiting
    return "serve"


def _takes_value(fw: Framework, name: str) -> bool | None:
    key = {"kserve-huggingface": "vllm"}.get(fw.key, fw.key)
    return flagdata.takes_value(key, name.replace("_", "-") if fw.uses_vllm_engine else name)


def parse_flags(fw: Framework, words: list[Word]) -> tuple[list[Flag], list[Word]]:
    flags: list[Flag] = []
    positionals: list[Word] = []
    i = 0
    while i < len(words):
        w = words[i]
        t = w.text
        if t.startswith("-") and len(t) > 1 and not _NUMBER.match(t):
            if "=" in t:
                name, value = t.split("=", 1)
                flags.append(Flag(name, value, w, w, len(name) + 1))
            else:
                nxt = words[i + 1] if i + 1 < len(words) else None
                takes = _takes_value(fw, t)
                if takes is None:
                    takes = not _BOOLEAN_HINT.match(t) or bool(nxt and nxt.text.lower() in ("true", "false"))
                if nxt is not None and takes and (not nxt.text.startswith("-") or _NUMBER.match(nxt.text)):
                    flags.append(Flag(t, nxt.text, w, nxt, 0))
                    i += 1
                else:
                    flags.append(Flag(t, None, w, None))
        else:
            positionals.append(w)
        i += 1
    return flags, positionals


def _detect(container: Container, argv_text: str) -> Framework | None:
    fw = by_command(argv_text)
    if fw is not None:
        return fw
    fw = by_image(container.image)
    if fw is not None:
        return fw
    if container.path[-1:] == ("huggingface",) and "predictor" in container.path:
        return KSERVE_HF  # KServe's framework-named predictor: its Hugging Face runtime
    if container.path[-1:] == ("triton",) and "predictor" in container.path:
        return TRITON
    if container.path[-1:] == ("model",) and "predictor" in container.path:
        fmt = container.data.get("modelFormat")
        name = fmt.get("name") if isinstance(fmt, dict) else None
        if isinstance(name, str) and name.lower() == "huggingface":
            return KSERVE_HF
    return None


def _vllm_signature(words: list[Word]) -> bool:
    """A custom build of vLLM (``vllm-gemma4:local``) told by its flags: two or more flags vLLM accepts,
    at least one of which no other supported server accepts (``--gpu-memory-utilization``…), and none
    that vLLM rejects."""
    names = [w.text.split("=", 1)[0] for w in words if w.text.startswith("--")]
    if len(names) < 2:
        return False
    known = 0
    only = 0
    for n in names:
        k = flagdata.is_known("vllm", n)
        if k is not True:
            return False
        known += 1
        if flagdata.is_known("sglang", n) is False and flagdata.is_known("tgi", n) is False:
            only += 1
    return known >= 2 and only >= 1


def release_version(fw: Framework, tag: str | None) -> str | None:
    """The release an image tag names, or None (a custom build tag, a digest, ``latest``, ``sha-…``).

    Official tags are ``v0.6.1``, ``0.6.1``, ``v0.6.3.post1``, with at most a build-variant suffix
    (``-cu124``, ``-rocm``, ``-cpu``); for frameworks with release data the version must be a listed
    release (or newer than the newest listed)."""
    if not tag:
        return None
    m = _RELEASE_TAG.match(tag)
    if not m:
        return None
    base = m.group(1)
    key = {"kserve-huggingface": None}.get(fw.key, fw.key)
    listed = flagdata.versions(key) if key in flagdata.FRAMEWORKS else []
    if not listed:
        return tag
    if base.lstrip("v") in listed:
        return tag
    newest = flagdata.parse_version(listed[-1])
    mine = flagdata.parse_version(base)
    if mine is not None and newest is not None and mine > newest:
        return tag
    return None


_RELEASE_TAG = LazyRe(
    r"^(v?\d+\.\d+(?:\.\d+){0,2}(?:\.?post\d+)?)"
    r"(?:-(?:cu\d+|rocm[\d.]*|cpu|gpu|tpu|hpu|xpu|intel|gaudi|neuron|arm64|amd64|x86_64|aarch64|ubuntu[\d.]*|py3|ubi\d*))*$"
)


def analyse(container: Container, find_configmap: Callable[[str], K8sObject | None]) -> Server | None:
    """The server in ``container``, or None for a plain (non-LLM, non-GPU) container.

    A container that runs no server (a benchmark client idling with ``sleep infinity`` in a server image,
    a model-download Job or init container) gives no Server; if it holds GPUs it gives a
    ``Server(framework=None)`` with ``activity`` "idle"/"download"/"client", so GPU-resource rules still
    see it. A KServe runtime is always a server (its command may be a debugging placeholder), kept with
    ``activity`` "idle" when that command only waits: probe rules read nothing of a server that never runs."""
    env = resolve_env(container, find_configmap)
    command, args, has_command = container_argv(container, env)
    argv = command + args
    shell = unwrap_shell(argv, env) if argv else None
    doing = activity(argv, shell, has_command)
    placeholder = doing == "idle" and _runtime_part(container)
    if placeholder:
        doing = "serve"  # a KServe runtime is a server template, whatever its (debug) command does
    if doing != "serve":
        if container.gpus() <= 0:
            return None
        return Server(container, None, env, argv, in_shell=shell is not None, activity=doing)
    chosen: list[Word] = argv
    fw: Framework | None = None
    in_shell = False
    if shell is not None:
        in_shell = True
        for cmd in shell:
            f = by_command(" ".join(w.text for w in cmd))
            if f is not None:
                fw, chosen = f, cmd
                break
        if fw is None:
            fw = by_image(container.image)
            chosen = shell[-1] if shell else []
    else:
        fw = _detect(container, " ".join(w.text for w in argv))
    entry = server_entry(chosen)
    if not entry.found and not has_command and not in_shell:
        entry = Entry(args, False, True)  # the image's entrypoint is the server: args are its flags
    if fw is None and entry.words and (entry.known or _is_script(chosen)) and _vllm_signature(entry.words):
        fw = VLLM
        if not entry.known:  # a wrapper script that evidently takes vLLM's flags: read them, judge none
            entry = Entry(entry.words, True, False)
    if fw is None:
        if container.gpus() <= 0:
            return None
        doing = "idle" if placeholder else "serve"
        return Server(container, None, env, chosen, in_shell=in_shell, activity=doing)
    if not entry.found and not entry.known:
        # ``command`` (or a shell) runs something that is not the server (a wrapper script): its
        # arguments are its own, and what it passes to the server is unknown.
        words: list[Word] = []
    else:
        words = entry.words
    flags, positionals = parse_flags(fw, words)
    if entry.own_prefixes:
        flags = [f for f in flags if not f.name.startswith(entry.own_prefixes)]
    if fw.env_flags:
        given = {f.name for f in flags}
        for var in env.values():
            flag = "--" + var.name.lower().replace("_", "-")
            if (
                var.value is not None
                and flag not in given
                and any(flag in names for names in fw.flags.values())
            ):
                flags.insert(0, Flag(flag, var.value, Word("", [], var.item), None, env=var))
    if fw.env_settings:
        names = {n for ns in fw.flags.values() for n in ns}
        for var in env.values():
            if var.name in names:
                flags.insert(0, Flag(var.name, var.value, Word("", [], var.item), None, env=var))
    _, tag = image_repository(container.image)
    server = Server(container, fw, env, words, flags, positionals, in_shell, release_version(fw, tag))
    server.argv_known = entry.known
    server.raw_tag = tag
    server.default_port = entry.default_port
    if placeholder:
        server.activity = "idle"
    return server


def _runtime_part(container: Container) -> bool:
    if container.obj.kind in SERVING_RUNTIMES:
        return True
    return container.merged is not None


def _is_script(words: list[Word]) -> bool:
    return bool(words) and _PYTHON.match(basename(words[0].text)) is not None
