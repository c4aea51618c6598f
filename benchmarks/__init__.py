"""Benchmarks: training speed and memory side by side with hand-written NumPy and PyTorch, import time.

Run from the repository root:
    python -m benchmarks.train_speed --config all --repeats 3   # s/epoch, peak RSS, accuracy
    python -m benchmarks.train_speed --config D --profile       # where the framework spends its time
    python -m benchmarks.import_time                            # cost of `import tinygrad_mnist`
    python -m benchmarks.loader_speed                           # DataLoader overhead

This package never imports NumPy or torch at import time: child processes set their thread
counts in the environment before either is loaded.
"""
