"""Secrets out of the journal: masking by key name, by registered secret value, by pattern.

Values of parameters marked secret, tokens, passwords and Authorization headers are replaced
by `***` before anything is written to an incident journal or an export.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

MASK = "***"
# Authorization headers get their own pattern (keeps the scheme); the rest are key=value forms.
_VALUE_WORDS = (
    r"token|passw(?:or)?d|(?<![a-z])pass(?![a-z])|secret|api[_-]?key|cookie|credential"
    r"|private[_-]?key"
)
_SECRET_WORDS = _VALUE_WORDS + "|authorization"
_SECRET_KEY = re.compile(_SECRET_WORDS, re.IGNORECASE)
_HINT = re.compile(_SECRET_WORDS + "|bearer|basic", re.IGNORECASE)
_AUTH_HEADER = re.compile(
    r"(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
    r"((?:bearer|basic|token|digest|negotiate)\s+)?([^\s\"',;]+)",
    re.IGNORECASE,
)
# "Basic" and "bearer" are also English words: only mask what looks like a credential after them.
_SCHEME_TOKEN = re.compile(r"\b(bearer\s+|basic\s+)([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
_KEY_VALUE = re.compile(
    rf"(\b[\w.-]*(?:{_VALUE_WORDS})[\w.-]*[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s\"',;&]+)",
    re.IGNORECASE,
)


def _mask_scheme_token(match: re.Match[str]) -> str:
    token = match.group(2)
    looks_like_credential = (
        len(token) >= 16
        or not token.isalpha()
        or (token[1:].lower() != token[1:] and token[1:].upper() != token[1:])
    )
    return match.group(1) + MASK if looks_like_credential else match.group(0)


class Redactor:
    """Masks secrets in JSON-like data; built once per set of registered secret values."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        """Compile the masks for the given secret values (shorter than 4 characters ignored)."""
        values = sorted({v for v in secret_values if isinstance(v, str) and len(v) >= 4}, key=len)
        self._values: re.Pattern[str] | None = (
            re.compile("|".join(re.escape(v) for v in reversed(values))) if values else None
        )

    def text(self, value: str) -> str:
        """Return `value` with secret values, auth headers and key=value secrets masked."""
        if self._values is not None:
            value = self._values.sub(MASK, value)
        if _HINT.search(value):  # most strings hold no hint of a credential: skip the subs
            value = _AUTH_HEADER.sub(lambda m: m.group(1) + (m.group(2) or "") + MASK, value)
            value = _SCHEME_TOKEN.sub(_mask_scheme_token, value)
            value = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, value)
        return value

    def __call__(self, data: Any) -> Any:
        """Return a JSON-safe deep copy of `data` with every secret masked."""
        if isinstance(data, str):
            return self.text(data)
        if data is None or isinstance(data, bool | int):
            return data
        if isinstance(data, float):
            # NaN/Infinity are not JSON; keep them readable instead of failing the append.
            return data if math.isfinite(data) else str(data)
        if isinstance(data, Mapping):
            out: dict[str, Any] = {}
            for key, value in data.items():
                name = self.text(str(key))
                secret = value is not None and _SECRET_KEY.search(name) is not None
                out[name] = MASK if secret else self(value)
            # Kubernetes env vars and header lists: {"name": "DB_PASSWORD", "value": "…"}.
            if isinstance(out.get("name"), str) and _SECRET_KEY.search(out["name"]):
                for key in ("value", "val"):
                    if out.get(key) is not None:
                        out[key] = MASK
            return out
        if isinstance(data, list | tuple | set | frozenset):
            # Sets have no order: sort so the same data always gives the same journal line.
            ordered = sorted(data, key=repr) if isinstance(data, set | frozenset) else data
            items = [self(item) for item in ordered]
            # Header pairs: ("Authorization", "Bearer …").
            if len(items) == 2 and isinstance(items[0], str) and _SECRET_KEY.search(items[0]):
                items[1] = MASK
            return items
        return self.text(str(data))  # paths, datetimes, enums: journal their text form


@lru_cache(maxsize=32)
def _redactor(values: frozenset[str]) -> Redactor:
    return Redactor(values)


def redact(data: Any, secret_values: Iterable[str] = ()) -> Any:
    """Return a deep copy of `data` with secret keys, secret values and auth tokens masked."""
    return _redactor(frozenset(secret_values))(data)


# --- state replay ---------------------------------------------------------------------------
