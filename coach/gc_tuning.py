"""The cyclic garbage collector tuned for a process that holds thousands of open streams.

Every open stream holds a few hundred objects the collector tracks (tasks, generators,
cancel scopes, the connection's state). With Python's default of a young collection every
700 allocations, objects that are only alive while an event is delivered get promoted so
often that a full collection, which walks every tracked object (1-1.8 s with 5,000 streams
on a 2-core host) and finds nothing to free, runs every few seconds and stalls every stream
(docs/streaming.md). Collecting the young generation less often promotes far fewer of them,
so full collections become rare; what exists once the service has started (modules, the
app, its services) lives as long as the process and is frozen out of collections.
"""

from __future__ import annotations

import gc


def tune_for_streams(young_threshold: int) -> None:
    """Collect the young generation every `young_threshold` allocations (0: leave Python's
    defaults) and freeze what exists now."""
    if young_threshold <= 0:
        return
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
    gc.collect()  # garbage made while starting is not frozen with the rest
    gc.freeze()
