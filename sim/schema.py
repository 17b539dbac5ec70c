"""Strict conversion of plain dictionaries (resolved YAML) into typed dataclasses.

A configuration mistake must fail loudly and in one line: an unknown or misspelt key, a value of
the wrong type, a negative rate or a probability outside [0, 1]. Fields declare their bounds with
the helpers below (``nonneg``, ``positive``, ``probability``); :func:`build` enforces them.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Literal, Mapping, get_args, get_origin


class ConfigError(ValueError):
    """A configuration value is invalid. The message is one line meant for the user."""


def _bounded(default: Any, lo: float | None, hi: float | None, lo_open: bool = False) -> Any:
    meta = {"lo": lo, "hi": hi, "lo_open": lo_open}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def nonneg(default: Any = dataclasses.MISSING) -> Any:
    """A number that must be >= 0 (counts, rates, durations, minutes)."""
    return _bounded(default, 0.0, None)


def positive(default: Any = dataclasses.MISSING) -> Any:
    """A number that must be > 0 (intervals, means of durations)."""
    return _bounded(default, 0.0, None, lo_open=True)


def probability(default: Any = dataclasses.MISSING) -> Any:
    """A share or probability in [0, 1]."""
    return _bounded(default, 0.0, 1.0)


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if tp is float:
        return "a number"
    if tp is int:
        return "a whole number"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a text"
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(tp))
    if origin in (list, tuple):
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a mapping"
    return str(tp)


def _unknown_key(path: str, key: str, valid: list[str]) -> ConfigError:
    where = f"{path}.{key}" if path else key
    close = difflib.get_close_matches(str(key), valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return ConfigError(f"unknown key '{where}'{hint}; valid keys here: {', '.join(sorted(valid))}")


def build(tp: Any, value: Any, path: str = "") -> Any:
    """Convert ``value`` to type ``tp``, raising :class:`ConfigError` naming ``path`` on failure."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return build(inner, value, path)
    if dataclasses.is_dataclass(tp):
        return _build_dataclass(tp, value, path)
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        if not isinstance(value, Mapping):
            raise ConfigError(f"'{path}' must be {_describe(tp)}, got {value!r}")
        return {str(k): build(val_tp, v, f"{path}.{k}") for k, v in value.items()}
    if origin in (list, tuple):
        (item_tp, *_) = get_args(tp)
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"'{path}' must be a list, got {value!r}")
        return [build(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(
                f"'{path}' = {value!r} is not valid; valid values: {', '.join(map(str, allowed))}"
            )
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{path}' must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"'{path}' must be a whole number, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{path}' must be a number, got {value!r}")
        if value != value:
            raise ConfigError(f"'{path}' must be a number, got NaN")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"'{path}' must be a text, got {value!r}")
        return value
    if tp is Any:
        return value
    raise TypeError(f"schema type {tp!r} at {path} is not supported")


def _check_bounds(f: dataclasses.Field, value: Any, path: str) -> None:
    meta = f.metadata
    if not meta or not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None:
        if meta.get("lo_open") and not value > lo:
            raise ConfigError(f"'{path}' = {value!r} must be greater than {lo:g}")
        if value < lo:
            raise ConfigError(f"'{path}' = {value!r} must not be negative")
    if hi is not None and value > hi:
        raise ConfigError(f"'{path}' = {value!r} is a probability and must lie in [0, 1]")


def _build_dataclass(cls: Any, value: Any, path: str) -> Any:
    if not isinstance(value, Mapping):
        raise ConfigError(f"'{path or 'config'}' must be a mapping, got {value!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in value:
        if key not in fields:
            raise _unknown_key(path, str(key), list(fields))
    kwargs = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"missing key '{sub}' ({_describe(hints[name])})")
            continue
        converted = build(hints[name], value[name], sub)
        _check_bounds(f, converted, sub)
        kwargs[name] = converted
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if check is not None:
        check(path)
    return obj
