"""A real SMTP server (aiosmtpd) on loopback, run as its own process by the email tests.

`python -m tests.smtp_sink PORT OUT_DIR [REFUSED_ADDRESS…]`: every accepted message is
written whole to OUT_DIR as `<n>.eml` (renamed when whole); RCPT TO one of the refused
addresses is answered `550`, as a server that does not know the mailbox would.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    def __init__(self, out: Path, refused: set[str]) -> None:
        self.out = out
        self.refused = refused
        self.count = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        part = self.out / f"{self.count}.part"
        data = envelope.original_content or b""
        part.write_bytes(f"X-Rcpt: {','.join(envelope.rcpt_tos)}\r\n".encode() + data)
        os.replace(part, self.out / f"{self.count}.eml")
        return "250 OK"


async def main(port: int, out: Path, refused: set[str]) -> None:
    controller = Controller(Sink(out, refused), hostname="127.0.0.1", port=port)
    controller.start()
    (out / "ready").write_text("1")
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    port, out, *refused = sys.argv[1:]
    asyncio.run(main(int(port), Path(out), {r.lower() for r in refused}))
