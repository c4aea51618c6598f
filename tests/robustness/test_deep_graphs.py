"""Deep and wide graphs: a 1,000,000-op chain and a 100,000-input sum go backward (and draw) with
no RecursionError, even with Python's recursion limit pulled down to a few frames above the test."""
import contextlib
import inspect
import math
import sys

import graphviz  # noqa: F401  (draw_graph imports it lazily: import it before the limit drops)
import numpy as np

import tinygrad_mnist as tg


@contextlib.contextmanager
def recursion_headroom(frames: int):
    """Allow only `frames` more Python frames than the caller has now: any walk of the graph that
    recursed per node would fail at once."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_a_million_op_chain_of_mixed_ops_goes_backward_and_is_freed_without_recursion():
    x = tg.tensor(np.float64(0.25), requires_grad=True)
    y = x
    for i in range(500_000):            # 1,000,000 ops: y = (y * 1.000001) + 1e-6, alternately
        y = y * 1.000001
        y = y + 1e-6
    with recursion_headroom(60):
        y.backward()
        del y                            # dropping a million-node chain must not recurse either
    assert math.isclose(x.grad.item(), 1.000001 ** 500_000, rel_tol=1e-9)


def test_a_100000_input_sum_goes_backward_both_as_a_chain_and_as_one_wide_node():
    leaves = [tg.tensor(np.float64(i), requires_grad=True) for i in range(100_000)]  # exact sums
    chain = sum(leaves)                  # 100,000 Add nodes deep, one leaf each
    wide = tg.stack(leaves).sum()        # one Cat node with 100,000 inputs
    with recursion_headroom(60):
        (chain * 2 + wide).backward()
    assert chain.item() == wide.item() == sum(range(100_000))
    assert all(leaf.grad.item() == 3.0 for leaf in leaves)


def test_drawing_a_100000_input_sum_with_max_depth_does_not_recurse():
    leaves = [tg.tensor(1.0, requires_grad=True) for _ in range(100_000)]
    total = sum(leaves)
    with recursion_headroom(60):
        graph = tg.draw_graph(total, max_depth=1)
    source = graph.source
    assert source.count("->") >= 2 * 99_999  # every Add has two incoming edges
