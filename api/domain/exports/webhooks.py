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
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

logger = logging.getLogger(__name__)

ATTEMPTS = 4
FIRST_DELAY = 1.0  # seconds, doubling: 1, 2, 4
TIMEOUT = 10.0


class WebhookRefused(ValueError):
    """The URL may not be called (scheme, or an address that is not public)."""


def sign(secret: str, body: bytes) -> str:
    """The `X-Taskroom-Signature` header value: `sha256=<hex HMAC-SHA256 of the body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# IPv6 forms that carry an IPv4 address in their last 32 bits (6to4 is `.sixtofour`).
_EMBEDDING_IPV4 = [
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix (RFC 6052)
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated; also :: and ::1)
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT, RFC 2765)
]
# Not delivered to whatever they embed: NAT64 for local use (RFC 8215), site-local (fec0::/10).
_NEVER = [ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("fec0::/10")]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _EMBEDDING_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_allowed(address: str, allow_private: bool = False) -> bool:
    """Whether a webhook may go to this IP address: public ones only, unless allowed.

    The one check of the API (at creation) and the worker (at delivery). An IPv6 address
    that stands for an IPv4 one (mapped, NAT64, 6to4, compatible, translated) is judged
    by that IPv4 address, as that is where the packets end up.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if allow_private:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _NEVER):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return embedded.is_global
    return ip.is_global


def check_url(url: str, allow_private: bool = False) -> None:
    """Refuse a URL that can never be delivered: not http(s), or a literal refused address.

    Names are left to `resolve`, at delivery (their answer can change until then); numeric
    hosts are read the way the resolver reads them (`127.1`, `2130706433`), without DNS.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("webhook_url must be an http(s) URL with a host")
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise WebhookRefused("webhook_url has an invalid port") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, None, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return  # a name, not an address
    if not all(is_allowed(str(info[4][0]), allow_private) for info in infos):
        raise WebhookRefused(f"webhook host {parts.hostname} is a private or reserved address")


async def resolve(url: str, allow_private: bool) -> tuple[str, str]:
    """(URL pointing at a checked address, original host); refuses non-public addresses."""
    check_url(url, allow_private)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(is_allowed(a, allow_private) for a in addresses):
        raise WebhookRefused(f"webhook host {host} resolves to a private or reserved address")
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return urlunsplit(parts._replace(netloc=netloc)), parts.netloc.rpartition("@")[2]


class _Transient(Exception):
    """A failure worth another attempt: the network, or a 5xx / 429 answer."""


def _log_retry(state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome else None
    logger.info("webhook attempt %d failed: %s", state.attempt_number, failure)


async def deliver(url: str, body: bytes, *, secret: str, allow_private: bool) -> bool:
    """POST the signed body; retried on network errors and 5xx/429. True once accepted (2xx)."""
    headers = {"Content-Type": "application/json", "X-Taskroom-Signature": sign(secret, body)}
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as http:

        async def attempt() -> bool:
            try:
                target, host = await resolve(url, allow_private)
                response = await http.post(
                    target,
                    content=body,
                    headers={**headers, "Host": host},
                    extensions={"sni_hostname": urlsplit(url).hostname},
                )
            except WebhookRefused as exc:
                logger.warning("webhook %s not sent: %s", url, exc)
                return False
            except (httpx.HTTPError, OSError) as exc:
                raise _Transient(str(exc)) from exc
            if response.is_success:
                return True
            if response.status_code >= 500 or response.status_code == 429:
                raise _Transient(f"{url} answered {response.status_code}")
            logger.warning("webhook %s refused with %s", url, response.status_code)
            return False

        retrying = AsyncRetrying(  # 1 s, 2 s, 4 s apart
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=FIRST_DELAY),
            retry=retry_if_exception_type(_Transient),
            before_sleep=_log_retry,
        )
        try:
            return await retrying(attempt)
        except RetryError:
            return False
