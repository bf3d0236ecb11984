"""Hypothesis strategies shared by the labs' graders: float64 arrays, logits, token batches.

`floats`, `arrays` and `shapes` are cached: composite strategies call them on every draw, and
building and validating a fresh strategy each time costs more than drawing from it.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@functools.cache
def floats(low: float = -10.0, high: float = 10.0) -> st.SearchStrategy[float]:
    """Finite floats in [low, high], no subnormals (they only make reports harder to read)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


Shape = int | tuple[int, ...]


@st.composite
def array_of(
    draw: st.DrawFn, dtype: type, shape: Shape | st.SearchStrategy[Shape], elements: st.SearchStrategy
):
    """Arrays of `dtype` and `shape` (an int, a tuple or a strategy of shapes), entries from `elements`.

    Every entry is drawn on its own and shrinks on its own. For the labs' small arrays this costs
    about half of `hypothesis.extra.numpy.arrays`, whose fill-and-scatter pays off only for large ones.
    """
    size = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    dims = (size,) if isinstance(size, int) else tuple(size)
    return np.array([draw(elements) for _ in range(math.prod(dims))], dtype=dtype).reshape(dims)


@functools.cache
def arrays(shape: Shape | st.SearchStrategy[Shape], low: float = -10.0, high: float = 10.0):
    """float64 arrays of `shape` (an int, a tuple or a strategy of shapes) with entries in [low, high]."""
    return array_of(np.float64, shape, floats(low, high))


@functools.cache
def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def logits_targets_mask(draw: st.DrawFn, max_vocab: int = 5, scale: float = 10.0):
    """`(logits (..., V), targets (...), mask (...))` with at least one True in the mask."""
    vocab = draw(st.integers(2, max_vocab))
    lead = draw(shapes(min_dims=1, max_dims=2, max_side=4))
    logits = draw(arrays((*lead, vocab), -scale, scale))
    targets = draw(array_of(np.int64, lead, st.integers(0, vocab - 1)))
    mask = draw(array_of(np.bool_, lead, st.booleans()))
    first = tuple(draw(st.integers(0, n - 1)) for n in lead)
    mask[first] = True
    return logits, targets, mask


@st.composite
def conversations(draw: st.DrawFn, vocab: int, max_count: int = 3, max_length: int = 7):
    """A list of `(tokens, assistant_mask)` pairs over `vocab` tokens with an assistant target."""
    count = draw(st.integers(1, max_count))
    batch = []
    for _ in range(count):
        length = draw(st.integers(2, max_length))
        tokens = draw(array_of(np.int64, length, st.integers(0, vocab - 1)))
        mask = draw(array_of(np.bool_, length, st.booleans()))
        batch.append((tokens, mask))
    batch[0][1][-1] = True  # at least one assistant target in the batch
    return batch


def probabilities(size: int) -> st.SearchStrategy[np.ndarray]:
    """Strictly positive probability vectors of length `size` (a softmax of bounded logits)."""
    return arrays(size, -5.0, 5.0).map(lambda z: np.exp(z - np.logaddexp.reduce(z)))
