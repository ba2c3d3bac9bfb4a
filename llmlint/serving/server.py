"""Which containers are inference servers, and how they are configured."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from llmlint.graph.objects import Container, K8sObject, as_int
from llmlint.lazyre import LazyRe
from llmlint.serving import flags as flagdata
from llmlint.serving.args import (
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
    Framework,
    by_command,
    by_image,
    image_repository,
)
from llmlint.serving.model_size import bytes_per_param, model_info, params_from_annotation, params_from_name

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
    version: str | None = None

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
            return repo.rsplit("/", 1)[-1]
        uri = self.container.data.get("storageUri")
        if isinstance(uri, str) and uri:
            return uri
        return None

    def model_params(self) -> float | None:
        for ann in (self.container.template.annotations, self.obj.annotations):
            if MODEL_PARAMS_ANNOTATION in ann:
                p = params_from_annotation(ann[MODEL_PARAMS_ANNOTATION])
                if p is not None:
                    return p
        m = self.model()
        return params_from_name(m) if m else None

    def bytes_per_param(self) -> float:
        return bytes_per_param(self.value("quant"), self.value("dtype"), self.model())

    def weight_gb(self) -> float | None:
        p = self.model_params()
        return None if p is None else p * self.bytes_per_param()

    def context_length(self) -> int | None:
        m = self.model()
        if not m:
            return None
        ctx = model_info(m).get("context")
        return int(ctx) if isinstance(ctx, int) else None

    def port(self) -> int | None:
        """The port the server listens on: its flag, its env, or the framework's default."""
        if self.framework is None:
            return None
        p = self.int_value("port")
        if p is not None:
            return p
        if self.framework.port_env and self.framework.port_env in self.env:
            raw = self.env[self.framework.port_env].value or ""
            n = as_int(raw.rsplit(":", 1)[-1])
            if n is not None:
                return n
        return self.framework.default_port


def _server_args(words: list[Word]) -> tuple[list[Word], bool]:
    """The words after the launcher (``vllm serve``, ``python -m …``, ``text-generation-launcher``)."""
    for i, w in enumerate(words):
        b = basename(w.text)
        if b in _LAUNCHERS:
            return words[i + 1 :], True
        if b in _SUBCOMMAND_OF and i > 0 and basename(words[i - 1].text) in _SUBCOMMAND_OF[b]:
            return words[i + 1 :], True
    return words, False


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
    if container.path[-1:] == ("model",) and "predictor" in container.path:
        fmt = container.data.get("modelFormat")
        name = fmt.get("name") if isinstance(fmt, dict) else None
        if isinstance(name, str) and name.lower() == "huggingface":
            return KSERVE_HF
    return None


def analyse(container: Container, find_configmap: Callable[[str], K8sObject | None]) -> Server | None:
    """The server in ``container``, or None for a plain (non-LLM, non-GPU) container."""
    env = resolve_env(container, find_configmap)
    command, args, has_command = container_argv(container, env)
    argv = command + args
    shell = unwrap_shell(argv, env) if argv else None
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
    if fw is None:
        if container.gpus() <= 0:
            return None
        return Server(container, None, env, chosen, in_shell=in_shell)
    words, found = _server_args(chosen)
    if (
        not found
        and has_command
        and not in_shell
        and fw.shell_entrypoint
        and by_command(" ".join(w.text for w in argv)) is None
    ):
        # ``command`` overrides the image's entrypoint with something we do not recognise (a wrapper
        # script): its flags may still be the server's, so read them.
        words = argv[1:]
    elif not found and not has_command and not in_shell:
        words = args  # the image's entrypoint is the server
    flags, positionals = parse_flags(fw, words)
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
    _, tag = image_repository(container.image)
    return Server(container, fw, env, words, flags, positionals, in_shell, tag)
