"""DataLoader overhead for one epoch over the 60,000 MNIST training images; prints one JSON line.

Run from the repository root: python -m benchmarks.loader_speed [--batch-size 64]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from tinygrad_mnist.data import MNIST, DataLoader, flatten, scale


def epoch_seconds(loader: DataLoader, repeats: int) -> float:
    """The median time of iterating over every batch of loader once."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _batch in loader:
            pass
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    train = MNIST(train=True)
    x, y = flatten(scale(train.data)), train.targets
    result = {"benchmark": "loader_speed", "images": len(x), "batch_size": args.batch_size}
    for shuffle in (False, True):
        loader = DataLoader((x, y), batch_size=args.batch_size, shuffle=shuffle, generator=0)
        result[f"seconds_per_epoch_{'shuffled' if shuffle else 'sequential'}"] = round(
            epoch_seconds(loader, args.repeats), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
