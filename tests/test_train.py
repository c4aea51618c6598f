"""fit, EarlyStopping, History and checkpoints (synthetic data, small nets, fast)."""
import math
import os
import sys

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import data, nn, optim, train
from tinygrad_mnist.errors import ConfigError, DataError, MissingToolError, TrainingError


def synthetic(n=240, features=12, classes=3, seed=0):
    gen = np.random.default_rng(seed)
    centers = gen.standard_normal((classes, features)) * 2
    y = gen.integers(0, classes, n)
    x = (centers[y] + gen.standard_normal((n, features))).astype(np.float32)
    return x, y


def setup(seed=0, dropout=0.2):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    x, y = synthetic()
    loader = data.DataLoader((x[:200], y[:200]), batch_size=32, shuffle=True)
    val = data.DataLoader((x[200:], y[200:]), batch_size=100)
    return model, opt, loader, val


def test_fit_learns_and_records_history():
    model, opt, loader, val = setup()
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=5, progress=False)
    assert len(history) == 5 and history["epoch"] == [1, 2, 3, 4, 5]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] > 0.9
    assert all(s > 0 for s in history["seconds"]) and history["lr"] == [1e-2] * 5


def test_fit_without_tqdm_draws_no_bars_on_a_terminal_and_refuses_progress_true(monkeypatch):
    # tqdm comes with the tools extra; a plain install trains at a terminal too, without bars
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    model, opt, loader, val = setup()
    assert len(train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=1)) == 1
    with pytest.raises(MissingToolError, match=r"progress=True needs tqdm.*pip install"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, progress=True)


class ScriptedModel(nn.Module):
    """A 'model' whose weight we set per epoch, to check which weights get restored."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.zeros(1))


@pytest.mark.parametrize("losses, patience, stop_epoch, best_epoch", [
    ([1.0, 0.8, 0.85, 0.9, 0.95, 0.5], 3, 5, 2),
    ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], 3, None, 6),
    ([1.0, 1.2, 0.9, 1.0, 1.1, 1.3], 2, 5, 3),
    ([1.0, 1.0, 1.0], 1, 2, 1),   # equal is not better
])
def test_early_stopping_stops_at_the_right_epoch_and_restores_best(losses, patience, stop_epoch, best_epoch):
    model = ScriptedModel()
    stopper = train.EarlyStopping("val_loss", patience=patience)
    stopped = None
    for epoch, loss in enumerate(losses, 1):
        model.w.data[...] = epoch
        if stopper.on_epoch_end(epoch, {"val_loss": loss}, model):
            stopped = epoch
            break
    stopper.on_train_end(model)
    assert stopped == stop_epoch
    assert stopper.best_epoch == best_epoch and model.w.data[0] == best_epoch


def test_early_stopping_min_delta_and_max_mode():
    model = ScriptedModel()
    stopper = train.EarlyStopping("val_acc", patience=1, min_delta=0.01)
    assert stopper.mode == "max"
    assert not stopper.on_epoch_end(1, {"val_acc": 0.90}, model)
    assert stopper.on_epoch_end(2, {"val_acc": 0.905}, model)  # not better by min_delta


def test_early_stopping_needs_the_monitored_value():
    with pytest.raises(ValueError, match="monitored value 'val_loss' is not available"):
        train.EarlyStopping().on_epoch_end(1, {"train_loss": 1.0}, ScriptedModel())


def test_fit_with_early_stopping_ends_early_and_keeps_best_weights():
    model, opt, loader, val = setup()
    stopper = train.EarlyStopping("val_loss", patience=1)
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), loader, val,
                        epochs=30, callbacks=[stopper], progress=False)
    assert len(history) < 30 and stopper.stopped_epoch == len(history)
    best = history["val_loss"][stopper.best_epoch - 1]
    assert train.evaluate(model, val, nn.CrossEntropyLoss())["loss"] == pytest.approx(best, rel=1e-5)


def test_resume_gives_identical_weights_and_history(tmp_path):
    """4 epochs straight == 2 epochs, a fresh process-like restart from the checkpoint, 2 more."""
    loss = nn.CrossEntropyLoss()
    model, opt, loader, val = setup(seed=1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    straight = train.fit(model, loss, opt, loader, val, epochs=4, scheduler=sched,
                         callbacks=[train.EarlyStopping(patience=10)], progress=False)

    ckpt = str(tmp_path / "ckpt.npz")
    model2, opt2, loader2, val2 = setup(seed=1)
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=1, gamma=0.5)
    train.fit(model2, loss, opt2, loader2, val2, epochs=2, scheduler=sched2,
              callbacks=[train.EarlyStopping(patience=10)], checkpoint=ckpt, progress=False)

    model3, opt3, loader3, val3 = setup(seed=99)  # different init and RNG: all must come from the checkpoint
    sched3 = optim.lr_scheduler.StepLR(opt3, step_size=1, gamma=0.5)
    resumed = train.fit(model3, loss, opt3, loader3, val3, epochs=4, scheduler=sched3,
                        callbacks=[train.EarlyStopping(patience=10)], resume=ckpt, progress=False)

    for (name, a), b in zip(model.state_dict().items(), model3.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for key in ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert straight[key] == resumed[key], key


def test_resume_after_early_stopping_fired_trains_no_further(tmp_path):
    ckpt = str(tmp_path / "ckpt.npz")
    model, opt, loader, val = setup()
    stopper = train.EarlyStopping("val_loss", patience=1)
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), loader, val,
                        epochs=30, callbacks=[stopper], checkpoint=ckpt, progress=False)
    assert stopper.stopped_epoch == len(history) < 30

    model2, _, loader2, val2 = setup(seed=1)
    stopper2 = train.EarlyStopping("val_loss", patience=1)
    resumed = train.fit(model2, nn.CrossEntropyLoss(), optim.SGD(model2.parameters(), lr=5.0), loader2, val2,
                        epochs=30, callbacks=[stopper2], resume=ckpt, progress=False)
    assert stopper2.stopped_epoch == stopper.stopped_epoch and resumed.data == history.data
    for (name, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_early_stopping_loads_state_saved_before_stopped_epoch_was():
    stopper = train.EarlyStopping(patience=2)
    stopper.load_state_dict({"best": 0.5, "best_epoch": 3, "wait": 1, "best_weights": None})
    assert stopper.stopped_epoch is None and stopper.wait == 1


def test_early_stopping_names_a_saved_state_that_does_not_fit():
    stopper = train.EarlyStopping(patience=2)
    with pytest.raises(DataError, match=r"EarlyStopping: the state has no best_epoch, wait, best_weights "
                                        r"\(another callback's state\?\)"):
        stopper.load_state_dict({"best": 0.5})
    good = {"best": 0.5, "best_epoch": 3, "wait": 1, "best_weights": None, "stopped_epoch": None}
    for field, value, kind in [("best", "x", "a number or none"), ("wait", None, "an integer"),
                               ("best_weights", {"w": 1}, "a table of arrays or none"),
                               ("stopped_epoch", 2.5, "an integer or none")]:
        with pytest.raises(DataError, match=f"EarlyStopping: {field} must be {kind}, got {value!r}"):
            stopper.load_state_dict({**good, field: value})
    assert stopper.best is None and stopper.wait == 0  # nothing was loaded


class _Count:
    """A callback without state_dict."""

    def on_epoch_end(self, epoch, logs, model):
        return False


@pytest.mark.parametrize("older", [False, True])
def test_resuming_with_other_callbacks_is_refused(tmp_path, older):
    from tinygrad_mnist.serialization import save_state
    model, opt, loader, val = setup()
    path = str(tmp_path / "ckpt.npz")
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=1, callbacks=[_Count()], checkpoint=path,
              progress=False)
    if older:  # a checkpoint written before the callbacks' classes were saved
        save_state(path, {k: v for k, v in train.load_checkpoint(path).items() if k != "callback_classes"})
    cases = [([train.EarlyStopping()],
              rf"checkpoint {path}: callback 1 cannot take its saved state: EarlyStopping: the state has no best"
              if older else rf"resume: the checkpoint {path} was saved with the callbacks _Count, these are "
                            r"EarlyStopping; resume with the same callbacks, in the same order"),
             ([], rf"resume: the checkpoint {path} holds the state of 1 callbacks, fit was given none"
              if older else rf"resume: the checkpoint {path} was saved with the callbacks _Count, these are none")]
    for callbacks, message in cases:
        model, opt, loader, val = setup()
        with pytest.raises((ConfigError, DataError), match=message):
            train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=2, callbacks=callbacks, resume=path,
                      progress=False)


@pytest.mark.parametrize("field, value, message", [
    ("epoch", -1, "epoch must be an integer >= 0, got -1"),
    ("epoch", True, "epoch must be an integer >= 0, got True"),
    ("config", [], "config must be a table, got \\[\\]"),
    ("optimizer", 3, "optimizer must be a table or none, got 3"),
    ("scheduler", "x", "scheduler must be a table or none, got 'x'"),
    ("history", {"epoch": [1]}, "history must be a table of equally long lists of numbers under epoch"),
    ("history", {**train.History().data, "epoch": [1], "lr": ["x"]}, "history must be a table of"),
    ("loader_rng", {"bit_generator": "PCG64"}, "loader_rng must be a random generator state or none"),
    ("loader_rng", {"bit_generator": "print"}, "loader_rng must be a random generator state or none"),
    ("optimizer_class", 1, "optimizer_class must be a string or none, got 1"),
    ("callback_classes", [1], "callback_classes must be a list of strings or none, got \\[1\\]"),
])
def test_a_checkpoint_field_of_the_wrong_type_raises_data_error_naming_it(tmp_path, field, value, message):
    from tinygrad_mnist.serialization import save_state
    model, opt, loader, _ = setup()
    path = str(tmp_path / "ckpt.npz")
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, checkpoint=path, progress=False)
    save_state(path, {**train.load_checkpoint(path), field: value})
    with pytest.raises(DataError, match=f"checkpoint {path}: damaged, {message}"):
        train.load_checkpoint(path)


def test_a_damaged_optimizer_state_in_a_checkpoint_is_a_data_error_naming_the_file(tmp_path):
    from tinygrad_mnist.serialization import save_state
    model, opt, loader, _ = setup()
    path = str(tmp_path / "ckpt.npz")
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, checkpoint=path, progress=False)
    saved = train.load_checkpoint(path)
    save_state(path, {**saved, "optimizer": {**saved["optimizer"], "state": "x"}})
    with pytest.raises(DataError, match=rf"^checkpoint {path}: damaged optimizer state: Adam.load_state_dict: "
                                        r"'state' must be a dict"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, resume=path, progress=False)


def test_a_checkpoint_keeps_a_loaders_own_generator_of_any_kind(tmp_path):
    model, opt, _, _ = setup()
    x, y = synthetic()
    loader = data.DataLoader((x, y), batch_size=32, shuffle=True, generator=np.random.Generator(np.random.MT19937(1)))
    path = str(tmp_path / "ckpt.npz")
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, checkpoint=path, progress=False)
    assert train.load_checkpoint(path)["loader_rng"]["bit_generator"] == "MT19937"
    pcg = data.DataLoader((x, y), batch_size=32, shuffle=True, generator=np.random.default_rng(1))
    with pytest.raises(ConfigError, match=r"the loader's MT19937 generator, this loader's is a PCG64; resume with "
                                          "the same kind of generator"):
        train.fit(model, nn.CrossEntropyLoss(), opt, pcg, epochs=2, resume=path, progress=False)


def test_checkpoint_round_trip_and_no_pickle(tmp_path):
    model, opt, loader, val = setup()
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=1, progress=False)
    path = train.save_checkpoint(str(tmp_path / "c.npz"), model, opt, 1, history, config={"k": [1, 2]})
    state = train.load_checkpoint(path)
    assert state["epoch"] == 1 and state["config"] == {"k": [1, 2]}
    assert state["history"]["train_loss"] == history["train_loss"]
    for (k, a), b in zip(model.state_dict().items(), state["model"].values()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]


def test_damaged_checkpoints_raise_data_error(tmp_path):
    model, opt, _, _ = setup()
    path = train.save_checkpoint(str(tmp_path / "c.npz"), model, opt)
    raw = open(path, "rb").read()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="cut.npz"):
        train.load_checkpoint(str(cut))
    with pytest.raises(DataError, match="no such file"):
        train.load_checkpoint(str(tmp_path / "missing.npz"))
    other = nn.Sequential(nn.Linear(12, 5))
    with pytest.raises(ValueError, match=r"unexpected keys: 3.weight, 3.bias; 0.weight: shape \(16, 12\)"):
        other.load_state_dict(train.load_checkpoint(path)["model"])


def test_nan_loss_stops_training_with_a_message():
    model, opt, loader, _ = setup()
    x, y = synthetic()
    x[5, 0] = np.nan
    bad = data.DataLoader((x, y), batch_size=300)
    with pytest.raises(TrainingError, match="loss became nan in epoch 1"):
        train.fit(model, nn.CrossEntropyLoss(), opt, bad, epochs=2, progress=False)


def test_history_csv(tmp_path):
    h = train.History()
    h.append(epoch=1, train_loss=0.5, train_acc=0.9, lr=0.1, seconds=1.0)
    text = open(h.to_csv(str(tmp_path / "h.csv"))).read().splitlines()
    assert text[0] == "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"
    assert text[1] == "1,0.5,0.9,,,0.1,1.0"


def test_history_csv_writes_numpy_scalars_and_none_as_plain_cells(tmp_path):
    h = train.History()
    h.append(epoch=np.int64(1), train_loss=np.float32(0.5), val_loss=None, lr=np.float32(0.01), seconds=np.float64(2.5))
    assert open(h.to_csv(str(tmp_path / "h.csv"))).read().splitlines()[1] == "1,0.5,,,,0.01,2.5"


def test_evaluate_binary_outputs_threshold_by_loss_kind():
    probs = np.array([[0.2], [0.7], [0.6]], dtype=np.float32)
    assert list(train.default_predict(probs, probabilities=True)) == [0, 1, 1]
    assert list(train.default_predict(probs - 0.65, probabilities=False)) == [0, 1, 0]
    assert math.isclose(train.evaluate(nn.Identity(), [(tg.Tensor(probs), tg.tensor([[0.0], [1.0], [0.0]]))],
                                       nn.BCELoss())["accuracy"], 2 / 3)


def test_a_sigmoid_output_is_scored_as_a_probability_whatever_the_loss():
    x, y = synthetic(classes=2)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    mse = lambda out, t: nn.functional.mse_loss(out.reshape(-1), tg.Tensor(t.data.astype(np.float32)))
    history = train.fit(model, mse, optim.Adam(model.parameters(), lr=1e-2),
                        data.DataLoader((x, y), batch_size=40), epochs=20, progress=False)
    result = train.evaluate(model, data.DataLoader((x, y), batch_size=100))  # no loss given at all
    scores = model(tg.Tensor(x)).detach().numpy().reshape(-1)
    expected = float(((scores > 0.5) == y).mean())
    assert result["accuracy"] == expected > 0.9  # thresholded at 0, every sample would be class 1
    assert history["train_acc"][-1] > 0.9


def test_probability_targets_are_scored_by_their_most_likely_class():
    x, y = synthetic()
    soft = np.eye(3, dtype=np.float32)[y] * 0.8 + 0.2 / 3
    model, opt, _, _ = setup(dropout=0.0)
    loader = data.DataLoader((x, soft), batch_size=32)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, progress=False)
    result = train.evaluate(model, data.DataLoader((x, soft), batch_size=100), nn.CrossEntropyLoss())
    assert result["accuracy"] == float((result["predictions"] == y).mean()) and history["train_acc"][-1] > 0.5


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that makes the loss nan
def test_a_validation_loss_that_is_not_finite_stops_training_with_a_clear_error():
    model, _, loader, val = setup()
    stopper = train.EarlyStopping()
    with pytest.raises(TrainingError, match="validation loss became nan in epoch 1"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e30), data.DataLoader(
            (synthetic()[0][:200], synthetic()[1][:200]), batch_size=200), val, epochs=2, callbacks=[stopper],
            progress=False)


def test_every_callback_sees_the_epoch_training_stops_at():
    seen = []

    class Logger:
        def on_epoch_end(self, epoch, logs, model):
            seen.append(epoch)

        def on_train_end(self, model):
            pass

    model, opt, loader, val = setup()
    stopper = train.EarlyStopping(patience=0)  # stops at the first epoch that does not improve
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), loader, val,
                        epochs=30, callbacks=[stopper, Logger()], progress=False)
    assert seen == history["epoch"] and seen[-1] == stopper.stopped_epoch


def test_an_early_stopping_kept_from_an_earlier_fit_starts_afresh():
    model, opt, loader, val = setup()
    stopper = train.EarlyStopping(patience=0)
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), loader, val, epochs=30,
              callbacks=[stopper], progress=False)
    assert stopper.stopped_epoch is not None
    again = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), loader, val,
                      epochs=2, callbacks=[stopper], progress=False)
    assert len(again) >= 1 and stopper.best_epoch is not None and stopper.best_epoch <= len(again)


def test_a_non_finite_loss_names_the_batch_it_came_from():
    x, y = synthetic(n=100)
    x[-1] = np.nan  # in the last, shorter batch: 100 = 3 * 32 + 4
    model, opt, _, _ = setup()
    with pytest.raises(TrainingError, match=r"epoch 1 \(batch 4\)"):
        train.fit(model, nn.CrossEntropyLoss(), opt, data.DataLoader((x, y), batch_size=32), epochs=1,
                  progress=False)


def _small_run():
    x, y = synthetic()
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = data.DataLoader((x, y), batch_size=40)
    return model, opt, loader, x, y


def test_one_cycle_lr_steps_once_per_batch_in_fit_as_torch_steps_it():
    import torch
    model, opt, loader, _, _ = _small_run()
    scheduler = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, epochs=3, steps_per_epoch=len(loader))
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, scheduler=scheduler, progress=False)
    ends = []  # torch's lr after each epoch's batches, which the History logs
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    t_sched = torch.optim.lr_scheduler.OneCycleLR(t_opt, max_lr=1.0, epochs=3, steps_per_epoch=len(loader))
    for _ in range(3):
        for _ in range(len(loader)):
            t_opt.step()
            t_sched.step()
        ends.append(t_opt.param_groups[0]["lr"])
    assert history["lr"] == pytest.approx(ends, rel=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-12)


def test_a_summed_loss_is_reported_per_sample_whatever_the_batch_size():
    x, y = synthetic(n=120)
    model = nn.Sequential(nn.Linear(12, 3))
    losses = [train.evaluate(model, data.DataLoader((x, y), batch_size=b), nn.CrossEntropyLoss(reduction="sum"))["loss"]
              for b in (10, 40, 120)]
    mean = train.evaluate(model, data.DataLoader((x, y), batch_size=120), nn.CrossEntropyLoss())["loss"]
    assert losses == pytest.approx([mean] * 3, rel=1e-6)
    with pytest.raises(tg.errors.ConfigError, match="one number per batch"):
        train.evaluate(model, data.DataLoader((x, y), batch_size=10), nn.CrossEntropyLoss(reduction="none"))


def test_a_callback_needs_only_on_epoch_end():
    class Count:
        def __init__(self):
            self.epochs = []

        def on_epoch_end(self, epoch, logs, model):
            self.epochs.append(epoch)
            return False

    model, opt, loader, _, _ = _small_run()
    count = Count()
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, callbacks=[count], progress=False,
                        checkpoint=None)
    assert count.epochs == [1, 2] and len(history) == 2


def test_fit_names_arguments_it_cannot_use(tmp_path):
    model, opt, loader, x, y = _small_run()
    loss = nn.CrossEntropyLoss()
    cases = [
        (dict(train_loader=(x, y)), "wrap arrays in data.DataLoader"),
        (dict(epochs=2.0), "epochs must be an integer >= 0"),
        (dict(epochs=-1), "epochs must be an integer >= 0"),
        (dict(optimizer=None), "optimizer must be a tinygrad_mnist.optim optimizer"),
        (dict(callbacks=train.EarlyStopping()), "pass \\[callback\\]"),
        (dict(scheduler=opt), "scheduler must be a learning-rate scheduler"),
    ]
    for override, message in cases:
        kwargs = dict(model=model, loss_fn=loss, optimizer=opt, train_loader=loader, epochs=1, progress=False)
        kwargs.update(override)
        with pytest.raises((TypeError, ValueError), match=message):
            train.fit(**kwargs)
    with pytest.raises(tg.errors.ConfigError, match="patience must be an integer"):
        train.EarlyStopping(patience=1.5)


def test_resuming_with_another_optimizer_class_is_refused(tmp_path):
    model, opt, loader, _, _ = _small_run()
    path = str(tmp_path / "ckpt.npz")
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, checkpoint=path, progress=False)
    with pytest.raises(tg.errors.ConfigError, match="optimizer is SGD, this one is Adam"):
        train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), loader, epochs=2, resume=path,
                  progress=False)


def test_reduce_lr_on_plateau_in_max_mode_watches_the_validation_accuracy():
    model, opt, loader, _, _ = _small_run()
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val_loader=loader, epochs=3,
                        scheduler=scheduler, progress=False)
    assert scheduler.best == max(history["val_acc"])  # the best accuracy, not the first validation loss


def test_scheduler_and_callback_mistakes_are_named():
    model, opt, loader, _, _ = _small_run()
    loss = nn.CrossEntropyLoss()
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max")
    cases = [
        (dict(callbacks=[object()]), "a callback needs on_epoch_end"),
        (dict(scheduler=optim.lr_scheduler.StepLR(opt, 1), scheduler_interval="step"),
         "scheduler_interval must be 'epoch' or 'batch'"),
        (dict(scheduler=plateau, scheduler_interval="batch"), "ReduceLROnPlateau steps on a validation metric"),
        (dict(scheduler=plateau), "steps on the validation accuracy: give fit\\(\\) a val_loader"),
    ]
    for extra, message in cases:
        with pytest.raises((TypeError, ValueError), match=message):
            train.fit(model, loss, opt, loader, epochs=1, progress=False, **extra)
