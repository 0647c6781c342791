"""Public key text in, checked with asyncssh; rows out as wire structs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncssh
import msgspec

from api.db.models import SshKey
from api.domain.errors import Invalid
from api.wire import LINE
from api.wire import SshKey as SshKeyOut

# Key types OpenSSH still offers by default; DSA is gone and short RSA keys are refused below.
ALLOWED_ALGORITHMS = frozenset(
    {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-rsa",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
MIN_RSA_BITS = 2048
_LINE = re.compile(LINE)


@dataclass(frozen=True)
class ParsedKey:
    algorithm: str
    fingerprint: str
    public_key: str  # "<algorithm> <base64>", without the comment
    comment: str


def parse_public_key(text: str) -> ParsedKey:
    """One OpenSSH public key, or a 400 that says what is wrong with it."""
    if "PRIVATE KEY" in text:
        # asyncssh would happily take the public half; refuse loudly, the secret has leaked.
        raise Invalid(
            detail="That is a private key: paste the public one (the .pub file) and keep "
            "the private key secret"
        )
    try:
        key = asyncssh.import_public_key(text.strip())
    except (asyncssh.KeyImportError, ValueError):
        raise Invalid(
            detail="Not an SSH public key: paste one line like 'ssh-ed25519 AAAA… you@host'"
        ) from None
    algorithm = key.get_algorithm()
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Invalid(detail=f"Key type {algorithm} is not accepted")
    bits = getattr(key.pyca_key, "key_size", None)
    if algorithm == "ssh-rsa" and isinstance(bits, int) and bits < MIN_RSA_BITS:
        raise Invalid(detail=f"RSA keys need at least {MIN_RSA_BITS} bits")
    comment = key.get_comment() or ""
    if not _LINE.search(comment):
        # The comment becomes the key's name: it is text like any other (contract §7).
        raise Invalid(detail="The key's comment holds control characters")
    return ParsedKey(
        algorithm=algorithm,
        fingerprint=key.get_fingerprint("sha256"),
        public_key=" ".join(key.export_public_key("openssh").decode().split()[:2]),
        comment=comment,
    )


def ssh_key_out(row: SshKey) -> SshKeyOut:
    return msgspec.convert(row, SshKeyOut, from_attributes=True)
