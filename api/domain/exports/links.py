"""Download links: a URL that serves one finished export for a few minutes, without a login.

Why: over SSH the TUI runs on the gateway, so a file it saves never reaches the user's machine;
a link opened in a browser (or given to `curl`) does. The token in the link is a JWT of its own
audience, so it opens no user route and no user token opens the file route; it names the one
export it was made for, and the user whose access is checked again when it is used (a member
removed since gets 404). Nothing is stored: it lasts until it expires.
"""

from __future__ import annotations

import datetime as dt
import uuid

import jwt

from api.domain.errors import Unauthorized
from api.signing import ALGORITHM, mint

LINK_AUDIENCE = "taskroom:export-file"
LINK_TTL = dt.timedelta(minutes=10)
BAD_LINK = "This download link is invalid or has expired: make a new one"


def link_token(secret: str, export_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, dt.datetime]:
    """A token for the export's file link, and when it stops working."""
    expires_at = (dt.datetime.now(dt.UTC) + LINK_TTL).replace(microsecond=0)
    token = mint(
        secret,
        subject=str(export_id),
        audience=LINK_AUDIENCE,
        ttl=LINK_TTL,
        extras={"user": str(user_id)},
    )
    return token, expires_at


def link_user(secret: str, token: str, export_id: uuid.UUID) -> uuid.UUID:
    """The user a link was made for, if `token` is a live link to this export."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=LINK_AUDIENCE)
        if claims["sub"] != str(export_id):
            raise Unauthorized(BAD_LINK)
        return uuid.UUID(claims["extras"]["user"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        raise Unauthorized(BAD_LINK) from None
