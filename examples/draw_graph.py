"""Draw the computation graph of one training step of a small MNIST MLP with graphviz.

Run from the repository root: python examples/draw_graph.py [--out-dir docs]
It writes mlp_graph.svg and mlp_graph.png (the README's picture); without graphviz's `dot`
program it writes mlp_graph.gv and says how to install graphviz.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.errors import MissingToolError


def mlp_step_graph(show_grad: bool = True):
    """Forward, loss and backward of a 784-128-10 MLP on a batch of 32 images, drawn."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    images = tg.rand(32, 784)                  # stand-ins for 32 flattened 28x28 images
    labels = tg.randint(0, 10, (32,))
    loss = nn.CrossEntropyLoss()(model(images), labels)
    loss.backward()                            # the picture survives backward freeing the graph
    # params=model names each parameter ('0.weight') and each module box ('0: Linear').
    return tg.draw_graph(loss, params=model, show_grad=show_grad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="docs", help="where to write the pictures (default docs)")
    args = parser.parse_args()
    graph = mlp_step_graph()
    for suffix in (".svg", ".png"):
        try:
            path = tg.save_graph(graph, Path(args.out_dir) / f"mlp_graph{suffix}")
        except MissingToolError as err:
            print(err, file=sys.stderr)
            return 2
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
