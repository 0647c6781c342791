"""Personal access token secrets: made here, kept only as a sha256 digest."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "trp_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """A plain sha256 suffices: the secret has 256 random bits, nothing to brute-force."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(PREFIX)
