"""The garbage collector as `serve` and `work` run it."""

from __future__ import annotations

import gc

# Young-generation collections every 700 allocations ran hundreds of times a second under
# load; a request allocates a few hundred objects, nearly all freed by reference counting.
GC_GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """Collect less often, and move what start-up made (modules, the app) out of the
    collector's sight, so that full collections do not walk it again and again."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
