"""Experiments: the example TOMLs parse and every config takes optimisation steps; the runner expands
grids, skips and resumes runs, and writes its tables; RunConfig's splits, iterations and schedules.

Training here uses a small MNIST subset that stands in for every dataset of the family (KMNIST has the
same 28x28 images and 10 classes but cannot be assumed downloadable in a test)."""
import csv
import datetime
import glob
import json
import math
import os
import re

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import cli, data, experiments, run as run_module
from tinygrad_mnist.errors import ConfigError
from tinygrad_mnist.run import IterationLoader, RunConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.toml")))


@pytest.fixture(scope="module")
def subset():
    """600 training and 200 test images of the bundled MNIST, all ten digits."""
    train, test = data.MNIST(train=True), data.MNIST(train=False)
    return (train.data[:600], train.targets[:600]), (test.data[:200], test.targets[:200])


@pytest.fixture
def small_data(subset, monkeypatch):
    """Every dataset name loads the small MNIST subset."""
    class Small(data.MNIST):
        def __init__(self, root=None, train=True):
            self.data, self.targets = subset[0] if train else subset[1]
    for name in list(run_module.DATASETS):
        monkeypatch.setitem(run_module.DATASETS, name, Small)
    return subset


# ---- the committed experiment files ----------------------------------------------------------------

def test_every_seed_has_an_experiment_file_and_a_best_mlp_recipe():
    names = {os.path.basename(p) for p in EXAMPLES}
    assert {"seed000.toml", "seed001.toml", "seed002.toml", "seed003.toml", "seed004.toml", "best_mlp.toml"} <= names


def test_example_files_hold_the_seeds_experiments():
    exps = {os.path.basename(p)[:-5]: experiments.load_experiment(p) for p in EXAMPLES}
    seed001 = exps["seed001"].runs
    assert len([n for n in seed001 if n.startswith("b") and "-lr" in n]) == 16      # 4x4 batch x lr
    assert {seed001[f"{i}-{a}"].init for i in ("normal", "he_normal", "glorot_uniform")
            for a in ("relu", "sigmoid", "tanh")} == {"normal", "he_normal", "glorot_uniform"}
    seed002 = exps["seed002"].runs
    assert all(f"exp{i:02d}" in seed002 for i in range(1, 21))
    assert all(seed002[f"exp{i:02d}"].iterations == 2500 and seed002[f"exp{i:02d}"].batch_size == 16
               for i in range(1, 21))
    assert [seed002[n].layers for n in ("exp13", "exp18")] == [[784, 5, 10, 10], [784, 20, 20, 10]]
    assert [exps["seed003"].runs[f"v1-{e}ep"].epochs for e in (10, 100, 1000)] == [10, 100, 1000]
    assert exps["seed003"].runs["v1-10ep"].batch_size == "full"
    assert {cfg.dataset for cfg in exps["seed004"].runs.values()} == {"kmnist"}
    assert all(cfg.preprocess == "standardize" for cfg in exps["seed004"].runs.values())
    assert len(exps["seed004"].runs) == 16


CONFIGS = [(os.path.basename(path), name) for path in EXAMPLES
           for name in experiments.load_experiment(path).runs]


@pytest.mark.parametrize("path, name", CONFIGS, ids=[f"{p[:-5]}/{n}" for p, n in CONFIGS])
def test_every_config_builds_and_its_steps_lower_the_training_objective(small_data, path, name):
    cfg = experiments.load_experiment(os.path.join(ROOT, "examples", path)).runs[name]
    tg.manual_seed(0)
    splits = run_module.load_splits(cfg)
    n_classes = len(cfg.classes) if cfg.classes else 10
    model = run_module.build_model(cfg, splits["train"][0].shape[1], n_classes)
    loss_fn = run_module.make_loss(cfg.loss, n_classes)
    optimizer = run_module.make_optimizer(cfg, model.parameters())
    x, y = splits["train"]
    batch = len(y) if cfg.batch_size == "full" else min(cfg.batch_size, 64)
    xb, yb = tg.tensor(x[:batch]), tg.tensor(y[:batch])

    def objective():  # the loss plus the L2 penalty the optimizer's weight decay descends on
        model.eval()
        with tg.no_grad():
            value = loss_fn(model(xb), yb).item()
        model.train()
        return value + 0.5 * cfg.weight_decay * sum(float((p.data.astype(np.float64) ** 2).sum())
                                                    for p in model.parameters())

    before = objective()
    for _ in range(3):
        out = model(xb)
        assert out.shape == (batch, 1 if cfg.loss in ("bce", "bce_with_logits") else n_classes)
        loss = loss_fn(out, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert objective() < before


# ---- RunConfig: splits, iterations, full batch, schedules ---------------------------------------------

def test_pooled_test_split_takes_its_share_of_train_and_test_together(small_data):
    cfg = RunConfig(test_fraction=0.25, val_fraction=0.2)
    splits = run_module.load_splits(cfg)
    sizes = {k: len(v[1]) for k, v in splits.items()}
    assert sizes == {"test": 200, "train": 480, "val": 120}
    pooled = np.concatenate([small_data[0][1], small_data[1][1]])
    for part in ("train", "test"):  # stratified: every class within one sample of its share per split
        share = {"test": 0.25, "train": 0.6}[part]
        counts = np.bincount(splits[part][1], minlength=10)
        assert (np.abs(counts - share * np.bincount(pooled, minlength=10)) <= 2).all()


def test_unstratified_split_and_class_subset(small_data):
    splits = run_module.load_splits(RunConfig(classes=[5, 8], test_fraction=0.2, val_fraction=0.2, stratify=False))
    total = sum(len(v[1]) for v in splits.values())
    n58 = sum(int(np.isin(y, [5, 8]).sum()) for _, y in small_data)
    assert total == n58 and len(splits["test"][1]) == round(0.2 * n58)
    assert set(np.unique(splits["train"][1])) == {0, 1}


def test_iteration_loader_gives_exactly_the_steps_asked_across_epochs():
    x, y = np.zeros((50, 3), np.float32), np.arange(50) % 2
    loader = IterationLoader(data.DataLoader((x, y), batch_size=16, shuffle=True), iterations=23, every=10)
    assert loader.passes == [10, 10, 3]
    steps = [sum(1 for _ in loader) for _ in range(3)]
    assert steps == [10, 10, 3]  # 23 steps over an epoch of 4 batches: the stream restarts as needed


def test_iterations_run_validates_every_eval_every_steps(small_data):
    cfg = RunConfig(layers=[784, 8, 10], optimizer="sgd", lr=0.1, batch_size=16, iterations=45, eval_every=20,
                    early_stopping=None)
    result = run_module.run(cfg, progress=False)
    assert result["epochs"] == 3 and result["iterations"] == 45
    assert result["train_size"] + result["val_size"] == 600 and result["test_size"] == 200


def test_full_batch_is_one_step_per_epoch_and_cosine_anneals(small_data, tmp_path, monkeypatch):
    steps = []

    def counting_optimizer(cfg, params):
        optimizer = make_optimizer(cfg, params)
        step = optimizer.step
        optimizer.step = lambda: (steps.append(1), step())[1]
        return optimizer
    make_optimizer = run_module.make_optimizer
    monkeypatch.setattr(run_module, "make_optimizer", counting_optimizer)
    cfg = RunConfig(layers=[784, 8, 10], optimizer="sgd", lr=0.5, batch_size="full", epochs=4, scheduler="cosine",
                    early_stopping=None)
    run_module.run(cfg, out=str(tmp_path), plots=False, progress=False)
    assert len(steps) == 4
    with open(tmp_path / "history.csv") as f:
        lrs = [float(r["lr"]) for r in csv.DictReader(f)]
    # the lr each epoch trained with: cosine from 0.5 towards 0 over the 4 epochs
    np.testing.assert_allclose(lrs, [0.5 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(4)], atol=1e-12)


@pytest.mark.parametrize("fields, message", [
    (dict(loss="cross_entropy", output="softmax"), "loss 'cross_entropy' expects the model output 'none'"),
    (dict(loss="bce", layers=[784, 8, 1], output="none", classes=[5, 8]), "loss 'bce' expects the model output 'sigmoid'"),
])
def test_a_loss_that_does_not_fit_the_output_layer_is_refused(small_data, fields, message):
    cfg = RunConfig(**{"layers": [784, 8, 10], **fields})
    with pytest.raises(ConfigError, match=message):
        run_module.build_model(cfg, 784, 2 if cfg.classes else 10)


@pytest.mark.parametrize("fields, message", [
    (dict(batch_size="half"), "batch_size must be an integer or 'full', got 'half'"),
    (dict(lr="abc"), "lr must be a number, got 'abc'"),
    (dict(stratify="no"), "stratify must be true or false, got 'no'"),
    (dict(early_stopping=1.5), "early_stopping must be an integer or none, got 1.5"),
    (dict(epochs=1.5), "epochs must be an integer, got 1.5"),
    (dict(classes=5), "classes must be a list of integers or none, got 5"),
    (dict(layers="784,10"), "layers must be a list of integers or none, got '784,10'"),
    (dict(dropout="x"), "dropout must be a number or none, got 'x'"),
    (dict(seed=-1), "seed must be an integer >= 0, got -1"),
    (dict(early_stopping=-1), "early_stopping must be an integer >= 0 (0 turns it off), got -1"),
    (dict(iterations=0), "iterations must be a finite number > 0"),
    (dict(eval_every=10), "eval_every needs iterations"),
    (dict(test_fraction=1.0), "test_fraction must be in (0, 1)"),
    (dict(scheduler="linear"), "unknown scheduler 'linear'"),
    (dict(weight_decay=math.inf), "weight_decay must be finite, got inf"),
    (dict(optimizer="sgd", momentum=math.inf), "momentum must be finite, got inf"),
    (dict(init="normal", init_scale=math.inf), "init_scale must be finite, got inf"),
    (dict(extra={"when": datetime.date(1979, 5, 27)}),
     "extra must be a table of JSON values (no dates or times), got {'when': datetime.date(1979, 5, 27)}"),
])
def test_bad_run_settings_name_the_setting(fields, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunConfig(**fields).validate()


@pytest.mark.parametrize("fields, message", [
    (dict(classes=[]), "classes must list at least two classes, got []"),
    (dict(classes=[5], layers=[784, 8, 1]), "classes must list at least two classes, got [5]"),
    (dict(model="seed001-binary", loss="bce"), "loss 'bce' is binary, so it needs exactly two classes "
                                              "(classes = [A, B], e.g. --classes 5,8), got all 10 classes"),
    (dict(layers=[784, 8, 1], loss="bce_with_logits", classes=[3, 5, 8]),
     "loss 'bce_with_logits' is binary, so it needs exactly two classes (classes = [A, B], e.g. --classes 5,8), "
     "got 3 classes [3, 5, 8]"),
    (dict(momentum=0.9),
     "momentum is for sgd and rmsprop; optimizer 'adam' has none (torch's Adam takes no momentum)"),
    (dict(optimizer="adamw", momentum=0.5), "optimizer 'adamw' has none (torch's AdamW takes no momentum)"),
    (dict(optimizer="adadelta", momentum=0.5), "optimizer 'adadelta' has none (torch's Adadelta takes no momentum)"),
    (dict(optimizer="rprop", weight_decay=1e-4), "optimizer 'rprop' takes no weight_decay (torch's Rprop has none), "
                                                 "got 0.0001"),
    (dict(optimizer="rmsprop", momentum=0.9, nesterov=True), "nesterov is for sgd only, got optimizer 'rmsprop'"),
    (dict(val_fraction=0), "early_stopping 3 watches the validation loss, but val_fraction is 0: turn early "
                           "stopping off (early_stopping = 0, --early-stopping 0) or keep a validation split"),
    (dict(model="seed000", layers=[784, 20, 10]), "model 'seed000' and layers are alternatives, give one"),
    (dict(model="default", layers=[784, 20, 10]), "model 'default' and layers are alternatives, give one"),
])
def test_settings_without_effect_or_tasks_the_loss_cannot_learn_are_refused(fields, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        RunConfig(**fields).validate()


def test_torch_refuses_momentum_for_adam_too():
    import torch
    for adam in (torch.optim.Adam, torch.optim.AdamW):
        with pytest.raises(TypeError, match="momentum"):
            adam([torch.zeros(1, requires_grad=True)], momentum=0.9)


def test_the_preset_is_the_default_only_without_layers():
    assert RunConfig().model == "default" and RunConfig(layers=[784, 8, 10]).model is None
    for cfg in (RunConfig(optimizer="sgd", momentum=0.9, nesterov=True),
                RunConfig(optimizer="rmsprop", momentum=0.5),
                RunConfig(val_fraction=0, early_stopping=None), RunConfig(val_fraction=0, early_stopping=0),
                RunConfig(model="seed001-binary", loss="bce", classes=[5, 8]), RunConfig(layers=[784, 8, 10])):
        cfg.validate()


# ---- parsing ----------------------------------------------------------------------------------------

TINY = """
[experiment]
name = "tiny"
title = "Tiny"

[defaults]
layers = [784, 8, 10]
epochs = 2
batch_size = 64
early_stopping = 0

[[run]]
name = "adam"
lr = 0.01

[[grid]]
name = "{activation}-lr{lr}"
optimizer = "sgd"
vary = { activation = ["relu", "tanh"], lr = [0.1, 0.001] }

[[claim]]
run = "adam"
test_accuracy = 0.5
note = "a test claim"

[[claim]]
run = "relu-lr0.1"
text = "the best"
"""


def write(tmp_path, text, name="tiny.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_grid_expands_to_every_combination_named_by_its_template(tmp_path):
    exp = experiments.load_experiment(write(tmp_path, TINY))
    assert list(exp.runs) == ["adam", "relu-lr0.1", "relu-lr0.001", "tanh-lr0.1", "tanh-lr0.001"]
    assert exp.runs["tanh-lr0.001"].activation == "tanh" and exp.runs["tanh-lr0.001"].lr == 0.001
    assert exp.runs["tanh-lr0.001"].optimizer == "sgd" and exp.runs["adam"].optimizer == "adam"
    assert all(cfg.epochs == 2 and cfg.layers == [784, 8, 10] for cfg in exp.runs.values())
    assert exp.grids[0]["runs"] == ["relu-lr0.1", "relu-lr0.001", "tanh-lr0.1", "tanh-lr0.001"]
    assert exp.claims[0].values == {"test_accuracy": 0.5} and exp.claims[1].text == "the best"


def test_runs_and_grids_keep_the_order_of_the_file(tmp_path):
    grid_first = TINY.replace('[[run]]\nname = "adam"\nlr = 0.01\n', "") + '\n[[run]]  # last\nname = "adam"\nlr = 0.01\n'
    exp = experiments.load_experiment(write(tmp_path, grid_first))
    assert list(exp.runs) == ["relu-lr0.1", "relu-lr0.001", "tanh-lr0.1", "tanh-lr0.001", "adam"]
    # an inline array has no header lines, and as a top-level key it comes before every table
    inline = 'run = [{name = "adam", lr = 0.01}]\n' + TINY.replace('[[run]]\nname = "adam"\nlr = 0.01\n', "")
    assert list(experiments.load_experiment(write(tmp_path, inline, "inline.toml")).runs) == list(
        experiments.load_experiment(write(tmp_path, TINY)).runs)


@pytest.mark.parametrize("edit, message", [
    (("lr = 0.01", "learning_rate = 0.01"), "unknown .*settings learning_rate"),
    (("lr = 0.01", 'optimizer = "lbfgs"'), "run 'adam': unknown optimizer 'lbfgs'"),
    (('name = "{activation}-lr{lr}"', 'name = "{activation}"'), "run name 'relu' is used twice"),
    (('name = "{activation}-lr{lr}"', 'name = "{act}"'), "uses 'act', which is not in vary"),
    (('run = "adam"', 'run = "nosuch"'), "about run 'nosuch', which the file does not define"),
    (("test_accuracy = 0.5", "test_acc = 0.5"), "unknown .*claim.* keys test_acc"),
    (('title = "Tiny"', 'author = "x"'), "unknown \\[experiment\\] keys author"),
    (('name = "tiny"', 'nom = "tiny"'), "needs an \\[experiment\\] table with a name"),
    (("[[grid]]", "[[grids]]"), "unknown top-level tables grids"),
    (("epochs = 2", "epochs = [2"), "not valid TOML"),
    (("lr = 0.01", 'lr = "0.01"'), "tiny.toml: run 'adam': lr must be a number, got '0.01'"),
    (("lr = [0.1, 0.001]", 'lr = [0.1, "x"]'), "run 'relu-lrx': lr must be a number, got 'x'"),
    (('name = "{activation}-lr{lr}"', 'name = "g-{lr"'), "name template 'g-{lr' is malformed"),
    (('name = "{activation}-lr{lr}"', 'name = "{activation}-{lr.real}"'),
     r"name template '\{activation\}-\{lr.real\}' is malformed: 'str' object has no attribute 'real'"),
    (('name = "{activation}-lr{lr}"', 'name = "{activation}-{lr[x]}"'), r"name template .* is malformed: string indices"),
    (("test_accuracy = 0.5", 'test_accuracy = "high"'), r"\[\[claim\]\] #1 \(adam\): test_accuracy must be a number"),
    (('name = "adam"', "name = 5"), r"\[\[run\]\] #1 needs a name \(a string\), got 5"),
    (('name = "tiny"', 'name = "../../escaped"'),
     r"experiment name '\.\./\.\./escaped' must not contain '/' or start"),
    (('name = "tiny"', 'name = "/tmp/elsewhere"'), r"experiment name '/tmp/elsewhere' must not contain '/'"),
    (('name = "tiny"', 'name = ".hidden"'), r"experiment name '\.hidden' must not contain '/' or start with '\.'"),
    (('name = "adam"', 'name = "results.csv"'),
     r"run name 'results.csv' is the name of a file the experiment writes beside its runs \(results.md, "),
    (('name = "adam"', 'name = "Results.MD"'), r"run name 'Results.MD' is the name of a file the experiment writes"),
    (('name = "{activation}-lr{lr}"', 'name = "grid-{activation}-x-lr{lr}.png"'),
     r"run name 'grid-relu-x-lr0.1.png' is the name of a file the experiment writes .* grid-\*.png\)"),
    (("lr = 0.01", 'lr = 0.01\nmodel = "seed000"'), "run 'adam': model 'seed000' and layers are alternatives"),
    (('name = "tiny"', "name = 5"), r"tiny.toml: \[experiment\] name must be a string, got 5"),
    (('title = "Tiny"', "title = 3"), r"tiny.toml: \[experiment\] title must be a string, got 3"),
    (('title = "Tiny"', 'description = ["x"]'), r"\[experiment\] description must be a string, got \['x'\]"),
    (('run = "adam"', 'run = ["adam"]'), r"\[\[claim\]\] #1: run must be the name of a run \(a string\), got \['adam'\]"),
    (('text = "the best"', "text = 5"), r"\[\[claim\]\] #2 \(relu-lr0.1\): text must be a string, got 5"),
    (('note = "a test claim"', "note = true"), r"\[\[claim\]\] #1 \(adam\): note must be a string, got True"),
    (("test_accuracy = 0.5", "test_accuracy = 99.09"),
     r"\[\[claim\]\] #1 \(adam\): test_accuracy must be a fraction in \[0, 1\] \(0.9909 for 99.09%\), got 99.09"),
    (("test_accuracy = 0.5", "macro_f1 = nan"), r"macro_f1 must be a fraction in \[0, 1\] .*, got nan"),
    (("test_accuracy = 0.5", "test_loss = -1"), r"\(adam\): test_loss must be a finite number >= 0, got -1"),
])
def test_file_mistakes_are_config_errors_naming_the_entry(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message):
        experiments.load_experiment(write(tmp_path, TINY.replace(*edit)))


@pytest.mark.parametrize("edit, message", [
    (('activation = ["relu", "tanh"]', 'activation = ["relu", "swish"]'),
     "run 'swish-lr0.1': unknown activation 'swish'; expected one of"),
    (("lr = 0.01", 'lr = 0.01\ninit = "zeros"'), "run 'adam': unknown init 'zeros'"),
    (("lr = 0.01", 'lr = 0.01\noutput = "relu"'), "run 'adam': unknown output 'relu'"),
    (("lr = 0.01", 'lr = 0.01\ninit = "normal"\ninit_scale = -1'), "run 'adam': MLP init_scale must be > 0, got -1"),
    (("lr = 0.01", 'lr = 0.01\ninit = "uniform"\ninit_scale = 1e39'),
     r"run 'adam': uniform_: from=-1e\+39 is out of bounds for float32"),
    (("lr = 0.01", "lr = 0.01\ndropout = 1.5"), r"run 'adam': MLP dropout must be in \[0, 1\), got 1.5"),
    (("lr = 0.01", "lr = 0.01\nlayers = [784]"), "run 'adam': MLP sizes must list at least input and output sizes"),
    (("lr = 0.01", "lr = 0.01\nlayers = [100, 10]"),
     r"run 'adam': model sizes \[100, 10\] do not fit the data: expected 784 inputs and 10 outputs"),
    (("lr = 0.01", "lr = 0.01\nclasses = [3, 5]"),
     r"run 'adam': model sizes \[784, 8, 10\] do not fit the data: expected 784 inputs and 2 outputs"),
    (("lr = 0.01", 'lr = 0.01\noutput = "softmax"'),
     "run 'adam': loss 'cross_entropy' expects the model output 'none', got output 'softmax'"),
    (("lr = 0.01", "lr = 0.01\nclasses = [3, 3]"), r"run 'adam': .*classes must be distinct.*, got \[3, 3\]"),
    (("lr = 0.01", "lr = 0.01\nclasses = [3, 11]"), r"run 'adam': .*classes \[11\] do not occur in the labels"),
    (("lr = 0.01", 'lr = 0.01\noptimizer = "sgd"\nmomentum = -1'), "run 'adam': SGD: momentum must be >= 0, got -1"),
    (("lr = 0.01", "lr = 0.01\nweight_decay = -1"), "run 'adam': Adam: weight_decay must be >= 0, got -1"),
    (('optimizer = "sgd"', 'optimizer = "sgd"\nnesterov = true'),
     "run 'relu-lr0.1': SGD: nesterov=True needs momentum > 0"),
    (("lr = 0.01", "lr = 0.01\nextra = { when = 1979-05-27 }"),
     r"run 'adam': extra must be a table of JSON values \(no dates or times\)"),
])
def test_every_run_is_checked_as_it_would_be_when_it_starts(tmp_path, edit, message):
    """What a run refuses when it starts (its model, classes, optimizer, what its folder can hold) is
    refused when the file is read, so that no other run trains first."""
    with pytest.raises(ConfigError, match="tiny.toml: " + message):
        experiments.load_experiment(write(tmp_path, TINY.replace(*edit)))


def test_loading_an_experiment_draws_nothing_from_the_global_generator(tmp_path):
    tg.manual_seed(0)
    expected = tg.randn(3).numpy()
    tg.manual_seed(0)
    experiments.load_experiment(write(tmp_path, TINY))
    np.testing.assert_array_equal(tg.randn(3).numpy(), expected)


def test_defaults_runs_and_claims_that_are_not_tables_are_config_errors(tmp_path):
    without_defaults = TINY.replace("[defaults]\nlayers = [784, 8, 10]\nepochs = 2\nbatch_size = 64\n"
                                    "early_stopping = 0\n", "")
    with pytest.raises(ConfigError, match=r"defaults must be a table \(\[defaults\]\), got 5"):
        experiments.load_experiment(write(tmp_path, "defaults = 5\n" + without_defaults))
    with pytest.raises(ConfigError, match=r"claim must be tables written \[\[claim\]\]"):
        experiments.load_experiment(write(tmp_path, "claim = [1, 2]\n" + TINY.split("[[claim]]")[0], "c.toml"))


def test_unreadable_experiment_files_are_config_errors(tmp_path):
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(TINY.replace("Tiny", "Caf\xe9").encode("latin-1"))
    with pytest.raises(ConfigError, match="latin1.toml: not a TOML file"):
        experiments.load_experiment(latin1)
    with pytest.raises(ConfigError, match="is a folder"):
        experiments.load_experiment(tmp_path)


def test_runs_that_give_layers_are_not_labelled_with_a_preset(tmp_path):
    exp = experiments.load_experiment(write(tmp_path, TINY))
    assert all(cfg.model is None for cfg in exp.runs.values())
    outcomes = [experiments.Outcome(name, cfg, "not run", "") for name, cfg in exp.runs.items()]
    rows = list(csv.DictReader(experiments.results_csv(exp, outcomes).splitlines()))
    assert {(row["model"], row["layers"]) for row in rows} == {("", "[784, 8, 10]")}


def test_only_selects_by_name_experiment_and_pattern(tmp_path):
    exp = experiments.load_experiment(write(tmp_path, TINY))
    assert experiments.select([exp], ["adam", "tiny/tanh-*"]) == {"tiny": {"adam", "tanh-lr0.1", "tanh-lr0.001"}}
    assert experiments.select([exp], None) == {"tiny": set(exp.runs)}
    with pytest.raises(ConfigError, match="--only 'nope' matches no run; the runs are tiny: adam, relu-lr0.1"):
        experiments.select([exp], ["nope"])


# ---- running, resuming, tables --------------------------------------------------------------------------

def test_runner_writes_tables_and_plots_then_skips_finished_runs(small_data, tmp_path):
    path, out, report = write(tmp_path, TINY), str(tmp_path / "out"), str(tmp_path / "RESULTS.md")
    logs = []
    (exp, outcomes), = experiments.run_files([path], out, summary=report, progress=False, log=logs.append)
    assert [o.status for o in outcomes] == ["ran"] * 5
    folder = tmp_path / "out" / "tiny"
    for name in ("results.md", "results.csv", "accuracy.png", "val_curves.png", "grid-activation-x-lr.png"):
        assert (folder / name).stat().st_size > 0, name
    assert all((folder / o.name / "metrics.json").exists() for o in outcomes)

    with open(folder / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["run"] for r in rows] == list(exp.runs)
    metrics = json.loads((folder / "adam" / "metrics.json").read_text())
    adam = rows[0]
    assert float(adam["test_accuracy"]) == metrics["test_accuracy"] and adam["lr"] == "0.01"
    assert int(adam["epochs"]) == 2 and float(adam["seconds"]) > 0 and adam["layers"] == "[784, 8, 10]"
    with open(folder / "results.csv") as f:
        header = next(csv.reader(f))
    assert len(header) == len(set(header)) and {"epochs_ran", "iterations_ran"} <= set(header)
    assert int(adam["epochs_ran"]) == metrics["epochs"]

    table = (folder / "results.md").read_text()
    ours = metrics["test_accuracy"]
    assert f"| adam | test_accuracy | 50.00% | {100 * ours:.2f}% | {100 * (ours - 0.5):+.2f} pp |" in table
    assert "a test claim" in table and "`tinygrad-mnist experiment " + path + " --only adam`" in table
    assert "| relu-lr0.1 | (words) | the best | test " in table
    for name in exp.runs:
        assert f"| {name} | 784-8-10 " in table
    summary = open(report).read()
    assert summary.startswith("# Results") and "## Tiny" in summary and f"--summary {report}" in summary

    logs.clear()
    (_, again), = experiments.run_files([path], out, progress=False, log=logs.append)
    assert [o.status for o in again] == ["finished earlier"] * 5
    assert [o.metrics for o in again] == [o.metrics for o in outcomes]
    assert not any("test " in line for line in logs)  # nothing trained

    edited = write(tmp_path, TINY.replace("lr = 0.01", "lr = 0.02"))
    (_, changed), = experiments.run_files([edited], out, progress=False, log=logs.append)
    assert [o.status for o in changed] == ["ran"] + ["finished earlier"] * 4


def test_an_interrupted_epoch_run_resumes_from_its_checkpoint(small_data, tmp_path, monkeypatch):
    path, out = write(tmp_path, TINY), str(tmp_path / "out")
    (_, first), = experiments.run_files([path], out, only=["adam"], plots=False, progress=False, log=lambda s: None)
    os.remove(tmp_path / "out" / "tiny" / "adam" / "metrics.json")  # as if killed after its last epoch
    calls = []

    def spy(cfg, **kwargs):
        calls.append(kwargs["resume"])
        return run_module.run(cfg, **kwargs)
    monkeypatch.setattr(experiments, "run", spy)
    (_, second), = experiments.run_files([path], out, only=["adam"], plots=False, progress=False, log=lambda s: None)
    assert calls == [str(tmp_path / "out" / "tiny" / "adam" / "checkpoint.npz")]
    assert second[0].metrics["test_accuracy"] == first[0].metrics["test_accuracy"]
    assert second[0].metrics["epochs"] == 2
    assert [o.status for o in second[1:]] == ["not run"] * 4


def test_a_fresh_run_leaves_no_file_of_an_older_run_in_its_folder(small_data, tmp_path):
    exp = experiments.load_experiment(write(tmp_path, TINY))
    folder = tmp_path / "out" / "tiny" / "adam"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"config": {"lr": 0.5}}))  # a run of another config
    (folder / "pr_curves.png").write_bytes(b"its plot")
    (folder / "notes.txt").write_text("mine")
    experiments.run_experiment(exp, str(tmp_path / "out"), {"adam"}, progress=False, log=lambda line: None)
    assert not (folder / "pr_curves.png").exists() and (folder / "notes.txt").read_text() == "mine"
    assert json.loads((folder / "metrics.json").read_text())["config"]["lr"] == 0.01


def test_a_failing_run_is_reported_and_the_others_go_on(small_data, tmp_path, capsys):
    text = TINY.replace('[[run]]\nname = "adam"', '[[run]]\nname = "misfit"\nlimit = 3\n\n[[run]]\nname = "adam"')
    path, out = write(tmp_path, text), str(tmp_path / "out")
    code = cli.main(["experiment", path, "--out", out, "--only", "misfit", "adam", "--no-plots", "--quiet"])
    assert code == 1
    assert "1 run(s) failed: tiny/misfit" in capsys.readouterr().err
    table = (tmp_path / "out" / "tiny" / "results.md").read_text()
    assert "**Not run on this machine:** misfit failed with: val_fraction 0.1 of 3 samples leaves" in table
    assert "| failed (why: above) |" in table
    assert (tmp_path / "out" / "tiny" / "adam" / "metrics.json").exists()
    assert "| relu-lr0.1 | 784-8-10 relu |" in table and "| not run |" in table


def test_cli_reports_a_bad_file_in_one_line(tmp_path, capsys):
    path = write(tmp_path, TINY.replace("lr = 0.01", "lr = -1"))
    assert cli.main(["experiment", path, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "tinygrad-mnist experiment: error:" in err and "run 'adam': lr must be a finite number > 0, got -1" in err
    assert len(err.strip().splitlines()) == 1


def test_a_mistake_in_any_run_of_any_file_fails_before_anything_trains(small_data, tmp_path, capsys):
    good = write(tmp_path, TINY.replace('name = "tiny"', 'name = "good"'), "good.toml")
    bad = write(tmp_path, TINY.replace('activation = ["relu", "tanh"]', 'activation = ["relu", "swish"]'))
    out = tmp_path / "out"
    assert cli.main(["experiment", good, bad, "--out", str(out), "--quiet", "--no-plots"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"tinygrad-mnist experiment: error: {bad}: run 'swish-lr0.1': unknown activation "
                            "'swish'; expected one of elu, gelu, hardswish, leaky_relu, mish, relu, selu, sigmoid, silu, tanh\n")
    assert captured.out == "" and not out.exists()


@pytest.mark.parametrize("settings, message", [
    (dict(limit=3), "val_fraction 0.1 of 3 samples leaves the validation split empty (3 training, 0 validation)"),
    (dict(limit=50, val_fraction=0.999), "val_fraction 0.999 of 50 samples leaves the training split empty"),
    (dict(test_fraction=0.0001), "test_fraction 0.0001 of 800 samples leaves the test split empty"),
])
def test_a_split_that_would_be_empty_is_a_config_error(small_data, settings, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_module.load_splits(RunConfig(**settings))


def test_small_limits_give_validation_splits_of_the_exact_share(small_data):
    splits = run_module.load_splits(RunConfig(limit=20))
    assert (len(splits["train"][1]), len(splits["val"][1])) == (18, 2)


def test_runs_an_older_version_saved_with_a_preset_beside_layers_still_count_as_finished(small_data, tmp_path):
    path, out = write(tmp_path, TINY), str(tmp_path / "out")
    (_, outcomes), = experiments.run_files([path], out, progress=False, log=lambda line: None)
    for o in outcomes:  # as older versions saved them: model 'default' beside the layers
        metrics_path = tmp_path / "out" / "tiny" / o.name / "metrics.json"
        metrics = json.loads(metrics_path.read_text())
        metrics["config"]["model"] = "default"
        metrics_path.write_text(json.dumps(metrics))
    (_, again), = experiments.run_files([path], out, progress=False, log=lambda line: None)
    assert [o.status for o in again] == ["finished earlier"] * len(outcomes)  # not retrained, files kept


def test_a_finished_run_without_a_validation_split_is_not_trained_again(small_data, tmp_path):
    # TOML can only say early_stopping = 0 for off; the saved config must still count as the same
    path, out = write(tmp_path, TINY.replace('lr = 0.01', 'lr = 0.01\nval_fraction = 0')), str(tmp_path / "out")
    (_, first), = experiments.run_files([path], out, only=["adam"], plots=False, progress=False, log=lambda s: None)
    assert first[0].status == "ran" and first[0].metrics["val_size"] == 0
    (_, again), = experiments.run_files([path], out, only=["adam"], plots=False, progress=False, log=lambda s: None)
    assert again[0].status == "finished earlier"


def test_zero_patience_is_early_stopping_off_whichever_way_it_is_written():
    assert RunConfig(early_stopping=0) == RunConfig(early_stopping=None)
    assert RunConfig(early_stopping=0).early_stopping is None


def test_run_refuses_to_resume_an_iterations_run(tmp_path):
    with pytest.raises(ConfigError, match="resume continues epoch runs only"):
        run_module.run(RunConfig(layers=[784, 8, 10], iterations=10), resume=str(tmp_path / "c.npz"))


# ---- norm -------------------------------------------------------------------------------------------

def test_a_toml_can_set_and_vary_the_norm(small_data, tmp_path):
    text = TINY.replace("early_stopping = 0", 'early_stopping = 0\nnorm = "batch"').replace(
        'vary = { activation = ["relu", "tanh"], lr = [0.1, 0.001] }',
        'vary = { activation = ["relu"], lr = [0.1], norm = ["none", "batch", "layer"] }').replace(
        '"{activation}-lr{lr}"', '"{norm}"').replace('run = "relu-lr0.1"', 'run = "none"')
    exp = experiments.load_experiment(write(tmp_path, text))
    assert {name: cfg.norm for name, cfg in exp.runs.items()} == {"adam": "batch", "none": None, "batch": "batch",
                                                                  "layer": "layer"}
    assert RunConfig(norm="none") == RunConfig()  # TOML has no null, so "none" says no norm
    assert [describe for describe in map(experiments.describe_model, exp.runs.values())] == [
        "784-8-10 relu, batch norm", "784-8-10 relu", "784-8-10 relu, batch norm", "784-8-10 relu, layer norm"]
    assert experiments.describe_model(RunConfig(model="seed003-v2", norm="layer")) == \
        "784-64-10 relu, init he_normal, layer norm, dropout 0.2"
    (_, outcomes), = experiments.run_files([exp.path], str(tmp_path / "out"), only=["adam", "layer"], plots=False,
                                           progress=False, log=lambda s: None)
    assert [o.status for o in outcomes if o.name in ("adam", "layer")] == ["ran", "ran"]
    rows = list(csv.DictReader(experiments.results_csv(exp, outcomes).splitlines()))
    assert [row["norm"] for row in rows] == ["batch", "", "batch", "layer"]
    table = experiments.markdown_table(experiments.TABLE_HEADER, experiments.results_rows(outcomes))
    assert "| adam | 784-8-10 relu, batch norm |" in table


@pytest.mark.parametrize("fields, message", [
    (dict(norm="group"), "unknown norm 'group'; expected one of batch, layer"),
    (dict(norm=1), "norm must be a string or none, got 1"),
    (dict(norm="batch", batch_size=1), "norm 'batch' normalizes over each training batch, which a batch_size of 1 "
                                       "cannot do"),
])
def test_a_bad_norm_is_refused(fields, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        RunConfig(**fields).validate()


def test_batch_norm_leaves_out_a_last_training_batch_of_one_sample(small_data, monkeypatch):
    made = []

    class Recording(data.DataLoader):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)
    monkeypatch.setattr(run_module.data, "DataLoader", Recording)
    # 20 samples: 18 training ones, in batches of 17 and 1
    for norm, drops in ((None, False), ("layer", False), ("batch", True)):
        made.clear()
        result = run_module.run(RunConfig(layers=[784, 8, 10], norm=norm, limit=20, batch_size=17, epochs=2,
                                          early_stopping=None), progress=False)
        assert result["train_size"] == 18 and result["epochs"] == 2  # all of them are evaluated
        assert (len(made[0]), made[0].drop_last) == ((1, True) if drops else (2, False)), norm
    made.clear()  # a remainder of more than one sample is a batch as any other
    run_module.run(RunConfig(layers=[784, 8, 10], norm="batch", limit=20, batch_size=16, epochs=1), progress=False)
    assert (len(made[0]), made[0].drop_last) == (2, False)


@pytest.mark.parametrize("batch_size", [128, "full"])
def test_batch_norm_on_a_training_split_of_one_sample_is_refused_before_training(small_data, batch_size):
    cfg = RunConfig(layers=[784, 8, 10], norm="batch", limit=2, val_fraction=0.5, batch_size=batch_size,
                    early_stopping=None)
    with pytest.raises(ConfigError, match=re.escape("norm 'batch' normalizes over each training batch, which the "
                                                    "training split of 1 sample cannot do")):
        run_module.run(cfg, progress=False)


def test_results_and_checkpoints_saved_before_norm_existed_are_still_this_run(small_data, tmp_path, monkeypatch):
    path, out = write(tmp_path, TINY), str(tmp_path / "out")
    (_, outcomes), = experiments.run_files([path], out, plots=False, progress=False, log=lambda line: None)
    for o in outcomes:  # as older versions saved them: no norm in the run's config
        metrics_path = tmp_path / "out" / "tiny" / o.name / "metrics.json"
        metrics = json.loads(metrics_path.read_text())
        del metrics["config"]["norm"]
        metrics_path.write_text(json.dumps(metrics))
    (_, again), = experiments.run_files([path], out, plots=False, progress=False, log=lambda line: None)
    assert [o.status for o in again] == ["finished earlier"] * len(outcomes)

    folder = tmp_path / "out" / "tiny" / "adam"  # an older version's checkpoint, as if killed after its last epoch
    state = tg.train.load_checkpoint(str(folder / "checkpoint.npz"))
    config = {"run": {k: v for k, v in state["config"]["run"].items() if k != "norm"},
              "model": {k: v for k, v in state["config"]["model"].items() if k != "norm"}}
    from tinygrad_mnist.serialization import save_state
    save_state(folder / "checkpoint.npz", {**state, "config": config})
    os.remove(folder / "metrics.json")
    calls = []

    def spy(cfg, **kwargs):
        calls.append(kwargs["resume"])
        return run_module.run(cfg, **kwargs)
    monkeypatch.setattr(experiments, "run", spy)
    (_, resumed), = experiments.run_files([path], out, only=["adam"], plots=False, progress=False, log=lambda s: None)
    assert calls == [str(folder / "checkpoint.npz")]
    assert resumed[0].metrics["test_accuracy"] == outcomes[0].metrics["test_accuracy"]
