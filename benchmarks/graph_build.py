"""Time for draw_graph to build the graphviz Digraph of a 10,000-op graph; prints one JSON line.

The graph is a stack of residual blocks (Linear, Tanh, Add, each block and layer an nn.Module, so
every op sits in two nested module boxes) ending in a sum. Only the Digraph is built: laying it
out with `dot` is graphviz's business, not ours.

Run from the repository root: python -m benchmarks.graph_build [--ops 10000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

import tinygrad_mnist as tg
from tinygrad_mnist import nn

OPS_PER_BLOCK = 3


class Block(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.lin, self.act = nn.Linear(width, width), nn.Tanh()

    def forward(self, x):
        return self.act(self.lin(x)) + x


def build_graph(ops: int) -> tuple[tg.Tensor, nn.Module]:
    """A loss whose graph has exactly `ops` ops, and the model that made it."""
    if ops < 1 or (ops - 1) % OPS_PER_BLOCK:
        raise SystemExit(f"--ops must be 1 more than a multiple of {OPS_PER_BLOCK}, got {ops}")
    tg.manual_seed(0)
    model = nn.Sequential(*[Block(4) for _ in range((ops - 1) // OPS_PER_BLOCK)])
    return model(tg.randn(2, 4)).sum(), model


def draw_seconds(loss: tg.Tensor, model: nn.Module, repeats: int, **kwargs) -> tuple[float, int]:
    """The median time of draw_graph(loss, model, **kwargs), and the DOT statements it made."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        graph = tg.draw_graph(loss, model, **kwargs)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), len(graph.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loss, model = build_graph(args.ops)
    result = {"benchmark": "graph_build", "ops": args.ops}
    for label, kwargs in (("", {}), ("_max_depth_1", {"max_depth": 1}), ("_flat", {"group_modules": False})):
        seconds, statements = draw_seconds(loss, model, args.repeats, **kwargs)
        result[f"seconds{label}"] = round(seconds, 4)
        result[f"dot_statements{label}"] = statements
    print(json.dumps(result))


if __name__ == "__main__":
    main()
