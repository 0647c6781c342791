"""Signed webhook delivery (contract §3): http(s) only, public addresses only, retried with backoff.

The name is resolved here and the request goes to the very address that was checked (the
URL's host stays in `Host` and in TLS SNI), so a DNS answer that changes between the check
and the connection (rebinding) cannot smuggle a request to a private service.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import socket
from urllib.parse import urlsplit, urlunsplit

import httpx

logger = logging.getLogger(__name__)

ATTEMPTS = 4
FIRST_DELAY = 1.0  # seconds, doubling: 1, 2, 4
TIMEOUT = 10.0


class WebhookRefused(ValueError):
    """The URL may not be called (scheme, or an address that is not public)."""


def sign(secret: str, body: bytes) -> str:
    """The `X-Taskroom-Signature` header value: `sha256=<hex HMAC-SHA256 of the body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("webhook_url must be an http(s) URL with a host")


def _allowed(address: str, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return allow_private or ip.is_global


async def resolve(url: str, allow_private: bool) -> tuple[str, str]:
    """(URL pointing at a checked address, original host); refuses non-public addresses."""
    check_scheme(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(_allowed(a, allow_private) for a in addresses):
        raise WebhookRefused(f"webhook host {host} resolves to a private or reserved address")
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return urlunsplit(parts._replace(netloc=netloc)), parts.netloc.rpartition("@")[2]


async def deliver(url: str, body: bytes, *, secret: str, allow_private: bool) -> bool:
    """POST the signed body; retried on network errors and 5xx/429. True once accepted (2xx)."""
    headers = {"Content-Type": "application/json", "X-Taskroom-Signature": sign(secret, body)}
    delay = FIRST_DELAY
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as http:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                target, host = await resolve(url, allow_private)
                response = await http.post(
                    target,
                    content=body,
                    headers={**headers, "Host": host},
                    extensions={"sni_hostname": urlsplit(url).hostname},
                )
                if response.is_success:
                    return True
                if response.status_code < 500 and response.status_code != 429:
                    logger.warning("webhook %s refused with %s", url, response.status_code)
                    return False
            except WebhookRefused as exc:
                logger.warning("webhook %s not sent: %s", url, exc)
                return False
            except (httpx.HTTPError, OSError) as exc:
                logger.info("webhook %s attempt %d failed: %s", url, attempt, exc)
            if attempt < ATTEMPTS:
                await asyncio.sleep(delay)
                delay *= 2
    return False
