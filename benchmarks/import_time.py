"""How long `import tinygrad_mnist` takes in a fresh interpreter; prints one JSON line.

Run from the repository root: python -m benchmarks.import_time [--repeats 5]
Each repeat is a new process (so nothing is cached in sys.modules); NumPy's own import time is
timed separately, since the library cannot import faster than its one dependency. The timed
imports read the bytecode that a first import compiled into __pycache__, as every import after
the first does on a user's machine; that first one is reported on its own. The imports write
bytecode even when PYTHONDONTWRITEBYTECODE is set, which would otherwise make every import compile
the library's source again (about 0.1 s).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# Modules `import tinygrad_mnist` must not load: they are imported only by the functions using them.
HEAVY = ("matplotlib", "tqdm", "graphviz", "torch", "sklearn", "scipy")

PROBE = f"""
import json, sys, time
start = time.perf_counter()
import numpy
numpy_done = time.perf_counter()
import tinygrad_mnist
done = time.perf_counter()
print(json.dumps({{"numpy": numpy_done - start, "total": done - start,
                  "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def measure_once(env: dict) -> dict:
    """Import times (seconds) in one fresh interpreter, and the heavy modules it loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout)


def bytecode_writing_env() -> dict:
    """This environment, in which an interpreter writes the bytecode it compiles, as by default."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh interpreters to time (median)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    env = bytecode_writing_env()
    first = measure_once(env)
    runs = [measure_once(env) for _ in range(args.repeats)]
    total = statistics.median(r["total"] for r in runs)
    numpy_seconds = statistics.median(r["numpy"] for r in runs)
    print(json.dumps({
        "benchmark": "import_time", "module": "tinygrad_mnist", "repeats": args.repeats,
        "seconds": round(total, 4),                     # numpy included
        "numpy_seconds": round(numpy_seconds, 4),
        "tinygrad_mnist_only_seconds": round(statistics.median(r["total"] - r["numpy"] for r in runs), 4),
        "first_import_seconds": round(first["total"], 4),  # compiling any source without bytecode yet
        "heavy_modules_loaded": sorted({m for r in [first, *runs] for m in r["heavy"]}),
    }))


if __name__ == "__main__":
    main()
