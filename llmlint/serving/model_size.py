"""Model size from its name, bytes per parameter from its precision, load time from its bytes."""

from __future__ import annotations

import itertools
import json
import math
import re
from functools import cache
from typing import Any

from llmlint import data as datafiles
from llmlint.lazyre import LazyRe

_PARAMS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*([BbMm])(?![A-Za-z0-9])")
_MOE = re.compile(r"(?<![A-Za-z0-9.])(\d+)x(\d+(?:\.\d+)?)([Bb])(?![A-Za-z0-9])")
_ANNOTATION = LazyRe(r"^\s*(\d+(?:\.\d+)?)\s*([BbMmTt]?)\s*$")

# (regex over the precision/quantization words, bytes per parameter)
_PRECISIONS: tuple[tuple[LazyRe, float], ...] = (
    (
        LazyRe(
            r"(?i)(^|[^a-z0-9])(awq|gptq|int4|w4a16|4bit|4-bit|nf4|bnb-4bit|bitsandbytes|gguf|q4(_[a-z0-9_]+)?|marlin|exl2)([^a-z0-9]|$)"
        ),
        0.5,
    ),
    (
        LazyRe(
            r"(?i)(^|[^a-z0-9])(fp8|int8|w8a8|w8a16|8bit|8-bit|q8(_0)?|eetq|fbgemm-fp8|fbgemm_fp8|nvfp8|mxfp8)([^a-z0-9]|$)"
        ),
        1.0,
    ),
    (LazyRe(r"(?i)(^|[^a-z0-9])(fp4|nvfp4|mxfp4)([^a-z0-9]|$)"), 0.5),
    (LazyRe(r"(?i)(^|[^a-z0-9])(float32|fp32)([^a-z0-9]|$)"), 4.0),
)
# Substrings one of which every match of the patterns above contains: most names have none, and then no
# pattern needs compiling.
_PRECISION_HINTS = ("awq", "gptq", "int", "w4", "w8", "bit", "nf4", "bnb", "gguf", "q4", "q8", "marlin", "exl2",
                    "fp", "eetq", "float32")  # fmt: skip

# The article's load times at 16-bit weights: 7B ≈ 5 min, 13B ≈ 10 min, 70B ≈ 25 min.
ARTICLE_POINTS: tuple[tuple[float, float], ...] = ((7.0, 300.0), (13.0, 600.0), (70.0, 1500.0))


@cache
def _models() -> list[dict[str, Any]]:
    try:
        text = datafiles.read("models.json")
    except (FileNotFoundError, OSError):
        return []
    return list(json.loads(text).get("models", []))


@cache
def model_info(model: str) -> dict[str, Any]:
    """The models.json entry for a model reference (patterns compile on first use, most specific first)."""
    for entry in _models():
        if re.search(entry["pattern"], model):
            return dict(entry)
    return {}


def params_from_annotation(value: str) -> float | None:
    m = _ANNOTATION.match(value)
    if not m:
        return None
    n = float(m.group(1))
    unit = m.group(2).upper()
    return n / 1000 if unit == "M" else n * 1000 if unit == "T" else n


def params_from_name(model: str) -> float | None:
    """Billions of parameters named by a model reference: ``8B``, ``70b``, ``1.5B``, ``8x7B``, ``405B``."""
    info = model_info(model)
    if "params_b" in info:
        return float(info["params_b"])
    m = _MOE.search(model)
    if m:
        experts, size = int(m.group(1)), float(m.group(2))
        # Experts share attention layers: a Mixtral 8x7B holds 46.7B, not 56B.
        return round(experts * size * 0.834, 1)
    found = _PARAMS.findall(model)
    if not found:
        return None
    n, unit = found[-1]
    value = float(n)
    return value / 1000 if unit in "Mm" else value


def bytes_per_param(*words: str | None) -> float:
    """2 for 16-bit weights; 1 for 8-bit; 0.5 for 4-bit — from flags or the model's name, flags first."""
    for w in words:
        if not w:
            continue
        low = w.lower()
        if not any(h in low for h in _PRECISION_HINTS):
            continue
        for rx, size in _PRECISIONS:
            if rx.search(w):
                return size
    return 2.0


# Quantisation methods applied while loading a 16-bit checkpoint (the download stays 16-bit): bitsandbytes
# (vLLM ``--quantization bitsandbytes``, TGI ``bitsandbytes-nf4/fp4``), dynamic FP8/INT8, EETQ.
_ON_LOAD = LazyRe(r"(?i)^(bitsandbytes(-nf4|-fp4)?|bnb|fp8|int8|experts_int8|eetq|fbgemm_fp8|ptpc_fp8)$")


def native_bytes_per_param(model: str | None) -> float | None:
    """Bytes per parameter a model ships in when its family is published that way (DeepSeek-V3/R1: FP8)."""
    if not model:
        return None
    v = model_info(model).get("bytes_per_param")
    return float(v) if isinstance(v, int | float) else None


def _named_precision(model: str) -> float | None:
    low = model.lower()
    if not any(h in low for h in _PRECISION_HINTS):
        return None
    for rx, size in _PRECISIONS:
        if rx.search(model):
            return size
    return None


def checkpoint_bytes_per_param(quant: str | None, model: str | None) -> float:
    """Bytes per parameter of the checkpoint on disk: the model's published precision or the one its
    name states (``-AWQ``, ``-FP8``, ``-bnb-4bit``); else 16-bit, also when ``quant`` quantises on load."""
    native = native_bytes_per_param(model)
    if native is not None:
        return native
    named = _named_precision(model) if model else None
    if named is not None:
        return named
    if quant and not _ON_LOAD.match(quant.strip()):
        return bytes_per_param(quant)  # awq, gptq, gguf…: the checkpoint is stored quantised
    return 2.0


def gpu_bytes_per_param(quant: str | None, dtype: str | None, model: str | None) -> float:
    """Bytes per parameter in GPU memory: the quantisation flag, else the model's published precision,
    else the dtype flag or the name."""
    if not quant:
        native = native_bytes_per_param(model)
        if native is not None:
            return native
    return bytes_per_param(quant, dtype, model)


def load_seconds(weight_gb: float, *, fixed_seconds: float, bandwidth_mb_s: float) -> float:
    """Seconds to load ``weight_gb`` of weights: the article's figures are the floor.

    The floor interpolates the article's points (converted to 16-bit bytes) linearly and extends the last
    segment beyond them; the measured model (fixed overhead + bytes / bandwidth) wins where it is slower.
    """
    pts = [(0.0, min(fixed_seconds, ARTICLE_POINTS[0][1]))] + [(p * 2.0, s) for p, s in ARTICLE_POINTS]
    floor = pts[-1][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if weight_gb <= x1:
            floor = y0 + (y1 - y0) * (weight_gb - x0) / (x1 - x0)
            break
    else:
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        floor = y1 + (y1 - y0) * (weight_gb - x1) / (x1 - x0)
    measured = fixed_seconds + weight_gb * 1000.0 / max(bandwidth_mb_s, 1e-6)
    return float(math.ceil(max(floor, measured)))
