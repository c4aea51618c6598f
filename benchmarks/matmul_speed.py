"""The matrix products of one training step of a config, in NumPy and in PyTorch; one JSON line
per product, then one for the whole step.

Run from the repository root: python -m benchmarks.matmul_speed [--config A] [--threads 2]

A training step of an MLP multiplies, for each Linear layer, the input by the weight (forward),
the output gradient by the weight (the input's gradient, not needed for the first layer, whose
input is the images) and the output gradient by the input (the weight's gradient). The NumPy
products use the weights as nn.Linear stores them (large ones of narrowing layers column-major)
and the weight gradient as Linear's backward writes it; the PyTorch ones use torch.nn.Linear's
row-major weights. Both run in one process, alternating, with the same thread count. The summary line's
seconds per epoch are what the products alone cost over 60,000 images: no implementation built
on that library's products can train an epoch faster.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time

from .child import pin_threads

EPOCH_IMAGES = 60_000


def products(config, batch: int, make_weight, make_array, weight_grad):
    """[(name, shape text, call), ...]: every product of one step, as zero-argument callables."""
    calls = []
    for layer, (n_in, n_out) in enumerate(zip(config.sizes[:-1], config.sizes[1:])):
        w, x, g = make_weight(n_out, n_in), make_array(batch, n_in), make_array(batch, n_out)
        calls.append((f"layer {layer} forward x @ W.T", f"{batch}x{n_in} @ {n_in}x{n_out}",
                      lambda x=x, w=w: x @ w.T))
        if layer:
            calls.append((f"layer {layer} input grad g @ W", f"{batch}x{n_out} @ {n_out}x{n_in}",
                          lambda g=g, w=w: g @ w))
        calls.append((f"layer {layer} weight grad g.T @ x", f"{n_out}x{batch} @ {batch}x{n_in}",
                      lambda g=g, x=x, w=w: weight_grad(g, x, w)))
    return calls


def seconds_per_call(call, min_seconds: float) -> float:
    """The time of one call: calls are repeated in batches until a batch lasts min_seconds."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / n
        n *= 2


def measure(calls_by_library: dict, repeats: int, min_seconds: float) -> dict:
    """{library: [median seconds per call of each product]}, the libraries taking turns."""
    samples = {lib: [[] for _ in calls] for lib, calls in calls_by_library.items()}
    for calls in calls_by_library.values():
        for _, _, call in calls:
            call()  # untimed: a library's first call sets itself up (torch's takes a millisecond)
    for _ in range(repeats):
        for lib, calls in calls_by_library.items():
            for i, (_, _, call) in enumerate(calls):
                samples[lib][i].append(seconds_per_call(call, min_seconds))
    return {lib: [statistics.median(s) for s in per_call] for lib, per_call in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="A", help="A, B, C, D or E (default A)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP/torch threads (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds (median; default 5)")
    parser.add_argument("--min-seconds", type=float, default=0.05,
                        help="shortest timed batch of calls (default 0.05)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)  # before NumPy or torch is first imported

    import numpy as np

    from tinygrad_mnist import nn
    from tinygrad_mnist.nn.functional import _weight_grad

    from .configs import get_config
    try:
        config = get_config(args.config)
    except ValueError as err:
        parser.error(str(err))
    rng = np.random.default_rng(0)

    def numpy_array(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    def library_weight(n_out, n_in):
        return nn.Linear(n_in, n_out).weight.data

    batch = config.batch_size
    calls = {"numpy": products(config, batch, library_weight, numpy_array, _weight_grad)}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)

        def torch_array(*shape):
            return torch.from_numpy(numpy_array(*shape))

        calls["torch"] = products(config, batch, torch_array, torch_array, lambda g, x, w: g.T @ x)
    times = measure(calls, args.repeats, args.min_seconds)

    steps = math.ceil(EPOCH_IMAGES / batch)
    for i, (name, shape, _) in enumerate(calls["numpy"]):
        line = {"benchmark": "matmul_speed", "config": config.name, "product": name, "shape": shape,
                "numpy_us": round(times["numpy"][i] * 1e6, 2)}
        if torch is not None:
            line["torch_us"] = round(times["torch"][i] * 1e6, 2)
            line["numpy/torch"] = round(times["numpy"][i] / times["torch"][i], 2)
        print(json.dumps(line))
    summary = {"benchmark": "matmul_speed", "config": config.name, "product": "one training step",
               "threads": args.threads, "steps_per_epoch": steps,
               "numpy_s_per_epoch": round(sum(times["numpy"]) * steps, 3), "versions": {"numpy": np.__version__}}
    if torch is not None:
        summary["torch_s_per_epoch"] = round(sum(times["torch"]) * steps, 3)
        summary["numpy/torch"] = round(sum(times["numpy"]) / sum(times["torch"]), 2)
        summary["versions"]["torch"] = torch.__version__
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
