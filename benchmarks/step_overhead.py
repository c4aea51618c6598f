"""What one training step costs in Python, the framework against the hand-written NumPy MLP: the
bytecodes the interpreter runs and the Python functions it calls per step (counted, so the same
on every machine), and the microseconds per step on one fixed batch. One JSON line per
implementation, then one with the differences.

Run from the repository root: python -m benchmarks.step_overhead [--config D] [--threads 2]

Both implementations make nearly the same NumPy calls on the same arrays (compare
benchmarks/numpy_mlp.py with the library's backward rules), so the difference in time per step is
mostly the framework's own bookkeeping: building and walking the graph, module calls, argument
checks, the optimizer's loop. It matters on the smallest configs, where a step is a few dozen
microseconds of NumPy.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from .child import pin_threads


def count_per_step(train_step, steps: int) -> tuple[float, float]:
    """(bytecodes, Python function calls) per call of train_step, traced over steps calls."""
    counts = {"opcode": 0, "call": 0}

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event in counts:
            counts[event] += 1
        return tracer

    sys.settrace(tracer)
    try:
        for _ in range(steps):
            train_step()
    finally:
        sys.settrace(None)
    return counts["opcode"] / steps, counts["call"] / steps


def microseconds_per_step(train_steps: dict, steps: int, rounds: int) -> dict:
    """{name: median microseconds per step}, timing steps steps of each in turn, rounds times."""
    samples = {name: [] for name in train_steps}
    for _ in range(rounds):
        for name, train_step in train_steps.items():
            start = time.perf_counter()
            for _ in range(steps):
                train_step()
            samples[name].append((time.perf_counter() - start) / steps * 1e6)
    return {name: statistics.median(s) for name, s in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="D", help="A, B, C, D or E (default D)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (default 2)")
    parser.add_argument("--steps", type=int, default=500, help="steps per timed round (default 500)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating timed rounds (median; default 7)")
    parser.add_argument("--traced-steps", type=int, default=20, help="steps counted (default 20)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)  # before NumPy is first imported

    import numpy as np

    from .configs import get_config, initial_weights
    from .framework_mlp import FrameworkMLP
    from .numpy_mlp import NumpyMLP
    try:
        config = get_config(args.config)
    except ValueError as err:
        parser.error(str(err))
    rng = np.random.default_rng(0)
    low, high = config.input_range
    x = rng.uniform(low, high, (config.batch_size, config.sizes[0])).astype(np.float32)
    y = rng.integers(0, config.sizes[-1], config.batch_size)
    weights = initial_weights(config)
    models = {"framework": FrameworkMLP(config, weights), "numpy": NumpyMLP(config, weights)}
    train_steps = {name: (lambda m=m: m.train_step(x, y)) for name, m in models.items()}
    for train_step in train_steps.values():  # warm up: first calls allocate state and buffers
        for _ in range(5):
            train_step()

    counted = {name: count_per_step(step, args.traced_steps) for name, step in train_steps.items()}
    timed = microseconds_per_step(train_steps, args.steps, args.rounds)
    for name in models:
        bytecodes, calls = counted[name]
        print(json.dumps({"benchmark": "step_overhead", "config": config.name, "impl": name,
                          "bytecodes_per_step": round(bytecodes), "python_calls_per_step": round(calls),
                          "us_per_step": round(timed[name], 1), "threads": args.threads}))
    extra_bytecodes = counted["framework"][0] - counted["numpy"][0]
    extra_us = timed["framework"] - timed["numpy"]
    print(json.dumps({"benchmark": "step_overhead", "config": config.name, "impl": "framework - numpy",
                      "bytecodes_per_step": round(extra_bytecodes),
                      "python_calls_per_step": round(counted["framework"][1] - counted["numpy"][1]),
                      "us_per_step": round(extra_us, 1), "framework/numpy": round(timed["framework"] / timed["numpy"], 2),
                      "versions": {"python": sys.version.split()[0], "numpy": np.__version__}}))


if __name__ == "__main__":
    main()
