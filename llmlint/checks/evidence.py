"""Rules of the evidence family."""

from __future__ import annotations
