"""Training faults: Ctrl-C (SIGINT) stops `tinygrad-mnist train` cleanly with a checkpoint that
--resume continues exactly; a NaN loss stops training with a one-line message and keeps the last
good checkpoint."""
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import data, nn, optim, train
from tinygrad_mnist.errors import TrainingError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
SCRIPT = Path(sys.executable).parent / "tinygrad-mnist"
# The installed command, as a user runs it; `python -m tinygrad_mnist` runs the same main() otherwise.
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tinygrad_mnist"]
QUICK = ["--limit", "1000", "--layers", "784,16,10", "--early-stopping", "0", "--quiet", "--no-plots"]


def train_cli(*args, timeout=120):
    return subprocess.run([*COMMAND, "train", *QUICK, *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def test_sigint_exits_cleanly_and_resume_continues_exactly(tmp_path):
    out = tmp_path / "run"
    ckpt = out / "checkpoint.npz"
    # A job started in the background inherits SIGINT as ignored, and Python then leaves Ctrl-C
    # ignored; restore the default so the child behaves as in a terminal wherever the suite runs.
    proc = subprocess.Popen([*COMMAND, "train", *QUICK, "--epochs", "1000", "--out", str(out)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not ckpt.exists():                    # the first epoch has been saved
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert f"interrupted: the last complete epoch is in {ckpt}; continue with --resume {ckpt}" in stderr
    done = train.load_checkpoint(str(ckpt))["epoch"]
    assert 1 <= done < 1000

    resumed = train_cli("--epochs", str(done + 2), "--out", str(out), "--resume", str(ckpt))
    assert resumed.returncode == 0, resumed.stderr
    assert f"epochs: {done + 2}" in resumed.stdout
    history = (out / "history.csv").read_text().splitlines()
    assert len(history) == 1 + done + 2 and history[-1].startswith(f"{done + 2},")

    straight = train_cli("--epochs", str(done + 2), "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr
    ours = train.load_checkpoint(str(ckpt))["model"]
    reference = train.load_checkpoint(str(tmp_path / "straight" / "checkpoint.npz"))["model"]
    for name in reference:                          # interrupted + resumed == never interrupted
        np.testing.assert_array_equal(ours[name], reference[name], err_msg=name)


def test_a_diverging_run_stops_with_a_one_line_error(tmp_path):
    proc = train_cli("--epochs", "3", "--optimizer", "sgd", "--lr", "1e30", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("tinygrad-mnist train: error: the loss became ")
    assert "in epoch 1" in errors[0] and "Lower the learning rate" in errors[0]


def synthetic(n=200, seed=0):
    gen = np.random.default_rng(seed)
    y = gen.integers(0, 3, n)
    x = (gen.standard_normal((3, 8))[y] * 2 + gen.standard_normal((n, 8))).astype(np.float32)
    return x, y


class PoisonedAfter:
    """Cross-entropy that turns NaN from the given call on (a run that diverges mid-way)."""

    def __init__(self, calls: int):
        self.calls, self.count = calls, 0

    def __call__(self, out, y):
        self.count += 1
        loss = nn.CrossEntropyLoss()(out, y)
        return loss * math.nan if self.count > self.calls else loss


def test_a_nan_loss_mid_run_keeps_the_last_good_checkpoint_and_resume_works(tmp_path):
    x, y = synthetic()
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loader = data.DataLoader((x, y), batch_size=50, shuffle=True)   # 4 batches per epoch
    ckpt = str(tmp_path / "checkpoint.npz")
    with pytest.raises(TrainingError, match=r"the loss became nan in epoch 3 \(batch 3\); training stopped"):
        train.fit(model, PoisonedAfter(2 * 4 + 2), opt, loader, epochs=5, checkpoint=ckpt, progress=False)
    state = train.load_checkpoint(ckpt)
    assert state["epoch"] == 2 and len(state["history"]["train_loss"]) == 2
    assert all(np.isfinite(v).all() for v in state["model"].values())
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=4, resume=ckpt, progress=False)
    assert history["epoch"] == [1, 2, 3, 4] and all(math.isfinite(v) for v in history["train_loss"])
