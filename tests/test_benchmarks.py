"""The benchmark harness is correct: the NumPy reference trains exactly like the framework and
PyTorch, and the commands print what they promise. No timing is asserted here."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import matmul_speed, train_speed
from benchmarks.child import THREAD_VARIABLES
from benchmarks.configs import CONFIGS, initial_weights, state_dict_keys
from benchmarks.framework_mlp import FrameworkMLP
from benchmarks.inputs import batch_orders, scale_images
from benchmarks.memory import current_rss_mb, peak_rss_mb
from benchmarks.numpy_mlp import NumpyMLP
from tinygrad_mnist.data import MNIST

REPO_ROOT = Path(__file__).resolve().parent.parent
STEPS = 5
RUN_KEYS = {"config", "impl", "epochs", "seconds_per_epoch", "epoch_seconds", "peak_rss_mb",
            "baseline_rss_mb", "data_mb", "accuracy", "loss", "threads", "samples", "repeat"}


@pytest.fixture(scope="module")
def mnist_head():
    """The first 1,000 MNIST training images (uint8) and labels."""
    ds = MNIST(train=True)
    return ds.data[:1000], ds.targets[:1000]


def train_a_few_steps(model_class, config, weights, images, labels, sizes=None):
    """The losses of training steps on consecutive batches (STEPS of config's batch size unless
    sizes are given), and the parameters after them."""
    x = scale_images(images, config.input_range)
    bounds = np.cumsum([0] + (sizes or [config.batch_size] * STEPS))
    model = model_class(config, weights)
    losses = [model.train_step(x[lo:hi], labels[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return np.array(losses), [np.array(p, copy=True) for p in model.parameters()]


def assert_same_training(reference, other, weights):
    """Same losses to float32 noise, and parameters that moved the same way to within 1% of the
    largest update (a wrong gradient would be off by about the whole update)."""
    (ref_losses, ref_params), (losses, params) = reference, other
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    largest_update = max(np.abs(p - w).max() for p, w in zip(ref_params, weights))
    assert largest_update > 0
    for p, q in zip(params, ref_params):
        assert p.dtype == np.float32 and p.shape == q.shape
        np.testing.assert_allclose(p, q, rtol=0, atol=0.01 * largest_update)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_numpy_reference_trains_like_the_framework(name, mnist_head):
    config = CONFIGS[name]
    weights = initial_weights(config, seed=1)
    reference = train_a_few_steps(NumpyMLP, config, weights, *mnist_head)
    assert_same_training(reference, train_a_few_steps(FrameworkMLP, config, weights, *mnist_head), weights)
    assert np.all(np.diff(reference[0]) != 0)  # the loss changes each step: training is happening


@pytest.mark.parametrize("name", list(CONFIGS))
def test_numpy_reference_trains_like_torch(name, mnist_head):
    pytest.importorskip("torch", reason="PyTorch is the oracle here and is not installed")
    from benchmarks.torch_mlp import TorchMLP
    config = CONFIGS[name]
    weights = initial_weights(config, seed=2)
    reference = train_a_few_steps(NumpyMLP, config, weights, *mnist_head)
    assert_same_training(reference, train_a_few_steps(TorchMLP, config, weights, *mnist_head), weights)


@pytest.mark.parametrize("name", ["A", "C"])
def test_numpy_reference_reuses_its_buffers_across_batch_sizes(name, mnist_head):
    # the last batch of an epoch is shorter: buffers of both shapes must stay correct
    config = CONFIGS[name]
    weights = initial_weights(config, seed=3)
    sizes = [config.batch_size, 7, config.batch_size, 7]
    reference = train_a_few_steps(NumpyMLP, config, weights, *mnist_head, sizes=sizes)
    other = train_a_few_steps(FrameworkMLP, config, weights, *mnist_head, sizes=sizes)
    assert_same_training(reference, other, weights)


def test_numpy_reference_does_not_touch_the_initial_weights(mnist_head):
    config = CONFIGS["D"]
    weights = initial_weights(config)
    before = [w.copy() for w in weights]
    train_a_few_steps(NumpyMLP, config, weights, *mnist_head)
    for w, b in zip(weights, before):
        np.testing.assert_array_equal(w, b)


def test_initial_weights_follow_torch_linear_init():
    config = CONFIGS["B"]
    weights = initial_weights(config, seed=0)
    assert len(weights) == len(state_dict_keys(config)) == 8
    for (fan_in, fan_out), w, b in zip(zip(config.sizes[:-1], config.sizes[1:]), weights[0::2], weights[1::2]):
        bound = 1 / np.sqrt(fan_in)
        assert w.shape == (fan_out, fan_in) and b.shape == (fan_out,)
        assert w.dtype == b.dtype == np.float32
        assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    big = weights[0]  # 100,352 draws of U(-b, b): std b / sqrt(3)
    assert abs(big.std() - 1 / np.sqrt(3 * 784)) < 0.01 / np.sqrt(784)
    assert all(np.array_equal(a, b) for a, b in zip(weights, initial_weights(config, seed=0)))
    assert not np.array_equal(weights[0], initial_weights(config, seed=1)[0])


def test_batch_orders_are_seeded_permutations():
    orders = batch_orders(50, epochs=3, seed=4)
    assert orders.shape == (3, 50) and orders.dtype == np.int64
    assert all(np.array_equal(np.sort(o), np.arange(50)) for o in orders)
    assert not np.array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(orders, batch_orders(50, epochs=3, seed=4))


def test_scale_images_maps_pixels_onto_the_range():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    np.testing.assert_allclose(scale_images(images, (0.0, 1.0)), [[0, 1, 0.2, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(scale_images(images, (-1.0, 1.0)), [[-1, 1, -0.6, -0.2]], rtol=1e-6)
    assert scale_images(images, (0.0, 1.0)).dtype == np.float32


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="current_rss_mb reads /proc (Linux)")
def test_peak_rss_rises_with_an_allocation():
    before = current_rss_mb()
    block = np.ones(64 * 2**20 // 8)  # 64 MiB, written so that it is resident
    now = current_rss_mb()
    assert now >= before + 60
    assert peak_rss_mb() >= now
    del block


def test_summary_table_gives_medians_and_ratios():
    runs = [{"config": "C", "impl": impl, "seconds_per_epoch": s, "peak_rss_mb": 100.0, "accuracy": 0.9}
            for impl, seconds in (("framework", (2.0, 3.0, 2.5)), ("numpy", (1.0,)), ("torch", (5.0,)))
            for s in seconds]
    table = train_speed.summary_table(runs, ["framework", "numpy", "torch"])
    header, _, row = table.splitlines()
    assert "framework/PyTorch" in header and "framework/NumPy" in header
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0].startswith("C 784-64-10")
    assert cells[1:6] == ["2.500 (2.000-3.000)", "1.000", "5.000", "0.50", "2.50"]
    assert cells[6:] == ["100 / 100 / 100", "90.00 / 90.00 / 90.00"]


def run_module(*args, timeout=120):
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_harness_runs_a_tiny_config_end_to_end():
    out = run_module("benchmarks.train_speed", "--config", "D", "--limit", "320", "--repeats", "1",
                     "--warmup-steps", "2")
    lines = out.splitlines()
    runs = [json.loads(line) for line in lines if line.startswith("{")]
    impls = [r["impl"] for r in runs]
    assert impls[:2] == ["framework", "numpy"] and impls[2:] in ([], ["torch"])
    for r in runs:
        assert RUN_KEYS <= set(r), RUN_KEYS - set(r)
        assert r["config"] == "D" and r["samples"] == 320 and r["epochs"] == 1 and r["threads"] == 2
        assert r["seconds_per_epoch"] > 0 and 0 <= r["accuracy"] <= 1
        assert r["baseline_rss_mb"] <= r["peak_rss_mb"] and r["data_mb"] > 0
        assert r["blas_threads"] in (None, 2)
    # same weights, same batches: the implementations end with the same loss and accuracy
    np.testing.assert_allclose([r["loss"] for r in runs], runs[0]["loss"], rtol=1e-4)
    assert len({r["accuracy"] for r in runs}) == 1
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 3 and table[2].startswith("| D 784-20-10 relu")
    assert "framework/NumPy" in table[0]


def test_profile_prints_the_framework_top_functions():
    out = run_module("benchmarks.train_speed", "--config", "D", "--limit", "160", "--profile", "--top", "5")
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert len(rows) == 5
    assert "## framework, config D" in out and "tinygrad_mnist" in out
    assert json.loads(out.strip().splitlines()[-1])["profiled"] is True


def test_harness_rejects_unknown_config_and_impl():
    with pytest.raises(SystemExit, match="unknown config 'F'"):
        train_speed.main(["--config", "F"])
    with pytest.raises(SystemExit, match="subset of framework,numpy,torch"):
        train_speed.main(["--config", "D", "--impl", "numpy,jax"])


def test_matmul_speed_times_every_product_of_a_step_in_numpy_and_torch():
    lines = [json.loads(line) for line in run_module(
        "benchmarks.matmul_speed", "--config", "D", "--repeats", "1", "--min-seconds", "0.001").splitlines()]
    *per_product, summary = lines
    # D is 784-20-10: the first layer's input (the images) needs no gradient
    assert [p["product"] for p in per_product] == [
        "layer 0 forward x @ W.T", "layer 0 weight grad g.T @ x",
        "layer 1 forward x @ W.T", "layer 1 input grad g @ W", "layer 1 weight grad g.T @ x"]
    assert per_product[0]["shape"] == "16x784 @ 784x20" and per_product[3]["shape"] == "16x10 @ 10x20"
    for p in per_product:
        assert p["numpy_us"] > 0 and p["torch_us"] > 0
        assert p["numpy/torch"] == pytest.approx(p["numpy_us"] / p["torch_us"], rel=0.05, abs=0.02)
    assert summary["product"] == "one training step" and summary["steps_per_epoch"] == 3750
    numpy_total = sum(p["numpy_us"] for p in per_product) * 3750 / 1e6
    assert summary["numpy_s_per_epoch"] == pytest.approx(numpy_total, rel=0.02, abs=0.002)


def test_matmul_speed_without_torch_times_numpy_alone(monkeypatch, capsys):
    for name in THREAD_VARIABLES:  # restored afterwards: matmul_speed sets them
        monkeypatch.setenv(name, "2")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    matmul_speed.main(["--config", "D", "--repeats", "1", "--min-seconds", "0.001"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 6 and all(line["numpy_us"] > 0 for line in lines[:-1])
    assert not any(key.startswith("torch") for line in lines for key in line)
    assert lines[-1]["numpy_s_per_epoch"] > 0 and "torch" not in lines[-1]["versions"]


def test_matmul_speed_rejects_an_unknown_config():
    done = subprocess.run([sys.executable, "-m", "benchmarks.matmul_speed", "--config", "F"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown config 'F'" in done.stderr


def test_step_overhead_counts_the_bytecodes_of_a_step_the_same_on_every_run():
    def run():
        out = run_module("benchmarks.step_overhead", "--config", "D", "--steps", "5", "--rounds", "1",
                         "--traced-steps", "3")
        return [json.loads(line) for line in out.splitlines()]
    first, second = run(), run()
    framework, numpy_ref, difference = first
    assert [r["impl"] for r in first] == ["framework", "numpy", "framework - numpy"]
    assert framework["bytecodes_per_step"] > numpy_ref["bytecodes_per_step"] > 0
    assert framework["python_calls_per_step"] > numpy_ref["python_calls_per_step"] > 0
    extra = framework["bytecodes_per_step"] - numpy_ref["bytecodes_per_step"]
    assert abs(difference["bytecodes_per_step"] - extra) <= 1  # each rounded on its own
    assert framework["us_per_step"] > 0 and numpy_ref["us_per_step"] > 0
    assert [r["bytecodes_per_step"] for r in first] == [r["bytecodes_per_step"] for r in second]


def test_import_time_prints_one_json_line_and_loads_nothing_heavy():
    lines = run_module("benchmarks.import_time", "--repeats", "1").splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["benchmark"] == "import_time" and result["repeats"] == 1
    assert 0 < result["numpy_seconds"] < result["seconds"]
    assert result["first_import_seconds"] > 0
    assert result["heavy_modules_loaded"] == []


def test_import_time_imports_from_bytecode_even_when_the_environment_turns_writing_it_off(monkeypatch):
    from benchmarks import import_time
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert "PYTHONDONTWRITEBYTECODE" not in import_time.bytecode_writing_env()
