"""Python's garbage collector, set up for a server process (the CLI's, never a host's).

CPython's defaults suit short scripts: a collection of the youngest objects every 700 new
container objects, and every so often a full one, which walks every object the process
holds. A server holds ~60,000 objects that live as long as it does (modules, the framework,
the app), and its result cache and journal hold thousands more; each call makes objects that
outlive a young collection or two (the job, its log, its journal entry), so full collections
come often, each walking everything. ``tune_gc`` freezes what is loaded at start (no
collection walks it again: ``gc.freeze``) and collects less often, so a call pays for its own
objects only. Nothing a call makes is cyclic garbage (measured), so collecting less often
holds no more memory than a call's objects while they are in flight.
"""

from __future__ import annotations

import gc

__all__ = ["tune_gc"]

#: A young collection every 20,000 new container objects (CPython: 700), a middle one
#: every 20 of those (10), a full one at most every 20 middle ones (10).
THRESHOLDS = (20_000, 20, 20)


def tune_gc() -> None:
    """Freeze what is loaded now and collect less often (in a process that serves)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
