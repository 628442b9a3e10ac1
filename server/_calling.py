"""Call any function the same way: sync or async, plain or generator.

Sync code runs in the threadpool (as Starlette runs sync endpoints), so a slow or blocking
function never stalls the event loop. Every kind of function becomes an async iterator of the
values it produces: one value for a plain function, each yielded value for a generator.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

__all__ = ["iterate_call"]


async def iterate_call(
    fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
) -> AsyncIterator[Any]:
    if inspect.isasyncgenfunction(fn):
        async for value in fn(*args, **kwargs):
            yield value
    elif inspect.iscoroutinefunction(fn):
        yield await fn(*args, **kwargs)
    elif inspect.isgeneratorfunction(fn):
        iterator = await run_in_threadpool(fn, *args, **kwargs)
        async for value in iterate_in_threadpool(iterator):
            yield value
    else:
        result = await run_in_threadpool(fn, *args, **kwargs)
        if inspect.isawaitable(result):  # a sync callable that returned a coroutine
            result = await result
        yield result
