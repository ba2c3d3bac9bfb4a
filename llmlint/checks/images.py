"""Images and servers: what runs, at which version, with which flags."""

from __future__ import annotations

import re
from collections.abc import Iterator

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import at, from_runtime, merged_first_last, model_name, once
from llmlint.checks.tgi_migration import migration_fix
from llmlint.model import Edit, Finding, Fix, RemoveItem, ReplaceInString, SetValue
from llmlint.serving import flags as flagdata
from llmlint.serving.frameworks import TGI, by_image, image_repository, strip_registry
from llmlint.serving.server import Flag, Server


def _is_tgi(s: Server) -> bool:
    return (s.framework is TGI) or by_image(s.container.image) is TGI


@check("LLM007")
def tgi_in_maintenance(ctx: Context) -> Iterator[Finding]:
    return once(_tgi_in_maintenance(ctx))


def _tgi_in_maintenance(ctx: Context) -> Iterator[Finding]:
    for s in merged_first_last(ctx.servers):
        if not _is_tgi(s):
            continue
        c = s.container
        fix: Fix | None
        why_not: str | None
        if from_runtime(c):
            fix, why_not = None, "the server is its ServingRuntime's"
        else:
            fix, why_not = migration_fix(ctx, s)
        _, tag = image_repository(c.image)
        release = (
            f"Text Generation Inference {tag}" if tag and tag != "latest" else "Text Generation Inference"
        )
        subject = model_name(s) or "the server"
        msg = f"{subject} runs on {release}, archived on 2026-03-21: migrate to vLLM or SGLang"
        if why_not:
            msg += f"; no fix: {why_not}"
        path = (*c.path, "image") if c.image else (*c.path, "name")
        yield ctx.finding("LLM007", c.obj, path, msg, container=c, fix=fix)


# A server release written into the repository's own name after the server's name
# (``huggingface-text-generation-inference-cu124.2-3.ubuntu2204.py311``, ``vllm-0.6.3``): the image stays on
# that release whatever ``latest`` of it points to. A model's version (``llama-3.1-8b``) is not one.
_VERSION_IN_NAME = re.compile(
    r"(?i)(text-generation-inference|tgi|vllm|sglang|tritonserver|triton|llama\.?cpp|ollama)"
    r".*(?:^|[.\-_])v?\d+[.\-_]\d+(?:[.\-_]\d+)*(?=$|[.\-_])"
)


# Tags that follow a branch, not a release.
MOVING_TAGS = frozenset({"latest", "nightly", "main", "master", "dev", "edge"})


def version_in_name(repo: str) -> bool:
    return bool(_VERSION_IN_NAME.search(repo.rsplit("/", 1)[-1]))


@check("LLM008")
def image_not_pinned(ctx: Context) -> Iterator[Finding]:
    return once(_image_not_pinned(ctx))


def _image_not_pinned(ctx: Context) -> Iterator[Finding]:
    pins = {str(k): str(v) for k, v in (ctx.param("image-pins") or {}).items()}
    for s in merged_first_last(ctx.servers):
        c = s.container
        image = c.image
        if s.framework is None and by_image(image) is None:
            continue  # a GPU container of no inference image (an idle server image still counts)
        if not image or "@" in image or "$(" in image or "{{" in image:
            continue  # a digest pins the image; a placeholder is not an image yet
        repo, tag = image_repository(image)
        if (tag is not None and tag.lower() not in MOVING_TAGS) or version_in_name(repo):
            continue
        pin = pins.get(repo) or pins.get(strip_registry(repo))
        obj, path = at(c, "image")
        fix = None
        if pin:
            new = f"{repo}:{pin}"
            fix = make_fix(
                "safe",
                f"pin the image to {new} (config image-pins)",
                SetValue(obj.target, path, new),
            )
        what = f"the moving :{tag} tag" if tag else "no tag (:latest)"
        m = model_name(s)
        serving = f" ({m})" if m else ""
        msg = (
            f"{image}{serving} has {what}: a restart may pull another release with other flags; "
            "pin a version or a digest"
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
