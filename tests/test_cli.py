"""The tinygrad-mnist command, end to end in subprocesses (as a user runs it)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, cwd=None, **env_overrides):
    env = dict(os.environ, PYTHONPATH=ROOT, **env_overrides)
    return subprocess.run([sys.executable, "-m", "tinygrad_mnist", *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    proc = cli("train", "--limit", "1500", "--epochs", "2", "--layers", "784,32,10", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_train_writes_every_promised_file(run_dir):
    out, stdout = run_dir
    for name in ("checkpoint.npz", "history.csv", "metrics.json", "classification_report.txt",
                 "curves.png", "confusion_matrix.png", "predictions.png", "pr_curves.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.5 < metrics["test_accuracy"] <= 1 and 0 < metrics["macro_f1"] <= 1
    assert metrics["epochs"] == 2 and metrics["seconds"] > 0
    assert "test accuracy" in stdout and str(out) in stdout
    assert len((out / "history.csv").read_text().splitlines()) == 3


def test_a_binary_run_lists_the_files_it_wrote(tmp_path):
    out = tmp_path / "binary"
    proc = cli("train", "--classes", "5,8", "--layers", "784,8,2", "--limit", "300", "--epochs", "1", "--out", str(out),
               "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert f"outputs: {out}/ (checkpoint.npz, metrics.json, history.csv, classification_report.txt, curves.png, " \
           "confusion_matrix.png, predictions.png)" in proc.stdout
    assert not (out / "pr_curves.png").exists()


def test_train_refuses_a_folder_that_holds_files_unless_overwrite_replaces_the_run_in_it(tmp_path):
    out = tmp_path / "run"
    out.mkdir()  # an empty folder is fine
    assert cli("train", "--layers", "784,8,10", "--limit", "300", "--epochs", "1", "--out", str(out),
               "--quiet").returncode == 0
    assert (out / "pr_curves.png").exists()
    (out / "notes.txt").write_text("mine")
    first = (out / "metrics.json").read_bytes()
    binary = ["--classes", "5,8", "--layers", "784,8,2", "--limit", "300", "--epochs", "1", "--out", str(out),
              "--quiet", "--no-plots"]
    proc = cli("train", *binary)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"--out {out}: already holds files (checkpoint.npz, classification_report.txt, confusion_matrix.png, " \
           f"curves.png and 5 more); give a new or empty folder, --overwrite to replace the run in it, or " \
           f"--resume {out / 'checkpoint.npz'} to continue it" in proc.stderr
    assert (out / "metrics.json").read_bytes() == first
    held = sorted(os.listdir(out))
    proc = cli("train", *binary[2:], "--overwrite")  # a mistake: 2 outputs for all 10 classes
    assert proc.returncode == 2 and "do not fit the data" in proc.stderr
    assert sorted(os.listdir(out)) == held and (out / "metrics.json").read_bytes() == first  # the run is kept
    proc = cli("train", *binary, "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "classification_report.txt", "history.csv", "metrics.json",
                                       "notes.txt"]  # no plot of the older run is left beside this one's numbers
    assert f"outputs: {out}/ (checkpoint.npz, metrics.json, history.csv, classification_report.txt)" in proc.stdout
    assert json.loads((out / "metrics.json").read_text())["config"]["classes"] == [5, 8]


def test_default_run_folders_are_unique_within_a_second_and_failed_runs_leave_none(tmp_path, monkeypatch, capsys):
    from tinygrad_mnist import cli as cli_module
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_module.time, "strftime", lambda fmt: "20260102-030405")  # every run in one second
    args = ["train", "--limit", "300", "--epochs", "1", "--layers", "784,8,10", "--no-plots", "--quiet"]
    assert cli_module.main([*args, "--seed", "1"]) == 0
    assert cli_module.main([*args, "--seed", "2"]) == 0
    folders = sorted(os.listdir("runs"))
    assert folders == ["mnist-20260102-030405", "mnist-20260102-030405-2"]
    assert [json.loads((tmp_path / "runs" / f / "metrics.json").read_text())["config"]["seed"]
            for f in folders] == [1, 2]
    assert cli_module.main(["train", "--limit", "300", "--epochs", "1", "--layers", "100,10", "--quiet"]) == 2
    assert "model sizes [100, 10] do not fit the data" in capsys.readouterr().err  # found inside the run
    assert sorted(os.listdir("runs")) == folders


def test_evaluate_reproduces_the_test_accuracy(run_dir, tmp_path):
    out, _ = run_dir
    proc = cli("evaluate", str(out / "checkpoint.npz"), "--out", str(tmp_path / "eval"))
    assert proc.returncode == 0, proc.stderr
    trained = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    evaluated = json.loads((tmp_path / "eval" / "evaluation_metrics.json").read_text())["test_accuracy"]
    assert evaluated == trained
    assert "precision    recall  f1-score   support" in proc.stdout


def test_evaluate_into_the_run_folder_leaves_the_runs_files_alone(run_dir, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run_dir[0], folder)
    before = {name: (folder / name).read_bytes() for name in os.listdir(folder)}
    proc = cli("evaluate", str(folder / "checkpoint.npz"), "--out", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert {name: (folder / name).read_bytes() for name in before} == before
    added = sorted(set(os.listdir(folder)) - set(before))
    assert added == ["evaluation_classification_report.txt", "evaluation_confusion_matrix.png",
                     "evaluation_metrics.json", "evaluation_pr_curves.png", "evaluation_predictions.png"]
    evaluated = json.loads((folder / "evaluation_metrics.json").read_text())
    assert evaluated["test_accuracy"] == json.loads(before["metrics.json"])["test_accuracy"]
    proc = cli("evaluate", str(folder / "checkpoint.npz"), "--out", str(folder))
    assert proc.returncode == 2 and f"--out {folder}: already holds an evaluation (evaluation_metrics.json, " \
        in proc.stderr and "--overwrite to replace it" in proc.stderr
    assert cli("evaluate", str(folder / "checkpoint.npz"), "--out", str(folder), "--overwrite").returncode == 0


@pytest.mark.parametrize("args, message", [
    (["train", "--lr", "-1"], "lr must be a finite number > 0, got -1.0"),
    (["train", "--lr", "inf"], "lr must be a finite number > 0, got inf"),
    (["train", "--limit", "0"], "limit must be a finite number > 0, got 0"),
    (["train", "--layers", "784,abc"], "expected comma-separated integers"),
    (["train", "--model", "nosuch"], "invalid choice: 'nosuch'"),
    (["train", "--layers", "100,10", "--epochs", "1"], "model sizes [100, 10] do not fit the data"),
    (["evaluate", "/nonexistent/ckpt.npz"], "no such file"),
    (["graph", "--batch-size", "0"], "--batch-size must be between 1 and 60000 (the MNIST training images), got 0"),
    (["graph", "--batch-size", "-1"], "--batch-size must be between 1 and 60000"),
    (["graph", "--batch-size", "60001"], "--batch-size must be between 1 and 60000"),
    (["graph", "--out", "graph"], "save_graph: cannot tell the format of 'graph' from its suffix"),
    (["graph", "--max-depth", "-1", "--out", "g.gv"], "max_depth must be None or an integer >= 0, got -1"),
    (["train", "--limit", "3", "--epochs", "1", "--out", os.devnull],
     "--out /dev/null: is a file, not a folder"),
    (["train", "--limit", "3", "--epochs", "1", "--out", "/proc/no-run-folder"], "--out /proc/no-run-folder: cannot write"),
    (["train", "--limit", "3", "--epochs", "1", "--out", os.path.join(os.devnull, "run")],
     "/dev/null is a file, so the folder cannot be created there"),
    # wrong output paths, for every command, before any work (the checkpoint is not even read)
    (["evaluate", "/nonexistent/ckpt.npz", "--out", os.devnull], "--out /dev/null: is a file, not a folder"),
    (["evaluate", "/nonexistent/ckpt.npz", "--out", os.path.join(os.devnull, "e")],
     "--out /dev/null/e: /dev/null is a file, so the folder cannot be created there"),
    (["graph", "--out", os.path.join(os.devnull, "g.svg")],
     "/dev/null is a file, so the folder cannot be created there"),
    (["graph", "--out", "tests"], "--out tests: is a folder; give a file name"),
    (["graph", "--out", "/proc/g.svg"], "--out /proc/g.svg: cannot write in /proc"),
    (["experiment", "examples/seed002.toml", "--out", os.devnull], "--out /dev/null: is a file, not a folder"),
    (["experiment", "examples/seed002.toml", "--out", "/proc/x"], "--out /proc/x: cannot write in /proc"),
    # settings that would have no effect, or a task the loss cannot learn
    (["train", "--limit", "300", "--epochs", "1", "--model", "seed001-binary", "--loss", "bce"],
     "loss 'bce' is binary, so it needs exactly two classes (classes = [A, B], e.g. --classes 5,8), "
     "got all 10 classes"),
    (["train", "--limit", "300", "--epochs", "1", "--layers", "784,8,1", "--output", "sigmoid", "--loss", "bce",
      "--classes", "3,5,8"], "loss 'bce' is binary, so it needs exactly two classes"),
    (["train", "--limit", "300", "--epochs", "1", "--layers", "784,8,1", "--loss", "bce_with_logits"],
     "loss 'bce_with_logits' is binary, so it needs exactly two classes"),
    (["train", "--limit", "300", "--epochs", "1", "--classes", "5", "--layers", "784,8,1"],
     "classes must list at least two classes, got [5]"),
    (["train", "--limit", "300", "--epochs", "1", "--classes", ",,"], "expected comma-separated integers"),
    (["train", "--limit", "300", "--epochs", "1", "--momentum", "0.9"],
     "momentum is for sgd and rmsprop; optimizer 'adam' has none"),
    (["train", "--limit", "300", "--epochs", "1", "--model", "seed000", "--layers", "784,20,10"],
     "model 'seed000' and layers are alternatives, give one"),
    (["train", "--limit", "300", "--epochs", "1", "--early-stopping", "1", "--val-fraction", "0"],
     "early_stopping 1 watches the validation loss, but val_fraction is 0"),
    (["graph", "--model", "seed000", "--layers", "784,8,10", "--out", "g.gv"],
     "--model seed000 and --layers are alternatives, give one"),
    (["train", "--norm", "group"], "argument --norm: invalid choice: 'group'"),
    (["train", "--limit", "300", "--epochs", "1", "--norm", "batch", "--batch-size", "1"],
     "norm 'batch' normalizes over each training batch, which a batch_size of 1 cannot do"),
    (["train", "--limit", "2", "--val-fraction", "0.5", "--epochs", "1", "--norm", "batch", "--no-plots"],
     "norm 'batch' normalizes over each training batch, which the training split of 1 sample cannot do"),
    (["graph", "--norm", "batch", "--batch-size", "1", "--out", "g.gv"],
     "--norm batch normalizes over the batch, which a --batch-size of 1 cannot do"),
])
def test_bad_arguments_give_a_one_line_error(args, message):
    proc = cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([l for l in proc.stderr.splitlines() if "error" in l]) == 1


def test_experiment_checks_its_output_paths_before_training(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('[experiment]\nname = "s"\n[defaults]\nlimit = 300\nepochs = 1\n'
                    '[[run]]\nname = "a"\nlayers = [784, 8, 10]\n')
    (tmp_path / "afile").write_text("")
    exp = str(tmp_path / "exp")
    cases = [(["--out", str(tmp_path / "afile")], "is a file, not a folder"),
             (["--out", exp, "--summary", str(tmp_path)], f"--summary {tmp_path}: is a folder; give a file name"),
             (["--out", exp, "--summary", str(tmp_path / "afile" / "R.md")],
              f"{tmp_path / 'afile'} is a file, so the folder cannot be created there")]
    for options, message in cases:
        proc = cli("experiment", str(toml), "--quiet", "--no-plots", *options)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert "[1/1]" not in proc.stdout and not os.path.exists(exp)


def test_plots_without_matplotlib_fail_before_any_work(run_dir, tmp_path, monkeypatch, capsys):
    from tinygrad_mnist import cli as cli_module
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the tools extra were not installed
    toml = tmp_path / "s.toml"
    toml.write_text('[experiment]\nname = "s"\n[defaults]\nlimit = 300\nepochs = 1\n'
                    '[[run]]\nname = "a"\nlayers = [784, 8, 10]\n')
    out = tmp_path / "out"
    cases = [(["train", "--limit", "300", "--epochs", "1", "--layers", "784,8,10", "--quiet"], "--no-plots"),
             (["evaluate", str(run_dir[0] / "checkpoint.npz")], "--no-plots"),
             (["experiment", str(toml), "--quiet"], "--no-plots"),
             (["experiment", str(toml), "--quiet", "--no-plots", "--run-plots"], "--no-plots without --run-plots")]
    for args, skip in cases:
        assert cli_module.main([*args, "--out", str(out)]) == 2, args
        captured = capsys.readouterr()
        assert captured.err == f"tinygrad-mnist {args[0]}: error: the plots need matplotlib, which cannot be " \
            "imported (import of matplotlib halted; None in sys.modules); install it with pip install " \
            f"'tinygrad_mnist[tools]' (or pip install matplotlib), or give {skip} to skip the plots\n", args
        assert captured.out == "" and not out.exists(), args
    for args in (cases[0][0], cases[1][0], cases[2][0]):
        assert cli_module.main([*args, "--out", str(out / args[0]), "--no-plots"]) == 0, args
    assert cli_module.main(["evaluate", str(run_dir[0] / "checkpoint.npz")]) == 0  # draws nothing
    assert not [name for _, _, names in os.walk(out) for name in names if name.endswith(".png")]


def test_run_without_matplotlib_fails_before_training_unless_told_plots_false(tmp_path, monkeypatch):
    from tinygrad_mnist.errors import MissingToolError
    from tinygrad_mnist.run import RunConfig, run
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    cfg = RunConfig(layers=[784, 8, 10], limit=300, epochs=1)
    with pytest.raises(MissingToolError, match=r"the plots need matplotlib.*or give plots=False to skip"):
        run(cfg, out=str(tmp_path / "r"))
    assert not (tmp_path / "r").exists()
    run(cfg, out=str(tmp_path / "r"), plots=False, progress=False)
    assert (tmp_path / "r" / "metrics.json").exists()


def test_an_os_error_no_check_foresaw_is_one_line(monkeypatch, capsys):
    from tinygrad_mnist import cli as cli_module

    def disk_full(args):
        raise OSError(28, "No space left on device", "g.svg")
    monkeypatch.setattr(cli_module, "cmd_graph", disk_full)
    assert cli_module.main(["graph"]) == 2
    assert capsys.readouterr().err == "tinygrad-mnist graph: error: [Errno 28] No space left on device: 'g.svg'\n"


@pytest.mark.parametrize("suffix", ["svg", "gv"])
def test_graph_draws_one_training_step(tmp_path, suffix):
    out = tmp_path / f"g.{suffix}"
    proc = cli("graph", "--layers", "784,16,10", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "Linear" in text and "CrossEntropy" in text and "0.weight" in text


@pytest.mark.parametrize("options, drawn", [
    (["--layers", "784,1", "--init", "uniform"], "BCEWithLogitsLoss"),  # logits past [0, 1]: BCELoss refused them
    (["--layers", "784,1", "--output", "sigmoid"], "BCELoss"),
    (["--layers", "784,8,10", "--output", "log_softmax"], "NLLLoss"),
    (["--layers", "784,8,10", "--loss", "mse"], "SquaredError"),
])
def test_graph_draws_the_loss_that_fits_the_output_layer_or_the_one_given(tmp_path, options, drawn):
    from tinygrad_mnist import cli as cli_module
    assert cli_module.main(["graph", *options, "--out", str(tmp_path / "g.gv")]) == 0
    assert f'label="{drawn}' in (tmp_path / "g.gv").read_text()


def test_graph_refuses_a_loss_that_does_not_fit_the_model(tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module
    for options, message in [(["--layers", "784,8,10", "--loss", "bce"], "expected 1 outputs for loss 'bce'"),
                             (["--layers", "784,1", "--loss", "bce"], "loss 'bce' expects the model output 'sigmoid'"),
                             (["--layers", "784,1", "--loss", "mse"], "loss 'mse' needs one output per class")]:
        assert cli_module.main(["graph", *options, "--out", str(tmp_path / "g.gv")]) == 2
        assert message in capsys.readouterr().err


def test_a_reader_that_closes_the_pipe_early_is_no_error(tmp_path):
    read, write = os.pipe()
    os.close(read)  # as `| head -1` does once it has its line
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-m", "tinygrad_mnist", "graph", "--layers", "784,8,10", "--out",
                           str(tmp_path / "g.gv")], stdout=write, stderr=subprocess.PIPE, text=True, env=env,
                          timeout=300)
    os.close(write)
    assert proc.returncode == 141 and proc.stderr == ""  # the shell's code for a writer whose reader left
    assert (tmp_path / "g.gv").exists()


def test_graph_without_dot_says_how_to_install_it(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    proc = cli("graph", "--layers", "784,8,10", "--out", str(tmp_path / "g.svg"), PATH=str(empty))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "apt-get install graphviz" in proc.stderr
    assert (tmp_path / "g.gv").read_text().startswith("digraph")


def test_the_draw_graph_example_without_dot_says_how_to_install_it(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, PATH=os.path.dirname(sys.executable))  # python, but no dot
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "draw_graph.py"), "--out-dir",
                           str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("save_graph: cannot render mlp_graph.svg: graphviz's 'dot' program was not found")
    assert "apt-get install graphviz" in proc.stderr and proc.stdout == ""
    assert (tmp_path / "mlp_graph.gv").read_text().startswith("digraph")


def test_help_explains_each_command():
    for command in ("train", "evaluate", "graph"):
        proc = cli(command, "--help")
        assert proc.returncode == 0 and "usage: tinygrad-mnist " + command in proc.stdout


RESUMABLE = ["--limit", "600", "--layers", "784,16,10", "--epochs", "3", "--early-stopping", "0", "--lr", "0.003",
             "--batch-size", "64", "--no-plots", "--quiet"]


def interrupt_after_the_first_checkpoint(options, out, monkeypatch, capsys):
    """Run `train *options --out out`, stopped by Ctrl-C right after its first checkpoint; returns the checkpoint."""
    from tinygrad_mnist import cli as cli_module, train
    save = train.save_checkpoint

    def save_then_interrupt(*args, **kwargs):
        save(*args, **kwargs)
        raise KeyboardInterrupt
    monkeypatch.setattr(train, "save_checkpoint", save_then_interrupt)
    ckpt = out / "checkpoint.npz"
    assert cli_module.main(["train", *options, "--out", str(out)]) == 130
    assert f"continue with --resume {ckpt}" in capsys.readouterr().err
    monkeypatch.undo()
    return ckpt


@pytest.fixture
def interrupted_run(tmp_path, monkeypatch, capsys):
    """A RESUMABLE run stopped by Ctrl-C right after its first checkpoint; returns the checkpoint."""
    return interrupt_after_the_first_checkpoint(RESUMABLE, tmp_path / "run", monkeypatch, capsys)


def without_norm(state: dict) -> dict:
    """A checkpoint's state as versions before the norm setting wrote it: no norm in its run or model config."""
    config = {part: {k: v for k, v in settings.items() if k != "norm"} for part, settings in state["config"].items()}
    return {**state, "config": config}


@pytest.mark.parametrize("older", [False, True])
def test_resume_with_only_the_checkpoint_continues_its_run(interrupted_run, tmp_path, older):
    from tinygrad_mnist import cli as cli_module, train
    from tinygrad_mnist.serialization import save_state
    if older:  # written before the norm setting existed
        save_state(interrupted_run, without_norm(train.load_checkpoint(str(interrupted_run))))
        assert "norm" not in train.load_checkpoint(str(interrupted_run))["config"]["run"]
    assert cli_module.main(["train", *RESUMABLE, "--out", str(tmp_path / "straight")]) == 0
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--no-plots", "--quiet"]) == 0
    resumed, straight = (train.load_checkpoint(str(p)) for p in (interrupted_run, tmp_path / "straight" / "checkpoint.npz"))
    assert resumed["epoch"] == straight["epoch"] == 3
    for name, weights in straight["model"].items():
        np.testing.assert_array_equal(resumed["model"][name], weights, err_msg=name)
    del resumed["history"]["seconds"], straight["history"]["seconds"]
    assert resumed["history"] == straight["history"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["config"]["limit"] == 600


@pytest.mark.parametrize("optimizer, state_names", [
    # NAdam's state holds a number besides the step (mu_product), which the checkpoint must carry
    (["--optimizer", "nadam"], {"step", "mu_product", "exp_avg", "exp_avg_sq"}),
    (["--optimizer", "adadelta", "--lr", "1.0"], {"step", "square_avg", "acc_delta"}),  # torch's MNIST example's
    (["--optimizer", "rprop"], {"step", "prev", "step_size"}),
    (["--optimizer", "asgd"], {"step", "eta", "mu", "ax"}),  # numbers besides the step, as nadam's
], ids=["nadam", "adadelta", "rprop", "asgd"])
def test_a_run_resumed_from_its_checkpoint_trains_as_the_run_straight_through(optimizer, state_names, tmp_path,
                                                                             monkeypatch, capsys):
    from tinygrad_mnist import cli as cli_module, train
    options = [*RESUMABLE, *optimizer]
    ckpt = interrupt_after_the_first_checkpoint(options, tmp_path / "run", monkeypatch, capsys)
    assert set(train.load_checkpoint(str(ckpt))["optimizer"]["state"][0]) == state_names
    assert cli_module.main(["train", *options, "--out", str(tmp_path / "straight")]) == 0
    assert cli_module.main(["train", "--resume", str(ckpt), "--no-plots", "--quiet"]) == 0
    resumed, straight = (train.load_checkpoint(str(p)) for p in (ckpt, tmp_path / "straight" / "checkpoint.npz"))
    assert resumed["epoch"] == straight["epoch"] == 3 and resumed["config"]["run"]["optimizer"] == optimizer[1]
    for name, weights in straight["model"].items():
        np.testing.assert_array_equal(resumed["model"][name], weights, err_msg=name)


def test_resume_takes_more_epochs_but_refuses_other_changed_options(interrupted_run, capsys):
    from tinygrad_mnist import cli as cli_module
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--lr", "0.01", "--limit", "600",
                            "--seed", "0", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "options differ from the run being resumed: --lr 0.01 (the checkpoint has 0.003)." in err
    assert "--limit" not in err.split("differ")[1] and "--seed" not in err.split("differ")[1]
    assert len(err.strip().splitlines()) == 1
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--epochs", "0", "--quiet"]) == 2
    assert "the checkpoint has already trained 1 epochs" in capsys.readouterr().err
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--epochs", "4", "--no-plots",
                            "--quiet"]) == 0
    assert "epochs: 4" in capsys.readouterr().out


def test_a_run_resumed_in_its_folder_leaves_no_file_of_its_earlier_state(interrupted_run):
    from tinygrad_mnist import cli as cli_module
    folder = interrupted_run.parent
    for name in ("curves.png", "evaluation_metrics.json", "notes.txt"):  # as an earlier part and evaluate left them
        (folder / name).write_text("earlier")
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--no-plots", "--quiet"]) == 0
    assert sorted(os.listdir(folder)) == ["checkpoint.npz", "classification_report.txt", "history.csv",
                                          "metrics.json", "notes.txt"]


def test_resume_continues_in_its_own_folder_or_a_new_one(interrupted_run, tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--overwrite", "--quiet"]) == 2
    assert f"--overwrite: --resume continues the run in its own folder {interrupted_run.parent}" \
        in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--out", str(other), "--quiet"]) == 2
    assert f"--out {other}: already holds files (notes.txt)" in capsys.readouterr().err
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--out", str(tmp_path / "new"), "--no-plots",
                            "--quiet"]) == 0
    assert (tmp_path / "new" / "checkpoint.npz").exists()


def test_resume_of_a_checkpoint_beside_another_run_refuses_to_write_over_that_run(interrupted_run, run_dir,
                                                                                   tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module
    folder = tmp_path / "two-runs"
    shutil.copytree(run_dir[0], folder)  # one run, and a copy of another run's checkpoint beside it
    shutil.copy(interrupted_run, folder / "backup.npz")
    before = {name: (folder / name).read_bytes() for name in os.listdir(folder)}
    backup = ["train", "--resume", str(folder / "backup.npz"), "--no-plots", "--quiet"]
    assert cli_module.main(backup) == 2
    err = capsys.readouterr().err
    assert err == f"tinygrad-mnist train: error: --resume {folder / 'backup.npz'}: is not its folder's " \
                  f"checkpoint.npz, so its run cannot continue in {folder}; give --out NEW to continue it in a new " \
                  f"folder, or move it into a folder of its own as checkpoint.npz ({folder} holds the run of " \
                  f"{folder / 'checkpoint.npz'}, which --resume {folder / 'checkpoint.npz'} continues)\n"
    assert cli_module.main([*backup, "--out", str(folder)]) == 2  # as any --out that holds files
    assert f"--out {folder}: already holds files" in capsys.readouterr().err
    assert {name: (folder / name).read_bytes() for name in os.listdir(folder)} == before
    assert cli_module.main([*backup, "--out", str(tmp_path / "new")]) == 0
    assert {name: (folder / name).read_bytes() for name in os.listdir(folder)} == before
    assert sorted(os.listdir(tmp_path / "new")) == ["checkpoint.npz", "classification_report.txt", "history.csv",
                                                    "metrics.json"]


def test_resume_of_a_run_early_stopping_ended_refuses_more_epochs(tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module, train
    out = tmp_path / "es"
    assert cli_module.main(["train", "--limit", "600", "--layers", "784,16,10", "--epochs", "30", "--early-stopping",
                            "1", "--lr", "0.03", "--no-plots", "--quiet", "--out", str(out)]) == 0
    ckpt = out / "checkpoint.npz"
    stopped = train.load_checkpoint(str(ckpt))["callbacks"][0]["stopped_epoch"]
    assert stopped is not None and stopped < 30
    capsys.readouterr()
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    for epochs in ("40", "31"):
        assert cli_module.main(["train", "--resume", str(ckpt), "--epochs", epochs, "--no-plots", "--quiet"]) == 2
        assert capsys.readouterr().err == f"tinygrad-mnist train: error: --epochs {epochs}: early stopping " \
            f"(patience 1) ended this run at epoch {stopped}, so resuming cannot train it further; to train longer, " \
            "start a new run (without --resume), e.g. with a larger --early-stopping patience or --early-stopping 0\n"
        assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
    # fewer epochs than it trained: that is what the error says
    assert cli_module.main(["train", "--resume", str(ckpt), "--epochs", str(stopped - 1), "--no-plots", "--quiet"]) == 2
    assert capsys.readouterr().err == f"tinygrad-mnist train: error: --epochs {stopped - 1}: the checkpoint has " \
        f"already trained {stopped} epochs; give at least that many\n"
    # as for a run that trained all its epochs, resuming it as it was trains nothing and writes its outputs again
    assert cli_module.main(["train", "--resume", str(ckpt), "--epochs", "30", "--no-plots", "--quiet"]) == 0
    assert f"epochs: {stopped} " in capsys.readouterr().out


def test_resuming_an_iterations_run_says_that_it_restarts(tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module
    from tinygrad_mnist.run import RunConfig, run
    # 25 evaluation passes, more than the default 20 epochs that an epoch check would compare them with
    run(RunConfig(layers=[784, 8, 10], limit=300, iterations=50, eval_every=2, batch_size=32), out=str(tmp_path),
        progress=False, plots=False)
    assert cli_module.main(["train", "--resume", str(tmp_path / "checkpoint.npz"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "resume continues epoch runs only; an iterations run restarts" in err and "--epochs" not in err


def test_checkpoints_with_settings_older_versions_ignored_still_load(run_dir, tmp_path, capsys):
    """Experiment runs saved model 'default' beside their layers; --val-fraction 0 saved early stopping,
    and --momentum with adam its momentum, though neither had an effect. Those settings are refused now."""
    from tinygrad_mnist import cli as cli_module, train
    from tinygrad_mnist.serialization import save_state
    out, _ = run_dir
    good = train.load_checkpoint(str(out / "checkpoint.npz"))
    run = {**good["config"]["run"], "model": "default", "val_fraction": 0, "early_stopping": 3, "momentum": 0.9}
    save_state(tmp_path / "old.npz", without_norm({**good, "config": {**good["config"], "run": run}}))
    _, cfg, model_config = cli_module._saved_run(str(tmp_path / "old.npz"))
    assert (cfg.model, cfg.layers, cfg.early_stopping, cfg.momentum) == (None, [784, 32, 10], None, 0.0)
    assert cfg.norm is None and "norm" not in model_config
    assert cli_module.main(["evaluate", str(tmp_path / "old.npz")]) == 0
    trained = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    assert f"test accuracy: {trained:.2%}" in capsys.readouterr().out


def test_a_refused_resume_option_is_quoted_as_typed():
    from tinygrad_mnist import cli as cli_module
    from tinygrad_mnist.errors import ConfigError
    from tinygrad_mnist.run import RunConfig
    args = cli_module.build_parser().parse_args(["train", "--resume", "x.npz", "--early-stopping", "0"])
    with pytest.raises(ConfigError, match=r"--early-stopping 0 \(the checkpoint has 3\)"):
        cli_module._resumed_config(args, RunConfig(early_stopping=3))


def test_resume_refuses_to_lengthen_a_cosine_schedule_which_would_climb_again():
    from tinygrad_mnist import cli as cli_module
    from tinygrad_mnist.errors import ConfigError
    from tinygrad_mnist.run import RunConfig
    saved = RunConfig(scheduler="cosine", epochs=4)
    args = cli_module.build_parser().parse_args(["train", "--resume", "x.npz", "--epochs", "8"])
    with pytest.raises(ConfigError, match=r"--epochs 8: the run's cosine schedule anneals to 0 over its 4 epochs"):
        cli_module._resumed_config(args, saved)
    for epochs in ("4", "3"):  # fewer is checked against the epochs trained (cmd_train), not refused here
        args_ = cli_module.build_parser().parse_args(["train", "--resume", "x.npz", "--epochs", epochs])
        assert cli_module._resumed_config(args_, saved).epochs == int(epochs)
    longer = RunConfig(scheduler="step", epochs=4)  # a step schedule goes on as it would have
    assert cli_module._resumed_config(args, longer).epochs == 8


def test_resume_accepts_early_stopping_0_for_a_run_saved_with_it_off():
    from tinygrad_mnist import cli as cli_module
    from tinygrad_mnist.run import RunConfig
    args = cli_module.build_parser().parse_args(["train", "--resume", "x.npz", "--early-stopping", "0"])
    for saved in (RunConfig(early_stopping=0), RunConfig(early_stopping=None)):  # an experiment's, the CLI's
        assert cli_module._resumed_config(args, saved).early_stopping is None


def test_evaluate_names_a_checkpoint_whose_model_configuration_is_invalid(run_dir, tmp_path):
    from tinygrad_mnist import train
    from tinygrad_mnist.serialization import save_state
    out, _ = run_dir
    good = train.load_checkpoint(str(out / "checkpoint.npz"))
    save_state(tmp_path / "bad-model.npz", {**good, "config": {**good["config"], "model": {"widths": [1]}}})
    proc = cli("evaluate", str(tmp_path / "bad-model.npz"))
    assert proc.returncode == 2 and "model configuration is invalid" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [["evaluate"], ["train", "--resume"]])
def test_checkpoints_that_cannot_say_how_they_were_made_give_a_one_line_error(run_dir, tmp_path, command):
    from tinygrad_mnist import train
    from tinygrad_mnist.serialization import save_state
    out, _ = run_dir
    good = train.load_checkpoint(str(out / "checkpoint.npz"))
    newer = {**good, "config": {**good["config"], "run": {**good["config"]["run"], "warmup": 5}}}
    cases = {"newer.npz": (newer, "run configuration has settings this version does not know: warmup"),
             "no-model.npz": ({k: v for k, v in good.items() if k != "model"}, "damaged or incomplete, it has no model"),
             "bad-limit.npz": ({**good, "config": {**good["config"], "run": {**good["config"]["run"], "limit": "x"}}},
                               "run configuration is invalid: limit must be an integer or none, got 'x'"),
             "no-config.npz": ({**good, "config": {}}, "has no run configuration to rebuild the model from")}
    for name, (state, message) in cases.items():
        save_state(tmp_path / name, state)
        proc = cli(*command, str(tmp_path / name))
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    (tmp_path / "notes.npz").write_text("not a checkpoint\n")
    proc = cli(*command, str(tmp_path / "notes.npz"))
    assert proc.returncode == 2 and "notes.npz: not an .npz file" in proc.stderr and "pickle" not in proc.stderr


@pytest.mark.parametrize("command", [["evaluate"], ["train", "--resume"]])
@pytest.mark.parametrize("field, value, message", [
    ("epoch", "two", "epoch must be an integer >= 0, got 'two'"),
    ("history", 5, "history must be a table of equally long lists of numbers under epoch, train_loss, train_acc, "
                   "val_loss, val_acc, lr, seconds, got 5"),
    ("rng", {"x": 1}, "rng must be a PCG64 random generator state, got {'x': 1}"),
    ("callbacks", 5, "callbacks must be a list of tables, got 5"),
    ("model", {"layers.0.weight": "w"}, "model must be a table of arrays, got {'layers.0.weight': 'w'}"),
])
def test_a_checkpoint_field_of_the_wrong_type_is_named_in_one_line(run_dir, tmp_path, command, field, value, message):
    from tinygrad_mnist import train
    from tinygrad_mnist.serialization import save_state
    good = train.load_checkpoint(str(run_dir[0] / "checkpoint.npz"))
    path = tmp_path / "bad" / "checkpoint.npz"
    save_state(path, {**good, field: value})
    proc = cli(*command, str(path), "--no-plots")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr == f"tinygrad-mnist {command[0]}: error: checkpoint {path}: damaged, {message}\n"


def test_resume_names_a_callback_whose_saved_state_does_not_fit(run_dir, tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module, train
    from tinygrad_mnist.serialization import save_state
    good = train.load_checkpoint(str(run_dir[0] / "checkpoint.npz"))
    path = tmp_path / "bad" / "checkpoint.npz"
    save_state(path, {**good, "callbacks": [{}]})
    assert cli_module.main(["train", "--resume", str(path), "--no-plots", "--quiet"]) == 2
    assert capsys.readouterr().err.endswith(f"error: checkpoint {path}: callback 1 cannot take its saved state: "
                                            "EarlyStopping: the state has no best, best_epoch, wait, best_weights "
                                            "(another callback's state?)\n")


def test_evaluate_refuses_a_model_whose_outputs_are_not_the_configurations_classes(run_dir, tmp_path, capsys):
    from tinygrad_mnist import cli as cli_module, train
    from tinygrad_mnist.serialization import save_state
    good = train.load_checkpoint(str(run_dir[0] / "checkpoint.npz"))
    run = {**good["config"]["run"], "classes": [1, 2, 3]}
    save_state(tmp_path / "c.npz", {**good, "config": {**good["config"], "run": run}})
    assert cli_module.main(["evaluate", str(tmp_path / "c.npz")]) == 2
    assert capsys.readouterr().err == f"tinygrad-mnist evaluate: error: {tmp_path / 'c.npz'}: the model has 10 " \
        "outputs, but its run configuration's 3 classes ([1, 2, 3]) take 3 with loss 'cross_entropy'\n"


# ---- norm -----------------------------------------------------------------------------------------

# 540 training samples: 7 batches of 77 and a last one of one sample, which batch norm leaves out
NORMED = ["--norm", "batch", "--limit", "600", "--layers", "784,16,10", "--epochs", "3", "--early-stopping", "0",
          "--batch-size", "77", "--no-plots", "--quiet"]


def test_a_batch_norm_run_evaluates_and_resumes_as_it_trained(tmp_path, monkeypatch, capsys):
    from tinygrad_mnist import cli as cli_module, train
    straight = tmp_path / "straight"
    proc = cli("train", *NORMED, "--out", str(straight))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((straight / "metrics.json").read_text())
    state = train.load_checkpoint(str(straight / "checkpoint.npz"))
    assert metrics["config"]["norm"] == state["config"]["run"]["norm"] == state["config"]["model"]["norm"] == "batch"
    assert metrics["train_size"] == 540 and int(state["model"]["layers.1.num_batches_tracked"]) == 3 * 7
    assert state["model"]["layers.1.running_mean"].shape == (16,) and state["model"]["layers.1.running_mean"].any()

    # evaluate rebuilds the model with its running statistics, in eval mode: the run's test numbers
    proc = cli("evaluate", str(straight / "checkpoint.npz"), "--out", str(tmp_path / "eval"), "--no-plots")
    assert proc.returncode == 0, proc.stderr
    evaluated = json.loads((tmp_path / "eval" / "evaluation_metrics.json").read_text())
    assert (evaluated["test_accuracy"], evaluated["test_loss"]) == (metrics["test_accuracy"], metrics["test_loss"])
    assert f"test accuracy: {metrics['test_accuracy']:.2%}" in proc.stdout

    ckpt = interrupt_after_the_first_checkpoint(NORMED, tmp_path / "run", monkeypatch, capsys)
    assert int(train.load_checkpoint(str(ckpt))["model"]["layers.1.num_batches_tracked"]) == 7
    assert cli_module.main(["train", "--resume", str(ckpt), "--norm", "layer", "--quiet"]) == 2
    assert "--norm layer (the checkpoint has batch)" in capsys.readouterr().err
    assert cli_module.main(["train", "--resume", str(ckpt), "--no-plots", "--quiet"]) == 0
    resumed = train.load_checkpoint(str(ckpt))
    assert sorted(resumed["model"]) == sorted(state["model"])
    for name, value in state["model"].items():  # the running statistics too
        np.testing.assert_array_equal(resumed["model"][name], value, err_msg=name)
    del resumed["history"]["seconds"], state["history"]["seconds"]
    assert resumed["history"] == state["history"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test_accuracy"] == metrics["test_accuracy"]


def test_the_norm_option_is_explained_and_a_run_without_it_refuses_it_on_resume(interrupted_run, capsys):
    from tinygrad_mnist import cli as cli_module
    with pytest.raises(SystemExit):
        cli_module.build_parser().parse_args(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--norm {batch,layer}" in help_text and "BatchNorm1d" in help_text and "LayerNorm" in help_text
    assert cli_module.main(["train", "--resume", str(interrupted_run), "--norm", "batch", "--quiet"]) == 2
    assert "--norm batch (the checkpoint has none)" in capsys.readouterr().err


@pytest.mark.parametrize("norm, node", [("batch", "NativeBatchNorm"), ("layer", "NativeLayerNorm")])
def test_graph_draws_a_model_with_norm(tmp_path, norm, node):
    from tinygrad_mnist import cli as cli_module
    out = tmp_path / "g.gv"
    assert cli_module.main(["graph", "--layers", "784,8,10", "--norm", norm, "--out", str(out)]) == 0
    assert node in out.read_text()
