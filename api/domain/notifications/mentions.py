"""`@username` in markdown text: who a comment or a description mentions."""

from __future__ import annotations

import re

# A username (contract §2) after an `@` that no word character, `@` or `/` precedes, so
# `bob@example.com` and `https://host/@bob` mention no one; ended by anything not in a name.
_MENTION = re.compile(r"(?<![\w@/])@([a-z0-9_-]{3,32})(?![a-z0-9_-])")


def mentioned(text: str | None) -> set[str]:
    return set(_MENTION.findall(text or ""))


def added_mentions(old: str | None, new: str | None) -> set[str]:
    """The names `new` mentions that `old` did not: a change notifies only whom it adds."""
    return mentioned(new) - mentioned(old)
