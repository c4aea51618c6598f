"""Train one implementation on one config in this process and print one JSON line.

train_speed.py starts one of these per run: `python -m benchmarks.child --impl numpy --config C
--inputs DIR`. Only the standard library is imported at module level, because the BLAS and
OpenMP thread counts must be in the environment before NumPy or torch is first imported.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

IMPLS = ("framework", "numpy", "torch")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
EVAL_BATCH = 1000


def pin_threads(threads: int) -> None:
    """Set every thread-count variable NumPy's and torch's libraries read at load time."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)


def make_model(impl: str, config, weights):
    """A fresh model of config in impl, starting from weights."""
    if impl == "framework":
        from .framework_mlp import FrameworkMLP
        return FrameworkMLP(config, weights)
    if impl == "numpy":
        from .numpy_mlp import NumpyMLP
        return NumpyMLP(config, weights)
    from .torch_mlp import TorchMLP
    return TorchMLP(config, weights)


def batches(order, batch_size: int):
    """Consecutive slices of order, the last one possibly shorter."""
    return (order[start:start + batch_size] for start in range(0, len(order), batch_size))


def train_epoch(model, x, y, order, batch_size: int) -> float:
    """One pass over the samples in order (one gather per batch); returns the mean batch loss."""
    total = steps = 0
    for idx in batches(order, batch_size):
        total += model.train_step(x[idx], y[idx])
        steps += 1
    return total / steps


def accuracy(model, x, y) -> float:
    """The fraction of rows of x whose predicted class is y."""
    import numpy as np
    correct = sum(int(np.sum(model.predict(x[i:i + EVAL_BATCH]) == y[i:i + EVAL_BATCH]))
                  for i in range(0, len(x), EVAL_BATCH))
    return correct / len(x)


def profile_table(profiler, top: int) -> str:
    """The top functions by own time (tottime) as a Markdown table, with their share of the total."""
    import pstats
    stats = pstats.Stats(profiler).stats
    total = sum(tt for _, _, tt, _, _ in stats.values())
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    lines = [f"profiled total {total:.3f} s (cProfile inflates Python call overhead)", "",
             "| # | function | calls | tottime s | % | cumtime s |", "|---|---|---|---|---|---|"]
    for rank, ((filename, line, name), (_, calls, tt, ct, _)) in enumerate(rows, 1):
        where = name if filename == "~" else f"{'/'.join(Path(filename).parts[-2:])}:{line} {name}"
        lines.append(f"| {rank} | `{where}` | {calls} | {tt:.3f} | {100 * tt / total:.1f} | {ct:.3f} |")
    return "\n".join(lines)


def blas_threads() -> int | None:
    """The BLAS thread count NumPy actually uses, when threadpoolctl is installed to tell."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else None


def run(args: argparse.Namespace) -> dict:
    """Warm up, time args.epochs epochs, evaluate; the result as a JSON-ready dict."""
    import numpy as np
    from .configs import get_config
    from .inputs import load_inputs
    from .memory import current_rss_mb, peak_rss_mb

    config = get_config(args.config)
    inputs = load_inputs(Path(args.inputs), config)
    x, y = inputs.train_x, inputs.train_y
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    if args.impl == "torch":
        import torch
        torch.set_num_threads(args.threads)
        versions["torch"] = torch.__version__
    model = make_model(args.impl, config, inputs.weights)  # imports the implementation
    baseline = current_rss_mb()

    for idx in list(batches(inputs.orders[0], config.batch_size))[:args.warmup_steps]:
        model.train_step(x[idx], y[idx])
    model = make_model(args.impl, config, inputs.weights)  # the timed run starts afresh

    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    seconds, loss = [], None
    for order in inputs.orders[:args.epochs]:
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        loss = train_epoch(model, x, y, order, config.batch_size)
        seconds.append(time.perf_counter() - start)
        if profiler:
            profiler.disable()
    peak = peak_rss_mb()
    if profiler:
        print(profile_table(profiler, args.top), flush=True)

    return {
        "config": config.name, "impl": args.impl, "epochs": args.epochs,
        "seconds_per_epoch": round(sum(seconds) / len(seconds), 4),
        "epoch_seconds": [round(s, 4) for s in seconds],
        "peak_rss_mb": round(peak, 1),
        "baseline_rss_mb": None if baseline is None else round(baseline, 1),
        "data_mb": round(inputs.data_mb, 1),
        "accuracy": round(accuracy(model, inputs.test_x, inputs.test_y), 4),
        "loss": round(loss, 6),
        "threads": args.threads, "blas_threads": blas_threads(),
        "samples": len(x), "test_samples": len(inputs.test_x), "batch_size": config.batch_size,
        "warmup_steps": args.warmup_steps, "profiled": args.profile, "versions": versions,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=IMPLS, required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--inputs", required=True, help="the folder train_speed.py prepared")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="print a cProfile table of the timed epochs")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    pin_threads(args.threads)
    print(json.dumps(run(args)), flush=True)


if __name__ == "__main__":
    main()
