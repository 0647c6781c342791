"""Search: one ranked query on the backend's full-text index, then the page's tasks.

The ranking is the same on both backends: tasks whose title holds every word first, then the
index's relevance (PostgreSQL `ts_rank` over title A / description B; SQLite `bm25` with the
title weighted 10:1), then the most recently updated. Only tasks of the caller's projects are
ever matched: the membership test is inside the ranked query, not applied to its results.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, bindparam, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.selectable import TextualSelect

from api.db.models import Membership, Project, Task
from api.db.session import UnitOfWork
from api.domain.search.terms import fts5_query, snippet, tsquery, words
from api.domain.tasks.schemas import task_out
from api.wire import ProjectRef, SearchHit, SearchPage

# Ranking reads every candidate's index entry, so a common word or a short prefix (tens of
# thousands of matches in bench/search.py) must not rank them all: the candidates are the first
# CANDIDATES matches the index yields plus the first TITLE_CANDIDATES title matches (found among
# all matches, so that scan costs more per row kept), ranked where they are read. Below those
# numbers every match is ranked and title matches all come first; `total` is exact below
# CANDIDATES and says CANDIDATES above it ("1000 or more").
# PostgreSQL: the caller's projects as one array parameter, read first, so the GIN index is
# scanned once (not once per project in a nested loop) and the planner sees how many tasks they
# hold: for a member of most projects it skips ANDing the project index (12 ms at 100 000).
# FTS5's bm25() works only in the MATCH query itself, hence its rank is taken in the scans.
CANDIDATES = 1000
TITLE_CANDIDATES = 200
CAPS = {"cap": CANDIDATES, "title_cap": TITLE_CANDIDATES}
_POSTGRES = text("""
    WITH anywhere AS MATERIALIZED (
        SELECT t.id, false AS in_title, t.updated_at,
               ts_rank(t.search_vector, to_tsquery('simple'::regconfig, :q)) AS rank
        FROM tasks t
        WHERE t.search_vector @@ to_tsquery('simple'::regconfig, :q)
          AND t.project_id = ANY(:projects)
        LIMIT :cap
    ),
    titled AS MATERIALIZED (
        SELECT t.id, true AS in_title, t.updated_at,
               ts_rank(t.search_vector, to_tsquery('simple'::regconfig, :q)) AS rank
        FROM tasks t
        WHERE t.search_vector @@ to_tsquery('simple'::regconfig, :title_q)
          AND t.project_id = ANY(:projects)
        LIMIT :title_cap
    ),
    candidates AS (
        SELECT * FROM titled
        UNION ALL
        SELECT * FROM anywhere WHERE id NOT IN (SELECT id FROM titled)
    )
    SELECT id, (SELECT count(*) FROM anywhere) AS total FROM candidates
    ORDER BY in_title DESC, rank DESC, updated_at DESC, id
    LIMIT :limit OFFSET :offset
""")
_SQLITE = text("""
    WITH mine AS MATERIALIZED (SELECT m.project_id FROM memberships m WHERE m.user_id = :user_id),
    anywhere AS MATERIALIZED (
        SELECT f.rowid AS rid, bm25(tasks_fts, 10.0, 1.0) AS rank
        FROM tasks_fts f JOIN tasks t ON t.rowid = f.rowid
        WHERE tasks_fts MATCH :q AND t.project_id IN (SELECT project_id FROM mine)
        LIMIT :cap
    ),
    titled AS MATERIALIZED (
        SELECT f.rowid AS rid, bm25(tasks_fts, 10.0, 1.0) AS rank
        FROM tasks_fts f JOIN tasks t ON t.rowid = f.rowid
        WHERE tasks_fts MATCH :title_q AND t.project_id IN (SELECT project_id FROM mine)
        LIMIT :title_cap
    ),
    candidates AS (
        SELECT rid, rank, 1 AS in_title FROM titled
        UNION ALL
        SELECT rid, rank, 0 FROM anywhere WHERE rid NOT IN (SELECT rid FROM titled)
    )
    SELECT t.id, (SELECT count(*) FROM anywhere) AS total
    FROM candidates c JOIN tasks t ON t.rowid = c.rid
    ORDER BY c.in_title DESC, c.rank, t.updated_at DESC, t.id
    LIMIT :limit OFFSET :offset
""")


POSTGRES = _POSTGRES.bindparams(bindparam("projects", type_=postgresql.ARRAY(Uuid))).columns(
    id=Uuid
)
SQLITE = _SQLITE.bindparams(bindparam("user_id", type_=Uuid)).columns(id=Uuid)


class SearchService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def search(self, user_id: uuid.UUID, q: str, limit: int, offset: int) -> SearchPage:
        terms = words(q)
        if not terms:  # punctuation only: nothing can match
            return SearchPage(items=[], total=0)
        params: dict[str, object]
        if self.session.get_bind().dialect.name == "postgresql":
            projects = list(
                await self.session.scalars(
                    select(Membership.project_id).where(Membership.user_id == user_id)
                )
            )
            stmt, params = POSTGRES, {"q": tsquery(terms), "title_q": tsquery(terms, "A")}
            params["projects"] = projects
        else:
            stmt, params = SQLITE, {"q": fts5_query(terms), "title_q": fts5_query(terms, "title")}
        rows = (
            await self.session.execute(
                stmt,
                {**params, "user_id": user_id, "limit": limit, "offset": offset, **CAPS},
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

    async def _total(
        self, stmt: TextualSelect, params: dict[str, object], user_id: uuid.UUID
    ) -> int:
        """A page past the end has no row to carry the total: count the first row's."""
        row = (
            await self.session.execute(
                stmt, {**params, "user_id": user_id, "limit": 1, "offset": 0, **CAPS}
            )
        ).first()
        return int(row.total) if row else 0
