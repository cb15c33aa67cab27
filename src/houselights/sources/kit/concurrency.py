"""Run many fetches at once and fail plainly: the first real error, not an exception group."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any

from houselights.errors import HouselightsError

__all__ = ["run_all"]


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    leaves: list[BaseException] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for inner in e.exceptions:
                walk(inner)
        else:
            leaves.append(e)

    walk(group)
    return next((e for e in leaves if isinstance(e, HouselightsError)), leaves[0])


async def run_all(coros: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run ``coros`` concurrently; the first failure cancels the rest and is raised as is
    (a :class:`~houselights.errors.HouselightsError` in preference to anything else)."""
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                group.create_task(coro)
    except BaseExceptionGroup as failed:
        raise _first_error(failed) from None
