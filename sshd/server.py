"""The asyncssh server: authentication against Taskroom accounts and one app per session.

Nothing but the app is offered: no shell, exec, subsystems (sftp/scp), port forwarding,
agent or X11 forwarding.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from sshd.hostkey import fingerprint, load_or_create_host_key
from sshd.identity import ApiUnavailable, Authenticator, Identity, LoginThrottled
from sshd.launcher import Launcher
from sshd.memory import MIB, session_usage
from sshd.session import AppSession, Ending

logger = logging.getLogger("taskroom.ssh")

UNAVAILABLE = "Taskroom's server cannot be reached right now: please try again in a moment."
# Each password or key a client offers costs one API call: past this many (OpenSSH's
# MaxAuthTries) on one connection, the connection is closed.
MAX_AUTH_ATTEMPTS = 6


@dataclass(frozen=True)
class GatewayConfig:
    server_url: str
    secret_key: str
    data_dir: Path
    app_argv: Sequence[str]  # the app one session runs, e.g. `taskroom tui --server URL`
    # A Python app is forked from a template that has imported these already (warm start).
    preload: Sequence[str] = ()
    warm_start: bool = True
    host: str = "0.0.0.0"
    port: int = 2222
    max_sessions: int = 50
    idle_timeout: float = 30 * 60  # 0 = never
    token_ttl: float = 8 * 3600  # a session's token, and so the session, lasts this long
    failure_delay: float = 2.0  # seconds before a failed password is answered
    # Connections not logged in yet (OpenSSH's MaxStartups): past these, new ones are dropped.
    max_unauthenticated: int = 100
    max_unauthenticated_per_address: int = 10
    # What one session's processes may own (USS, MiB; 0 = no limit), checked this often.
    session_max_mb: float = 256
    memory_check_interval: float = 5.0
    # Where users' own machines reach the API (export links); "" = `server_url`.
    public_url: str = ""


class _Connection(asyncssh.SSHServer):
    """One client connection: who it is becomes known only once auth has completed."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._conn: asyncssh.SSHServerConnection | None = None
        self._peer = "unknown"
        self._candidate: Identity | None = None  # the last credential the API accepted
        self._key_results: dict[tuple[str, str], Identity | None] = {}
        self._attempts = 0  # passwords and distinct keys the API was asked about
        self._banners: set[str] = set()
        self._counted = False  # among the gateway's unauthenticated connections
        self.identity: Identity | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else "unknown"
        self._counted = self._gateway.admit(self._peer)
        if not self._counted:
            logger.warning("ssh: too many connections not logged in; dropped peer=%s", self._peer)
            asyncio.get_running_loop().call_soon(conn.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()

    def _release(self) -> None:
        if self._counted:
            self._counted = False
            self._gateway.release(self._peer)

    def _attempt(self, username: str) -> bool:
        """Count one more credential to ask the API about; False (and hang up) past the cap."""
        if self._attempts >= MAX_AUTH_ATTEMPTS:
            logger.warning("ssh: too many auth attempts: user=%r peer=%s", username, self._peer)
            if self._conn is not None:
                self._conn.disconnect(
                    asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many authentication attempts"
                )
            return False
        self._attempts += 1
        return True

    def begin_auth(self, username: str) -> bool:
        return True  # every user must authenticate

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        if not self._attempt(username):
            return False
        try:
            identity = await self._gateway.authenticator.password(username, password, self._peer)
        except LoginThrottled:
            logger.warning("ssh login throttled: user=%r peer=%s", username, self._peer)
            self._banner("Too many failed logins: try again in a minute.")
            identity = None
        except ApiUnavailable:
            self._banner(UNAVAILABLE)
            identity = None
        else:
            if identity is None:
                logger.warning("ssh password refused: user=%r peer=%s", username, self._peer)
        if identity is None:
            await asyncio.sleep(self._gateway.config.failure_delay)
            return False
        self._candidate = identity
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # asyncssh asks once when the key is offered and again with its signature.
        cache_key = (username, key.get_fingerprint("sha256"))
        if cache_key not in self._key_results:
            if not self._attempt(username):
                return False
            try:
                identity = await self._gateway.authenticator.public_key(username, key)
            except ApiUnavailable:
                self._banner(UNAVAILABLE)
                return False
            if identity is None:
                logger.info(
                    "ssh key refused: user=%r key=%s peer=%s", username, cache_key[1], self._peer
                )
            self._key_results[cache_key] = identity
        identity = self._key_results[cache_key]
        if identity is None:
            return False
        self._candidate = identity
        return True

    def _banner(self, line: str) -> None:
        """Tell the person at the client why, once per connection and reason."""
        if self._conn is not None and line not in self._banners:
            self._banners.add(line)
            self._conn.send_auth_banner(line + "\r\n")

    def auth_completed(self) -> None:
        assert self._conn is not None
        candidate = self._candidate
        if candidate is None or candidate.username != self._conn.get_extra_info("username"):
            self._conn.close()  # cannot happen with asyncssh's sequential auth; never guess
            return
        self.identity = candidate
        self._release()
        logger.info("ssh login: user=%s peer=%s", candidate.username, self._peer)


class Gateway:
    """Owns the listener, the authenticator and the set of live sessions."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.authenticator = Authenticator(config.server_url, config.secret_key, config.token_ttl)
        self.host_key = load_or_create_host_key(config.data_dir)
        self.sessions: set[AppSession] = set()
        self.launcher = Launcher(config.app_argv, config.preload, config.warm_start)
        self._unauthenticated: Counter[str] = Counter()  # connections not logged in, per address
        self._server: asyncssh.SSHAcceptor | None = None
        self._memory_watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.launcher.start()
        if self.config.session_max_mb:
            self._memory_watch = asyncio.ensure_future(self._watch_memory())
        self._server = await asyncssh.create_server(
            lambda: _Connection(self),
            self.config.host,
            self.config.port,
            server_host_keys=[self.host_key],
            process_factory=self._handle,
            encoding=None,
            line_editor=False,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            login_timeout=60,
            keepalive_interval=30,
            keepalive_count_max=3,
        )

    def admit(self, peer: str) -> bool:
        """Count a new connection as not logged in yet, unless that is one too many."""
        config = self.config
        if (
            self._unauthenticated.total() >= config.max_unauthenticated
            or self._unauthenticated[peer] >= config.max_unauthenticated_per_address
        ):
            return False
        self._unauthenticated[peer] += 1
        return True

    def release(self, peer: str) -> None:
        """A counted connection has logged in or gone."""
        self._unauthenticated[peer] -= 1
        if not self._unauthenticated[peer]:
            del self._unauthenticated[peer]

    async def _watch_memory(self) -> None:
        """End each session whose processes own more than the limit, telling its user why."""
        limit = self.config.session_max_mb
        while True:
            await asyncio.sleep(self.config.memory_check_interval)
            by_pid = {s.proc.pid: s for s in self.sessions if s.proc is not None}
            if not by_pid:
                continue
            usage = await asyncio.to_thread(session_usage, by_pid.keys())
            for pid, used in usage.items():
                if used > limit * MIB:
                    session = by_pid[pid]
                    logger.warning(
                        "session of %s over its memory limit: %.0f MiB > %g MiB; closing it",
                        session.identity.username,
                        used / MIB,
                        limit,
                    )
                    session.end(
                        Ending(
                            1,
                            f"This session used {used / MIB:.0f} MiB of memory, more than the "
                            f"{limit:g} MiB allowed, and was closed. Please reconnect.",
                        )
                    )

    async def aclose(self) -> None:
        if self._memory_watch is not None:
            self._memory_watch.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.launcher.aclose()
        await self.authenticator.aclose()

    async def _handle(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        connection: _Connection = process.get_extra_info("connection").get_owner()
        identity = connection.identity
        if identity is None:
            process.exit(1)
            return
        if process.command is not None or process.subsystem is not None:
            self._refuse(process, "Taskroom offers only its app here: connect with plain `ssh`.")
            return
        if process.term_type is None:
            self._refuse(process, "Taskroom needs a terminal: connect with `ssh -t`.")
            return
        if len(self.sessions) >= self.config.max_sessions:
            logger.warning("session refused, server full: user=%s", identity.username)
            self._refuse(
                process,
                f"Sorry, Taskroom is full ({self.config.max_sessions} sessions). "
                "Please try again in a few minutes.",
            )
            return
        env = {
            "TASKROOM_TOKEN": identity.token,
            "TASKROOM_SERVER": self.config.server_url,
            # The SSH keys screen prints the `ssh -p` line users paste: the port they came in on.
            "TASKROOM_SSH_PORT": str(self.config.port),
            # A file the app saves stays here: it offers export links to this URL instead.
            "TASKROOM_SESSION": "ssh",
            "TASKROOM_PUBLIC_URL": self.config.public_url or self.config.server_url,
        }
        session = AppSession(process, identity, self.launcher, env, self.config.idle_timeout)
        self.sessions.add(session)
        try:
            ending = await session.run()
        finally:
            self.sessions.discard(session)
        ending.send(process)

    @staticmethod
    def _refuse(process: asyncssh.SSHServerProcess[bytes], line: str) -> None:
        process.stderr.write(f"{line}\r\n".encode())
        process.exit(1)


async def serve(config: GatewayConfig) -> None:
    """Listen until SIGINT or SIGTERM; print the address and the host key's fingerprint."""
    gateway = Gateway(config)
    try:
        await gateway.start()
    except OSError:
        await gateway.aclose()
        raise
    print(f"taskroom ssh-serve on {config.host}:{config.port} for {config.server_url}", flush=True)
    print(f"host key fingerprint: {fingerprint(gateway.host_key)}", flush=True)
    await gateway.authenticator.check()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await gateway.aclose()
