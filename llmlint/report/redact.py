"""Credentials never leave llmlint: every output passes through :func:`redact`."""

from __future__ import annotations

import re

# Hugging Face user access tokens: ``hf_`` and 30-odd letters and digits (the placeholder in the article is
# all x's, which is masked too: a reader cannot tell a real token from a placeholder at a glance).
HF_TOKEN = re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{8,}(?![A-Za-z0-9])")


def redact(text: str) -> str:
    return HF_TOKEN.sub(lambda m: m.group(0)[:3] + "…", text) if "hf_" in text else text
