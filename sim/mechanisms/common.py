"""Checks shared by the mechanisms' configurations."""
from __future__ import annotations

from ..config import GROUPS
from ..schema import ConfigError


def check_groups(groups: list[str], path: str) -> None:
    """Every name in ``groups`` is a benefit group (one line naming the valid ones if not)."""
    for g in groups:
        if g not in GROUPS:
            raise ConfigError(f"'{path}' names unknown group '{g}'; valid: {', '.join(GROUPS)}")
