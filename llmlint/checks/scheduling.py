"""Rules of the scheduling family."""

from __future__ import annotations
