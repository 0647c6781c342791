"""User text to search terms: words only, so no query syntax of either backend gets through.

A word is a run of letters and digits (the underscore and all punctuation split words, as
both backends' tokenizers do). Each word is matched as a prefix, every word must match,
in any order. The words are put into the backend's query syntax by this module alone:
quoted for FTS5, `'word':*` for PostgreSQL, where a word cannot hold a quote or an operator.
"""

from __future__ import annotations

import re

from api.domain.errors import Invalid

WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 16
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40


def words(q: str) -> list[str]:
    """The distinct words of `q`, lower-cased, in order; none for punctuation only."""
    found = list(dict.fromkeys(w.lower() for w in WORD.findall(q)))
    if len(found) > MAX_WORDS:
        raise Invalid(f"A search takes at most {MAX_WORDS} words")
    return found


def tsquery(terms: list[str], weight: str = "") -> str:
    """PostgreSQL `to_tsquery` text: every word as a prefix (`:*`), of `weight` only if given."""
    return " & ".join(f"'{t}':*{weight}" for t in terms)


def fts5_query(terms: list[str], column: str | None = None) -> str:
    """FTS5 MATCH text: every word quoted, as a prefix, optionally in one column."""
    phrase = " ".join(f'"{t}"*' for t in terms)
    return f"{column} : ({phrase})" if column else phrase


def _hits(text: str, terms: list[str]) -> list[re.Match[str]]:
    return [m for m in WORD.finditer(text) if m.group().lower().startswith(tuple(terms))]


def snippet(title: str, description: str, terms: list[str]) -> str:
    """One line around the first match: from the description when a word matches there, else
    the title; every matching word between « and », "…" where the text was cut."""
    text = " ".join(description.split()) if _hits(description, terms) else " ".join(title.split())
    hits = _hits(text, terms)
    start = 0
    if hits and hits[0].start() > SNIPPET_LEAD:
        start = text.rfind(" ", 0, hits[0].start() - SNIPPET_LEAD) + 1
    end = len(text)
    if end - start > SNIPPET_CHARS:
        end = text.rfind(" ", start, start + SNIPPET_CHARS)
        end = end if end > start else start + SNIPPET_CHARS
    out: list[str] = ["…"] if start else []
    at = start
    for m in hits:
        if m.start() < start or m.end() > end:
            continue
        out += [text[at : m.start()], "«", m.group(), "»"]
        at = m.end()
    out.append(text[at:end])
    if end < len(text):
        out.append("…")
    return "".join(out)
