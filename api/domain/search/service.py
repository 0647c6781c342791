"""Search: one ranked query on the backend's full-text index, then the page's tasks.

The ranking is the same on both backends: tasks whose title holds every word first, then the
index's relevance (PostgreSQL `ts_rank` over title A / description B; SQLite `bm25` with the
title weighted 10:1), then the most recently updated. Only tasks of the caller's projects are
ever matched: the membership test is inside the ranked query, not applied to its results.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, bindparam, select, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from api.db.models import Project, Task
from api.db.session import UnitOfWork
from api.domain.search.terms import fts5_query, snippet, tsquery, words
from api.domain.tasks.schemas import task_out
from api.wire import ProjectRef, SearchHit, SearchPage

# `count(*) OVER ()` gives the total in the same round trip (computed before LIMIT applies).
# PostgreSQL: the caller's projects as one array (computed once), so the GIN index is scanned
# once, not once per project in a nested loop (bench/search.py: 75 ms → 25 ms at 2 000 matches).
# FTS5's bm25() works only in the MATCH query itself, hence SQLite's materialized CTE.
_POSTGRES = text("""
    SELECT t.id, count(*) OVER () AS total
    FROM tasks t
    WHERE t.search_vector @@ to_tsquery('simple'::regconfig, :q)
      AND t.project_id = ANY(ARRAY(SELECT m.project_id FROM memberships m
                                   WHERE m.user_id = :user_id))
    ORDER BY t.search_vector @@ to_tsquery('simple'::regconfig, :title_q) DESC,
             ts_rank(t.search_vector, to_tsquery('simple'::regconfig, :q)) DESC,
             t.updated_at DESC, t.id
    LIMIT :limit OFFSET :offset
""")
_SQLITE = text("""
    WITH hits AS MATERIALIZED (
        SELECT rowid AS rid, bm25(tasks_fts, 10.0, 1.0) AS rank
        FROM tasks_fts WHERE tasks_fts MATCH :q
    )
    SELECT t.id, count(*) OVER () AS total
    FROM hits JOIN tasks t ON t.rowid = hits.rid
    WHERE t.project_id IN (SELECT m.project_id FROM memberships m WHERE m.user_id = :user_id)
    ORDER BY hits.rid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH :title_q) DESC,
             hits.rank, t.updated_at DESC, t.id
    LIMIT :limit OFFSET :offset
""")


def _typed(stmt: TextClause) -> TextualSelect:
    return stmt.bindparams(bindparam("user_id", type_=Uuid)).columns(id=Uuid)


POSTGRES, SQLITE = _typed(_POSTGRES), _typed(_SQLITE)


class SearchService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def search(self, user_id: uuid.UUID, q: str, limit: int, offset: int) -> SearchPage:
        terms = words(q)
        if not terms:  # punctuation only: nothing can match
            return SearchPage(items=[], total=0)
        if self.session.get_bind().dialect.name == "postgresql":
            stmt, params = POSTGRES, {"q": tsquery(terms), "title_q": tsquery(terms, "A")}
        else:
            stmt, params = SQLITE, {"q": fts5_query(terms), "title_q": fts5_query(terms, "title")}
        rows = (
            await self.session.execute(
                stmt, {**params, "user_id": user_id, "limit": limit, "offset": offset}
            )
        ).all()
        if not rows:
            total = 0 if offset == 0 else await self._total(stmt, params, user_id)
            return SearchPage(items=[], total=total)
        found = {
            task.id: (task, name)
            for task, name in await self.session.execute(
                select(Task, Project.name)
                .join(Project, Project.id == Task.project_id)
                .where(Task.id.in_([row.id for row in rows]))
            )
        }
        items = [
            SearchHit(
                task=task_out(task),
                project=ProjectRef(id=task.project_id, name=name),
                snippet=snippet(task.title, task.description, terms),
            )
            for task, name in (found[row.id] for row in rows if row.id in found)
        ]
        return SearchPage(items=items, total=rows[0].total)

    async def _total(self, stmt: TextualSelect, params: dict[str, str], user_id: uuid.UUID) -> int:
        """A page past the end has no row to carry the total: count the first row's."""
        row = (
            await self.session.execute(
                stmt, {**params, "user_id": user_id, "limit": 1, "offset": 0}
            )
        ).first()
        return int(row.total) if row else 0
