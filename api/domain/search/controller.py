"""Route: GET /api/search, every project of the caller."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.search.service import SearchService
from api.openapi import responses
from api.wire import LINE, SEARCH_MAX_CHARS, SearchPage


class SearchController(Controller):
    tags = ["search"]
    dependencies = {"search": provide_with_uow(SearchService)}

    @get(
        "/api/search",
        summary="Search the tasks of every project of the caller",
        description=(
            "Words (letters and digits; punctuation separates them) match as prefixes, in any "
            "order, in the title or the description; every word must match. Tasks whose title "
            "holds every word come first. A query without a word (punctuation only) finds "
            f"nothing; over {SEARCH_MAX_CHARS} characters or 16 words is a 400."
        ),
        responses=responses(400, 401),
    )
    async def search_tasks(
        self,
        request: AuthRequest,
        search: NamedDependency[SearchService],
        q: Annotated[str, Parameter(max_length=SEARCH_MAX_CHARS, pattern=LINE)],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=10_000_000)] = 0,
    ) -> SearchPage:
        return await search.search(request.user.id, q, limit, offset)
