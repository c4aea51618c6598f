"""Training speed and memory: this framework, hand-written NumPy and PyTorch CPU on configs A-E.

Every run is its own process (benchmarks/child.py) and the implementations alternate (framework,
numpy, torch, framework, ...), so a slow spell on a shared machine hits all of them. All runs of
a config start from the same initial weights (torch.nn.Linear's init distribution, seeded) and
see the batches in the same order, in float32, with the same thread counts. Prints one JSON line
per run, then a Markdown table of medians and ratios.

    python -m benchmarks.train_speed --config all --repeats 3
    python -m benchmarks.train_speed --config C --profile        # cProfile of the framework
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .child import IMPLS
from .configs import CONFIGS, get_config
from .inputs import prepare_inputs

REPO_ROOT = Path(__file__).resolve().parent.parent
LABELS = {"framework": "framework", "numpy": "NumPy", "torch": "PyTorch"}


def run_child(impl: str, config: str, inputs: Path, args: argparse.Namespace, profile: bool = False) -> str:
    """Run one implementation in a fresh interpreter; its stdout (the JSON line last)."""
    command = [sys.executable, "-m", "benchmarks.child", "--impl", impl, "--config", config,
               "--inputs", str(inputs), "--epochs", str(args.epochs), "--threads", str(args.threads),
               "--warmup-steps", str(args.warmup_steps), "--top", str(args.top)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"{impl} on config {config} failed (exit code {done.returncode}); "
                           f"its stderr is above")
    return done.stdout


def framework_revision() -> str:
    """The commit measured, marked '+ local changes' when tinygrad_mnist/ differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "tinygrad_mnist")
    except OSError:  # no git
        return "unknown"
    return (commit or "unknown") + (" + local changes" if dirty else "")


def choose_impls(requested: str | None) -> list[str]:
    """The implementations to run, in alternation order; torch only where it is installed."""
    names = IMPLS if requested is None else [n.strip() for n in requested.split(",")]
    unknown = [n for n in names if n not in IMPLS]
    if unknown or not names:
        raise SystemExit(f"--impl: expected a comma-separated subset of {','.join(IMPLS)}, got {requested!r}")
    if "torch" in names and importlib.util.find_spec("torch") is None:
        if requested is not None:
            raise SystemExit("--impl torch: PyTorch is not installed")
        print("PyTorch is not installed: comparing with hand-written NumPy only", file=sys.stderr)
        names = [n for n in names if n != "torch"]
    return list(names)


def _cell(values: list[float], digits: int) -> str:
    """The median, with the range when there is more than one value."""
    median = f"{statistics.median(values):.{digits}f}"
    return median if len(values) == 1 else f"{median} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def summary_table(results: list[dict], impls: list[str]) -> str:
    """Medians per config and implementation, and the framework's ratios, as Markdown."""
    columns = [f"{LABELS[i]} s/epoch" for i in impls]
    ratio_to = [other for other in ("torch", "numpy") if "framework" in impls and other in impls]
    columns += [f"framework/{LABELS[o]}" for o in ratio_to]
    columns += ["peak RSS MB (" + " / ".join(LABELS[i] for i in impls) + ")",
                "test accuracy % (" + " / ".join(LABELS[i] for i in impls) + ")"]
    lines = ["| config | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name in dict.fromkeys(r["config"] for r in results):
        runs = {i: [r for r in results if r["config"] == name and r["impl"] == i] for i in impls}
        seconds = {i: [r["seconds_per_epoch"] for r in runs[i]] for i in impls}
        cells = [_cell(seconds[i], 3) for i in impls]
        cells += [f"{statistics.median(seconds['framework']) / statistics.median(seconds[o]):.2f}"
                  for o in ratio_to]
        cells.append(" / ".join(f"{statistics.median(r['peak_rss_mb'] for r in runs[i]):.0f}" for i in impls))
        cells.append(" / ".join(f"{100 * statistics.median(r['accuracy'] for r in runs[i]):.2f}" for i in impls))
        lines.append(f"| {CONFIGS[name].description} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="all", help="A, B, C, D, E or all (default)")
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per run (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per implementation and config")
    parser.add_argument("--impl", help="comma-separated subset of framework,numpy,torch (default all)")
    parser.add_argument("--limit", type=int, help="use only the first N training and test images")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP/torch threads (default 2)")
    parser.add_argument("--warmup-steps", type=int, default=20,
                        help="untimed training steps before the timed run, which restarts from the initial weights")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and batch order")
    parser.add_argument("--profile", action="store_true",
                        help="instead: one cProfile'd epoch per config (of the framework unless --impl says)")
    parser.add_argument("--top", type=int, default=25, help="rows of the --profile table")
    args = parser.parse_args(argv)
    for name in ("epochs", "repeats", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be at least 1, got {args.limit}")
    if args.warmup_steps < 0:
        parser.error(f"--warmup-steps must be at least 0, got {args.warmup_steps}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    names = list(CONFIGS) if args.config == "all" else [args.config]
    try:
        configs = [get_config(n) for n in names]
    except ValueError as err:
        raise SystemExit(f"--config: {err}") from None
    impls = choose_impls(args.impl if args.impl or not args.profile else "framework")
    if args.profile:
        args.epochs = 1
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        for config in configs:
            prepare_inputs(Path(tmp), config, args.limit, args.epochs, args.seed)
        if args.profile:
            for config in configs:
                for impl in impls:
                    print(f"\n## {LABELS[impl]}, config {config.description}\n", flush=True)
                    print(run_child(impl, config.name, Path(tmp), args, profile=True), flush=True)
            return
        load_before = os.getloadavg()
        results = []
        for config in configs:
            for repeat in range(args.repeats):
                for impl in impls:
                    result = json.loads(run_child(impl, config.name, Path(tmp), args).splitlines()[-1])
                    result["repeat"] = repeat
                    print(json.dumps(result), flush=True)
                    results.append(result)
    load_after = os.getloadavg()
    print()
    print(summary_table(results, impls))
    print(f"\nMedians (and ranges) of {args.repeats} run(s) each, {args.epochs} timed epoch(s) on "
          f"{results[0]['samples']} images after {args.warmup_steps} warm-up steps, {args.threads} "
          f"thread(s); 1-minute load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"tinygrad_mnist at {framework_revision()}. Command: python -m benchmarks.train_speed {' '.join(argv if argv is not None else sys.argv[1:])}")


if __name__ == "__main__":
    main()
