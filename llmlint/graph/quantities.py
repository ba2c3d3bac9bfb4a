"""Kubernetes resource quantities (``8``, ``500m``, ``32Gi``, ``1.5e3``) as exact rationals.

Exact, because ``1Gi`` and ``1073741824`` are the same request and the API server compares them so;
integers rather than ``decimal``, which would add a module to every scan's start.
"""

from __future__ import annotations

import math
import re
from typing import Any

_QUANTITY = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX: dict[str | None, tuple[int, int]] = {
    None: (1, 1),
    "n": (1, 10**9),
    "u": (1, 10**6),
    "m": (1, 10**3),
    "k": (10**3, 1),
    "M": (10**6, 1),
    "G": (10**9, 1),
    "T": (10**12, 1),
    "P": (10**15, 1),
    "E": (10**18, 1),
    "Ki": (2**10, 1),
    "Mi": (2**20, 1),
    "Gi": (2**30, 1),
    "Ti": (2**40, 1),
    "Pi": (2**50, 1),
    "Ei": (2**60, 1),
}
MAX_EXPONENT = 30  # larger is not a quantity anyone means (and 10**huge would cost memory)

Quantity = tuple[int, int]  # numerator, denominator > 0, reduced


def quantity(value: Any) -> Quantity | None:
    """The exact value of a quantity, or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return (value, 1) if abs(value) < 10**40 else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    m = _QUANTITY.match(str(value).strip())
    if m is None:
        return None
    sign, whole, frac, exp, suffix = m.groups()
    frac = frac or ""
    if not whole and not frac:
        return None
    if len(whole) + len(frac) > 40:
        return None
    num, den = int((whole or "0") + frac), 10 ** len(frac)
    e = int(exp) if exp else 0
    if abs(e) > MAX_EXPONENT:
        return None
    if e >= 0:
        num *= 10**e
    else:
        den *= 10**-e
    mul, div = _SUFFIX[suffix]
    num, den = num * mul, den * div
    if sign == "-":
        num = -num
    g = math.gcd(num, den) or 1
    return num // g, den // g


def same(a: Any, b: Any) -> bool:
    """Whether two quantities are equal; unreadable ones compare as written."""
    qa, qb = quantity(a), quantity(b)
    if qa is None or qb is None:
        return str(a).strip() == str(b).strip()
    return qa == qb


def as_float(value: Any) -> float | None:
    q = quantity(value)
    return None if q is None else q[0] / q[1]
