"""Comment rows to wire structs."""

from __future__ import annotations

import msgspec

from api.db.models import Comment
from api.wire import Comment as CommentOut


def comment_out(c: Comment) -> CommentOut:
    return msgspec.convert(c, CommentOut, from_attributes=True)
