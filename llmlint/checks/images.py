"""Images and servers: what runs, at which version, with which flags."""

from __future__ import annotations

from collections.abc import Iterator

from llmlint.checks import Context, check, make_fix
from llmlint.model import AppendItem, Edit, Finding, Fix, RemoveItem, ReplaceInString, SetValue
from llmlint.serving import flags as flagdata
from llmlint.serving.frameworks import TGI, by_image, image_repository, strip_registry
from llmlint.serving.server import Flag, Server

# TGI launcher flag → vLLM flag (None: no vLLM equivalent, dropped).
TGI_TO_VLLM: dict[str, str | None] = {
    "--model-id": "--model",
    "--num-shard": "--tensor-parallel-size",
    "--max-total-tokens": "--max-model-len",
    "--quantize": "--quantization",
    "--port": "--port",
    "-p": "--port",
    "--hostname": "--host",
    "--dtype": "--dtype",
    "--revision": "--revision",
    "--trust-remote-code": "--trust-remote-code",
    "--max-concurrent-requests": "--max-num-seqs",
    "--max-batch-prefill-tokens": "--max-num-batched-tokens",
    "--huggingface-hub-cache": "--download-dir",
    "--cuda-memory-fraction": "--gpu-memory-utilization",
    "--api-key": "--api-key",
    "--max-input-tokens": None,
    "--max-input-length": None,
    "--max-batch-total-tokens": None,
    "--sharded": None,
    "--json-output": None,
    "--max-best-of": None,
    "--max-stop-sequences": None,
    "--max-top-n-tokens": None,
    "--waiting-served-ratio": None,
    "--max-waiting-tokens": None,
    "--disable-custom-kernels": None,
    "--otlp-endpoint": "--otlp-traces-endpoint",
}
TGI_QUANTIZE_TO_VLLM: dict[str, str | None] = {
    "awq": "awq",
    "gptq": "gptq",
    "marlin": "gptq_marlin",
    "fp8": "fp8",
    "bitsandbytes": "bitsandbytes",
    "bitsandbytes-nf4": "bitsandbytes",
    "bitsandbytes-fp4": "bitsandbytes",
    "compressed-tensors": "compressed-tensors",
    "exl2": None,
    "eetq": None,
}
VLLM_COMMAND = ["python3", "-m", "vllm.entrypoints.openai.api_server"]


def _is_tgi(s: Server) -> bool:
    return (s.framework is TGI) or by_image(s.container.image) is TGI


def _migrate_flag(f: Flag) -> tuple[str | None, str | None, str]:
    """(vLLM flag, its value, a note) for one TGI flag."""
    name = f.name
    new = TGI_TO_VLLM.get(name)
    if name not in TGI_TO_VLLM:
        return None, None, f"dropped {name} (no vLLM equivalent known)"
    if new is None:
        return None, None, f"dropped {name} (vLLM sizes it from --max-model-len)"
    value = f.value
    if name == "--quantize" and value is not None:
        mapped = TGI_QUANTIZE_TO_VLLM.get(value.lower(), value)
        if mapped is None:
            return None, None, f"dropped --quantize {value} (vLLM has no {value} kernels)"
        value = mapped
    return new, value, ""


def migration_fix(ctx: Context, s: Server) -> Fix | None:
    """Edits that turn a TGI container into a vLLM one, keeping its model, parallelism and port."""
    c = s.container
    if s.in_shell:
        return None
    tgt = c.obj.target
    edits: list[Edit] = [SetValue(tgt, (*c.path, "image"), str(ctx.param("vllm-image")))]
    edits.append(SetValue(tgt, (*c.path, "command"), list(VLLM_COMMAND)))
    notes: list[str] = []
    seen: set[str] = set()
    for f in s.flags:
        new, value, note = _migrate_flag(f)
        if note:
            notes.append(note)
        if f.env is not None:
            # configured through the environment: pass it on the command line
            if new is not None:
                edits.append(AppendItem(tgt, (*c.path, "args"), f"{new}=$({f.env.name})"))
                seen.add(new)
            continue
        name_item, value_item = f.word.anchor.path, f.value_word.anchor.path if f.value_word else None
        if name_item[:-2] != c.path or (value_item is not None and value_item[:-2] != c.path):
            return None  # written somewhere we cannot rewrite item by item
        if new is None:
            edits.append(RemoveItem(tgt, name_item))
            if value_item is not None and value_item != name_item:
                edits.append(RemoveItem(tgt, value_item))
            continue
        seen.add(new)
        if value_item == name_item:
            edits.append(SetValue(tgt, name_item, f"{new}={value}" if value is not None else new))
        else:
            edits.append(SetValue(tgt, name_item, new))
            if value_item is not None and value is not None and value != f.value:
                edits.append(SetValue(tgt, value_item, value))
    if "--port" not in seen:
        edits.append(AppendItem(tgt, (*c.path, "args"), f"--port={s.port() or 80}"))
    if "--model" not in seen and s.model():
        edits.append(AppendItem(tgt, (*c.path, "args"), f"--model={s.model()}"))
    desc = (
        f"migrate container {c.name!r} to vLLM ({ctx.param('vllm-image')}): --model-id → --model, "
        "--num-shard → --tensor-parallel-size, --max-total-tokens → --max-model-len, --quantize → "
        f"--quantization; listening port {s.port() or 80} kept"
    )
    if notes:
        desc += "; " + "; ".join(notes)
    return make_fix("unsafe", desc, *edits)


@check("LLM007")
def tgi_in_maintenance(ctx: Context) -> Iterator[Finding]:
    for s in ctx.servers:
        if not _is_tgi(s):
            continue
        c = s.container
        msg = (
            f"{c.image or 'text-generation-launcher'} is Text Generation Inference: Hugging Face put TGI in "
            "maintenance mode on 2025-12-11 and archived its repository (read-only) on 2026-03-21 — no fixes "
            "for new models, CUDA releases or security issues; migrate to vLLM or SGLang"
        )
        path = (*c.path, "image") if c.image else (*c.path, "name")
        yield ctx.finding("LLM007", c.obj, path, msg, container=c, fix=migration_fix(ctx, s))


@check("LLM008")
def image_not_pinned(ctx: Context) -> Iterator[Finding]:
    pins = {str(k): str(v) for k, v in (ctx.param("image-pins") or {}).items()}
    for s in ctx.inference_servers():
        c = s.container
        image = c.image
        if not image or "@" in image:
            continue  # a digest pins the image
        repo, tag = image_repository(image)
        if tag not in (None, "latest"):
            continue
        pin = pins.get(repo) or pins.get(strip_registry(repo))
        fix = None
        if pin:
            new = f"{repo}:{pin}"
            fix = make_fix(
                "safe",
                f"pin the image to {new} (config image-pins)",
                SetValue(c.obj.target, (*c.path, "image"), new),
            )
        what = "the :latest tag" if tag else "no tag (that is :latest)"
        msg = (
            f"{image} uses {what}: every restart may pull another server version, with other flags, defaults "
            "and memory use — and nodes cache different versions; pin a version tag or a digest"
        )
        yield ctx.finding("LLM008", c.obj, (*c.path, "image"), msg, container=c, fix=fix)


_FLAG_DATA = {"vllm": "vllm", "sglang": "sglang", "tgi": "tgi"}


@check("LLM021")
def unknown_server_flag(ctx: Context) -> Iterator[Finding]:
    for s in ctx.inference_servers():
        fw = s.framework
        if fw is None or fw.key not in _FLAG_DATA or not s.argv_known:
            continue  # no flag data, or arguments a wrapper script reads (not the server's own)
        key = _FLAG_DATA[fw.key]
        version = s.version  # None: a custom build, a digest, latest: judged against every release
        listed = flagdata.resolve_version(key, version) if version else None
        for f in s.flags:
            if f.env is not None:
                continue
            known = flagdata.is_known(key, f.name, listed and version)
            if known is not False:
                continue
            hint = flagdata.suggest(key, f.name, listed and version)
            if listed:
                msg = f"{fw.title} {version} does not accept {f.name}"
            else:
                what = (
                    f"tag {s.raw_tag!r} is no release"
                    if s.raw_tag and s.raw_tag != "latest"
                    else "image version unknown"
                )
                msg = f"no {fw.title} release accepts {f.name} ({what})"
            msg += ": the server exits with a usage error and the pod crash-loops"
            if not listed and len(msg) > 130:
                msg = msg.replace(" and the pod crash-loops", " (crash loop)")
            if hint:
                msg += f"; did you mean {hint}?"
            obj, path, span = f.anchor()
            yield ctx.finding(
                "LLM021", obj, path, msg, container=s.container, fix=_flag_fix(s, f, hint), span=span
            )


def _flag_fix(s: Server, f: Flag, hint: str | None) -> Fix | None:
    origin = f.word.origin(0, len(f.name))
    if hint:
        if origin is None:
            return None
        return make_fix(
            "safe",
            f"rename {f.name} to {hint}",
            ReplaceInString(origin.obj.target, origin.path, origin.start, origin.end, f.name, hint),
        )
    whole = f.word.origin()
    if s.in_shell or whole is None or whole.start != 0:
        return None
    edits: list[Edit] = [RemoveItem(whole.obj.target, whole.path)]
    if f.value_word is not None and f.value_word is not f.word:
        vo = f.value_word.origin()
        if vo is None:
            return None
        edits.append(RemoveItem(vo.obj.target, vo.path))
    return make_fix(
        "unsafe", f"drop {f.name}" + (f" {f.value}" if f.value and f.value_word is not f.word else ""), *edits
    )
