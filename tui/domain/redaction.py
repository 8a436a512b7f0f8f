"""Secrets out of the journal: masking by key name, by registered secret value, by pattern.

Values of parameters marked secret, tokens, passwords, Authorization headers and the user-info
of URLs are replaced by `***` before anything is written to an incident journal, a terminal or
an export. A registered value is masked in every form it takes on the way there: raw,
URL-encoded, JSON-escaped and base64 (also inside a longer base64 text, as in Basic auth).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
SECRET_MIN = 4  # shorter values are masked only where they stand alone (see `Redactor`)
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
# key=value and key: value, where the key names a secret. A key is matched only from the start
# of its run of name characters and checked for a secret word afterwards: a pattern with the
# words inside (`[\w.-]*(?:token|…)[\w.-]*`) rescans a long dotted run ("a.a.a…") from every
# word boundary, quadratic in the length of a step's output.
_KEY = re.compile(r"(?<![\w.-])[\w.-]+[\"']?\s*[=:]\s*")
_VALUE = re.compile(r"\"[^\"]*\"|'[^']*'|[^\s\"',;&]+")
_VALUE_WORD = re.compile(_VALUE_WORDS, re.IGNORECASE)


def _mask_key_values(text: str) -> str:
    """`text` with the value after every key that names a secret masked."""
    out: list[str] = []
    pos = 0
    while (key := _KEY.search(text, pos)) is not None:
        value = _VALUE.match(text, key.end())
        if value is None or not _VALUE_WORD.search(key.group(0)):
            # Not a secret: its value may itself be a key (`failed: token=…`), so go on there.
            out.append(text[pos:key.end()])
            pos = key.end()
            continue
        out.append(text[pos:key.end()] + MASK)
        pos = value.end()
    out.append(text[pos:])
    return "".join(out)


def _mask_scheme_token(match: re.Match[str]) -> str:
    token = match.group(2)
    looks_like_credential = (
        len(token) >= 16
        or not token.isalpha()
        or (token[1:].lower() != token[1:] and token[1:].upper() != token[1:])
    )
    return match.group(1) + MASK if looks_like_credential else match.group(0)


# scheme://userinfo@ — greedy up to the authority's last "@", as urlsplit reads it.
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.\-]{0,31}://)([^\s/?#\"'<>\\]*)@", re.IGNORECASE)
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(data: bytes) -> set[str]:
    """Base64 (standard and URL-safe, padded or not) of `data`, alone or inside a longer text.

    Inside a longer encoded text (`user:secret` in Basic auth) the value's characters depend on
    its offset modulo 3: for each offset keep only the characters made of the value's bits."""
    forms: set[str] = set()
    for offset, skip in ((0, 0), (1, 2), (2, 3)):
        full = base64.b64encode(bytes(offset) + data).decode()
        whole = (len(data) + offset) * 8 // 6  # characters not touched by what follows
        core = full[skip:whole]
        if offset == 0:
            forms.add(full)
            forms.add(full.rstrip("="))
        if len(core) >= SECRET_MIN:
            forms.add(core)
    return forms | {f.replace("+", "-").replace("/", "_") for f in forms}


def encoded_forms(value: str) -> set[str]:
    """The forms `value` takes in URLs, JSON, and base64 text (raw included)."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value),
             quote(value, safe="!'()*~")}  # the last one is JavaScript's encodeURIComponent
    forms |= {_PERCENT.sub(lambda m: m.group(0).lower(), f) for f in forms}
    for ascii_only in (True, False):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        forms |= {escaped, json.dumps(escaped, ensure_ascii=ascii_only)[1:-1]}
    forms |= _base64_forms(value.encode("utf-8"))
    return {f for f in forms if f}


def url_credentials(texts: Iterable[str]) -> tuple[str, ...]:
    """The user-info secrets of URLs in `texts` (password, else a token used as the user name),
    as written and decoded: registered, they are masked in every other form too."""
    found: list[str] = []
    for text in texts:
        for match in _USERINFO.finditer(text):
            user, colon, password = match.group(2).partition(":")
            secret = password if colon else user
            found += [secret, unquote(secret)]
    return tuple(dict.fromkeys(s for s in found if s))


def mask_userinfo(text: str) -> str:
    """`text` with the password (or token user name) of every URL's user-info masked."""
    if "://" not in text:
        return text
    return _USERINFO.sub(_mask_userinfo, text)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group(2).partition(":")
    return match.group(1) + (f"{user}:{MASK}" if colon else MASK) + "@"


class Redactor:
    """Masks secrets in JSON-like data; built once per set of registered secret values."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        """Compile the masks for the given secret values in all their encoded forms.

        Values shorter than `SECRET_MIN` are masked only as whole words: inside other words
        they would mask half the journal (runbook parameters refuse such secrets outright)."""
        values = {v for v in secret_values if isinstance(v, str) and v}
        forms = sorted({f for v in values if len(v) >= SECRET_MIN for f in encoded_forms(v)},
                       key=len, reverse=True)  # longest first: a form may contain another
        short = sorted({f for v in values if len(v) < SECRET_MIN
                        for f in (v, quote(v, safe=""), json.dumps(v)[1:-1])},
                       key=len, reverse=True)
        patterns = [re.escape(f) for f in forms]
        patterns += [rf"(?<![A-Za-z0-9]){re.escape(f)}(?![A-Za-z0-9])" for f in short]
        self._values: re.Pattern[str] | None = (
            re.compile("|".join(patterns)) if patterns else None
        )

    def text(self, value: str) -> str:
        """Return `value` with secret values, URL credentials, auth headers and key=value
        secrets masked."""
        if self._values is not None:
            value = self._values.sub(MASK, value)
        value = mask_userinfo(value)
        if _HINT.search(value):  # most strings hold no hint of a credential: skip the subs
            value = _AUTH_HEADER.sub(lambda m: m.group(1) + (m.group(2) or "") + MASK, value)
            value = _SCHEME_TOKEN.sub(_mask_scheme_token, value)
            value = _mask_key_values(value)
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
