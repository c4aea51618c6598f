"""Memory: training releases each step's graph (RSS stays flat over 2,000 steps, measured in a
subprocess), graphs are freed by reference counting alone, and no_grad records nothing."""
import gc
import json
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np

import tinygrad_mnist as tg
from tinygrad_mnist import models, nn, optim
from tinygrad_mnist.autograd import Function

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# One BLAS thread: on a busy machine OpenBLAS's spinning threads make these small matmuls ~20x slower.
ENV = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

TRAIN = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tinygrad_mnist as tg
    from tinygrad_mnist import models, nn, optim

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    keep_graphs, steps = sys.argv[1] == "keep", int(sys.argv[2])
    tg.manual_seed(0)
    model = models.build("seed001-binary")          # 784-128-64-1, ReLU, sigmoid output
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCELoss()
    gen = np.random.default_rng(0)
    x = gen.random((2048, 784), dtype=np.float32)
    y = (gen.random((2048, 1)) > 0.5).astype(np.float32)
    kept, samples = [], []
    for step in range(steps):
        i = (step * 32) % 2048
        batch = x[i:i + 32].copy()                  # a fresh array per step, as a DataLoader gives
        loss = loss_fn(model(tg.tensor(batch)), tg.tensor(y[i:i + 32]))
        opt.zero_grad()
        loss.backward(retain_graph=keep_graphs)
        opt.step()
        if keep_graphs:
            kept.append(loss)                       # the leak a user could write: every graph kept
        if step % 100 == 99:
            samples.append(rss_mb())
    print(json.dumps(samples))
""")


def rss_samples(mode: str, steps: int) -> list[float]:
    proc = subprocess.run([sys.executable, "-c", TRAIN, mode, str(steps)], env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_rss_stays_flat_over_2000_training_steps_of_the_seed001_net():
    samples = rss_samples("release", 2000)        # RSS (MB) after every 100 steps
    assert len(samples) == 20
    warm = samples[1]                              # after 200 steps: allocator and optimizer state settled
    assert max(samples[2:]) - warm < 4.0, f"RSS grew from {warm:.1f} MB: {samples}"


def test_the_rss_measurement_does_catch_a_leak_of_one_graph_per_step():
    samples = rss_samples("keep", 300)            # each kept graph holds its 100 KB input batch and more
    assert samples[-1] - samples[0] > 15.0, f"a 300-step leak went unnoticed: {samples}"


def live_nodes() -> int:
    gc.collect()
    return sum(issubclass(type(o), Function) for o in gc.get_objects())


def test_a_graph_built_under_no_grad_records_nothing():
    tg.manual_seed(0)
    model = models.build("seed001-multiclass")
    x, y = tg.rand(8, 784), tg.randint(0, 10, (8,))
    before = live_nodes()
    with tg.no_grad():
        out = model(x)
        loss = nn.CrossEntropyLoss()(out, y)
        hidden = model.layers[0](x).relu() * 2 + 1
    assert live_nodes() == before
    for t in (out, loss, hidden):
        assert t.grad_fn is None and not t.requires_grad
    recorded = nn.CrossEntropyLoss()(model(x), y)  # the same with grad on does record: the count can see it
    assert live_nodes() > before and recorded.grad_fn is not None


def test_each_step_graph_is_freed_by_reference_counting_alone():
    tg.manual_seed(1)
    model = models.build("seed001-binary")
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = tg.rand(16, 784), (tg.rand(16, 1) > 0.5).float()
    gc.disable()                                   # a reference cycle would now keep the graph alive
    try:
        for _ in range(20):
            out = model(x)
            loss = nn.BCELoss()(out, y)
            nodes = [weakref.ref(loss.grad_fn), weakref.ref(out.grad_fn)]
            opt.zero_grad()
            loss.backward()
            opt.step()
            del loss, out
            assert all(ref() is None for ref in nodes)
    finally:
        gc.enable()


def test_optimizer_steps_allocate_no_new_parameter_arrays():
    tg.manual_seed(2)
    model = nn.Sequential(nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 1))
    arrays = [id(p.data) for p in model.parameters()]
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = tg.randn(8, 20)
    for _ in range(5):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    assert [id(p.data) for p in model.parameters()] == arrays
    assert all(np.isfinite(p.data).all() for p in model.parameters())
