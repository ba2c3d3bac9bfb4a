"""Data files shipped with llmlint: server flags by version, GPUs, model families."""

from __future__ import annotations

import os

DATA_DIR = os.path.dirname(os.path.abspath(__file__))


def read(name: str) -> str:
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as fh:
        return fh.read()
