"""The `tinygrad-mnist` command: train, evaluate and graph MLPs on the MNIST family."""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import tempfile
import time

import numpy as np

from .errors import USER_ERRORS, ConfigError, DataError
from .plots import require_matplotlib


def _ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 784,128,10, got {text!r}")
    return values


def _model_options(p: argparse.ArgumentParser) -> None:
    from .models import ACTIVATIONS, INITS, NORMS, OUTPUTS, PRESETS
    g = p.add_argument_group("model")
    g.add_argument("--model", "--preset", dest="model", default=None, choices=sorted(PRESETS),
                   help="a named architecture (default: 'default', 784-256-128-10 ReLU, dropout 0.2)")
    g.add_argument("--layers", type=_ints, help="layer sizes instead of a preset, e.g. 784,128,64,10")
    g.add_argument("--activation", choices=sorted(ACTIVATIONS),
                   help="hidden activation (default: the preset's; with --layers, relu)")
    g.add_argument("--output", choices=sorted(OUTPUTS),
                   help="output activation (default: the preset's; with --layers, none: logits)")
    g.add_argument("--init", choices=INITS,
                   help="weight init (default: the preset's; with --layers, PyTorch's Linear init)")
    g.add_argument("--dropout", type=float,
                   help="dropout after each hidden layer (default: the preset's, 0.2 for 'default'; with --layers, 0)")
    g.add_argument("--norm", choices=list(NORMS),
                   help="normalize after each hidden Linear, before its activation: batch (BatchNorm1d, with running "
                        "statistics for evaluation; a last training batch of one sample is left out, as torch's "
                        "drop_last would) or layer (LayerNorm) (default: none)")


def _data_options(p: argparse.ArgumentParser) -> None:
    from .run import DATASETS, PREPROCESS
    g = p.add_argument_group("data")
    g.add_argument("--dataset", choices=sorted(DATASETS),
                   help="mnist (default) is bundled; the others download once into the data dir")
    g.add_argument("--data-dir", help="where datasets live (default ~/.cache/tinygrad_mnist or $TINYGRAD_MNIST_DATA)")
    g.add_argument("--preprocess", choices=PREPROCESS,
                   help="pixels to [0,1] (default), to [-1,1], or standardized with training statistics")
    g.add_argument("--classes", type=_ints, help="keep only these classes, relabelled 0..k-1 (e.g. 5,8)")
    g.add_argument("--val-fraction", type=float, help="stratified validation share of train (default 0.1)")
    g.add_argument("--limit", type=int,
                   help="use this many training samples only, the validation split included (for quick runs)")


def build_parser() -> argparse.ArgumentParser:
    from .run import LOSSES, OPTIMIZERS
    parser = argparse.ArgumentParser(
        prog="tinygrad-mnist",
        description="Train, evaluate and draw MLPs on MNIST, Fashion-MNIST and Kuzushiji-MNIST "
                    "with the tinygrad_mnist autograd.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # The train options default to None (not given); RunConfig's defaults fill them in, and --resume
    # can tell which ones were given.
    t = sub.add_parser("train", help="train a model and write a run folder (checkpoint, history, metrics, plots)",
                       description="Train an MLP and report test accuracy. With no options: the default "
                                   "784-256-128-10 ReLU net with dropout 0.2, Adam 1e-3, batch 128, up to 20 epochs with early "
                                   "stopping (patience 3) on a 10% validation split of MNIST.")
    _model_options(t)
    _data_options(t)
    g = t.add_argument_group("training")
    g.add_argument("--loss", choices=LOSSES, help="default cross_entropy")
    g.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default adam")
    g.add_argument("--lr", type=float, help="learning rate (default 1e-3)")
    g.add_argument("--momentum", type=float, help="for sgd and rmsprop (default 0)")
    g.add_argument("--weight-decay", type=float, help="L2 penalty (decoupled for adamw, none for rprop; default 0)")
    g.add_argument("--batch-size", type=int, help="default 128")
    g.add_argument("--epochs", type=int, help="at most this many epochs in all (default 20)")
    g.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better validation loss and keep the best "
                        "weights (0 turns it off; default 3)")
    g.add_argument("--seed", type=int, help="default 0")
    o = t.add_argument_group("output")
    o.add_argument("--out", help="run folder, new or empty (default runs/<dataset>-<time>, made unique; with "
                                 "--resume DIR/checkpoint.npz, DIR; a checkpoint of another name needs --out)")
    o.add_argument("--overwrite", action="store_true",
                   help="let --out be a folder that holds files: the files of the run (and evaluation) in it are "
                        "deleted once the data and model are ready (so a mistake keeps them), other files stay")
    o.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue the run of CHECKPOINT with the configuration saved in it, exactly as if it "
                        "had not been interrupted. Only --epochs (to train longer, except past a cosine schedule's "
                        "end), --data-dir, --out and the output options may differ; any other option given must "
                        "equal the saved one. A finished "
                        "run trains on from the weights it kept (the best ones, with early stopping); one that "
                        "early stopping ended takes no other --epochs, as it cannot train further")
    o.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    o.add_argument("--quiet", action="store_true", help="no progress bars")

    e = sub.add_parser("evaluate", help="test a checkpoint on its dataset's test split",
                       description="Rebuild the model saved in CHECKPOINT, run it on the test split it was "
                                   "trained for, and print accuracy and the classification report.")
    e.add_argument("checkpoint", help="a checkpoint.npz written by 'train'")
    e.add_argument("--data-dir", help="where datasets live")
    e.add_argument("--out", help="also write evaluation_metrics.json, evaluation_classification_report.txt and "
                                 "plots named evaluation_*.png here (a run folder's own files are left alone)")
    e.add_argument("--overwrite", action="store_true", help="replace an earlier evaluation in --out")
    e.add_argument("--no-plots", action="store_true", help="with --out, skip the PNG plots")

    g = sub.add_parser("graph", help="draw the computation graph of one training step",
                       description="Draw one forward pass and loss of a model with graphviz "
                                   "(SVG, PNG or .gv by the --out suffix).")
    _model_options(g)
    g.add_argument("--loss", choices=LOSSES, help="default: the one that fits the output layer (cross_entropy "
                                                  "on logits, bce_with_logits for one output, nll, bce, mse)")
    g.add_argument("--batch-size", type=int, default=4, help="images in the drawn batch (default 4)")
    g.add_argument("--out", default="graph.svg", help="output file: .svg, .png or .gv (default graph.svg)")
    g.add_argument("--max-depth", type=int, help="collapse module levels below this depth")

    x = sub.add_parser("experiment", help="run the runs of experiment TOML files and tabulate them",
                       description="Train every run listed in each FILE.toml (grids expanded) into "
                                   "OUT/<experiment>/<run>/, skipping runs already finished with the same "
                                   "config (so an interrupted experiment continues), then write "
                                   "results.md, results.csv and plots per experiment.")
    x.add_argument("files", nargs="+", metavar="FILE.toml", help="experiment files, e.g. examples/seed002.toml")
    x.add_argument("--out", default=os.path.join("runs", "experiments"), help="default runs/experiments")
    x.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these runs (names, experiment/run, or shell patterns like 'b16-*')")
    x.add_argument("--summary", metavar="REPORT.md", help="also write one report over all the files (RESULTS.md)")
    x.add_argument("--run-plots", action="store_true", help="also draw each run's curves and confusion matrix")
    x.add_argument("--no-plots", action="store_true", help="skip the experiment plots")
    x.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


# The train options that set the RunConfig field of the same name, and those that may change on resume.
TRAIN_FIELDS = ("dataset", "data_dir", "preprocess", "classes", "val_fraction", "limit", "model", "layers",
                "activation", "output", "init", "dropout", "norm", "loss", "optimizer", "lr", "momentum",
                "weight_decay", "batch_size", "epochs", "early_stopping", "seed")
CHANGEABLE_ON_RESUME = ("epochs", "data_dir")


def _given_options(args) -> dict:
    """The RunConfig fields set by the train options given on the command line, with their values."""
    given = {name: getattr(args, name) for name in TRAIN_FIELDS if getattr(args, name) is not None}
    if given.get("early_stopping") == 0:
        given["early_stopping"] = None
    return given


def _config_from_args(args):
    """The RunConfig that the train options describe (RunConfig's defaults for the ones not given)."""
    from .run import RunConfig
    return RunConfig(**_given_options(args))


def _resumed_config(args, saved):
    """The checkpoint's RunConfig with --epochs and --data-dir applied; any other option given must
    equal the saved value, since changing it would make a different run."""
    given = _given_options(args)
    differing = [f"--{name.replace('_', '-')} {_option_text(getattr(args, name))} (the checkpoint has "
                 f"{_option_text(getattr(saved, name))})"
                 for name, value in given.items()
                 if name not in CHANGEABLE_ON_RESUME and value != getattr(saved, name)]
    if differing:
        raise ConfigError(f"--resume {args.resume}: options differ from the run being resumed: "
                          f"{'; '.join(differing)}. Leave them out to continue the run as it was "
                          "(only --epochs and --data-dir may change), or start a new run without --resume")
    if saved.scheduler == "cosine" and given.get("epochs", saved.epochs) > saved.epochs:
        raise ConfigError(f"--epochs {given['epochs']}: the run's cosine schedule anneals to 0 over its "
                          f"{saved.epochs} epochs, and beyond them it would climb again (torch's CosineAnnealingLR "
                          "is periodic); start a new run with --epochs to anneal over another length")
    return dataclasses.replace(saved, **{name: given[name] for name in CHANGEABLE_ON_RESUME if name in given})


def _option_text(value) -> str:
    if value is None:
        return "none"
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _saved_run(path: str):
    """(checkpoint state, its RunConfig, its model config); DataError when the checkpoint cannot
    say how it was made."""
    from . import train
    from .run import RunConfig, saved_settings
    state = train.load_checkpoint(path)
    config = state["config"]
    if not isinstance(config, dict) or not isinstance(config.get("run"), dict) \
            or not isinstance(config.get("model"), dict):
        raise DataError(f"{path}: this checkpoint has no run configuration to rebuild the model from")
    known = {f.name for f in dataclasses.fields(RunConfig)}
    unknown = sorted(set(config["run"]) - known)
    if unknown:
        raise DataError(f"{path}: the checkpoint's run configuration has settings this version does not know: "
                        f"{', '.join(unknown)} (written by another version?)")
    cfg = RunConfig(**saved_settings(config["run"]))
    try:
        cfg.validate()
    except ConfigError as err:
        raise DataError(f"{path}: the checkpoint's run configuration is invalid: {err}") from None
    return state, cfg, config["model"]


def _early_stopped_epoch(state: dict) -> int | None:
    """The epoch at which early stopping ended the checkpoint's run, or None if it did not."""
    return next((c["stopped_epoch"] for c in state["callbacks"] if c.get("stopped_epoch") is not None), None)


def _check_out_folder(out: str, option: str = "--out") -> None:
    """Fail now, before any work, if the output folder cannot be created or written; create nothing."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ConfigError(f"{option} {out}: is a file, not a folder; give a folder")
    _check_creatable(out, os.path.abspath(out), option)


def _check_out_file(path: str, option: str) -> None:
    """Fail now, before any work, if the output file cannot be written where it is asked for."""
    if os.path.isdir(path):
        raise ConfigError(f"{option} {path}: is a folder; give a file name")
    _check_creatable(path, os.path.dirname(os.path.abspath(path)), option)


def _check_creatable(given: str, folder: str, option: str) -> None:
    """Fail unless folder exists, or can be made, and can be written in; create nothing."""
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ConfigError(f"{option} {given}: {existing} is a file, so the folder cannot be created there")
    try:  # os.access says yes to root even where mkdir fails (/proc), so try it
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".tinygrad-mnist-check-"))
    except OSError as err:
        raise ConfigError(f"{option} {given}: cannot write in {existing} ({err.strerror})") from None


def _new_run_folder(out: str | None, dataset: str, overwrite: bool) -> tuple[str, bool]:
    """The folder of a new run, and whether it was created here. The default, runs/<dataset>-<time>, gets
    -2, -3, ... when a run started in the same second has the name: mkdir fails on an existing folder, so
    two runs never share one. An existing --out must be empty, unless overwrite lets the new run replace
    the one in it (run() deletes its files)."""
    if out is None:
        base = os.path.join("runs", f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}")
        _check_out_folder(base)
        os.makedirs("runs", exist_ok=True)
        for n in itertools.count(1):
            path = base if n == 1 else f"{base}-{n}"
            try:
                os.mkdir(path)
                return path, True
            except FileExistsError:
                pass
    _check_out_folder(out)
    try:
        os.makedirs(out)
        return out, True
    except FileExistsError:
        pass
    held = sorted(os.listdir(out))
    if held and not overwrite:
        resume = f", or --resume {os.path.join(out, 'checkpoint.npz')} to continue it" \
            if "checkpoint.npz" in held else ""
        raise ConfigError(f"--out {out}: already holds files ({_names(held)}); give a new or empty folder, "
                          f"--overwrite to replace the run in it{resume}")
    return out, False


def _names(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def cmd_train(args) -> int:
    from .run import RESUME_ITERATIONS, RUN_FILES, run
    if not args.no_plots:
        require_matplotlib("--no-plots")
    created = False
    if args.resume:
        if not os.path.exists(args.resume):
            raise DataError(f"--resume: no checkpoint at {args.resume}")
        state, saved, _ = _saved_run(args.resume)
        cfg = _resumed_config(args, saved)
        if cfg.iterations is not None:
            raise ConfigError(f"--resume {args.resume}: {RESUME_ITERATIONS}")
        if cfg.epochs < state["epoch"]:
            raise ConfigError(f"--epochs {cfg.epochs}: the checkpoint has already trained {state['epoch']} epochs; "
                              "give at least that many")
        stopped = _early_stopped_epoch(state)
        if stopped is not None and cfg.epochs != saved.epochs:  # fit would train no epoch, whatever the number
            raise ConfigError(f"--epochs {cfg.epochs}: early stopping (patience {saved.early_stopping}) ended this "
                              f"run at epoch {stopped}, so resuming cannot train it further; to train longer, start "
                              "a new run (without --resume), e.g. with a larger --early-stopping patience or "
                              "--early-stopping 0")
    else:
        cfg = _config_from_args(args)
    cfg.validate()
    # A run goes on in its checkpoint's folder only from the checkpoint.npz it writes there: what another
    # checkpoint's run wrote would replace the files of that folder's run.
    own = (os.path.dirname(args.resume) or ".") if args.resume else None
    if own is not None and os.path.basename(args.resume) != "checkpoint.npz":
        if args.out is None:
            raise ConfigError(_not_the_folders_checkpoint(args.resume, own))
        own = None  # so --out is a new run folder, refused if it holds files, as without --resume
    if own is not None and (args.out is None or _same_folder(args.out, own)):
        if args.overwrite:
            raise ConfigError(f"--overwrite: --resume continues the run in its own folder {own}, which it does "
                              "not overwrite; give --out NEW to continue it in another folder")
        out = own
        _check_out_folder(out)
    else:
        out, created = _new_run_folder(args.out, cfg.dataset, args.overwrite)
    resuming = f" (resuming after epoch {state['epoch']} of {args.resume})" if args.resume else ""
    print(f"training {cfg.model or cfg.layers} on {cfg.dataset} -> {out}{resuming}", flush=True)
    before = {name: _modified_time(os.path.join(out, name)) for name in RUN_FILES}
    try:
        result = run(cfg, out=out, resume=args.resume, progress=False if args.quiet else None,
                     plots=not args.no_plots, replace=args.overwrite)
    except BaseException as err:
        if created and not os.listdir(out):  # leave no empty folder behind a run that wrote nothing
            os.rmdir(out)
        if not isinstance(err, KeyboardInterrupt):
            raise
        ckpt = os.path.join(out, "checkpoint.npz")
        kept = f"the last complete epoch is in {ckpt}; continue with --resume {ckpt}" if os.path.exists(ckpt) \
            else "no epoch had finished, so there is no checkpoint"
        print(f"\ninterrupted: {kept}", file=sys.stderr)
        return 130
    print(f"epochs: {result['epochs']}   test accuracy: {result['test_accuracy']:.2%}   "
          f"macro F1: {result['macro_f1']:.4f}   time: {result['seconds']:.1f} s")
    written = [name for name in RUN_FILES  # not the older files of the folder of a resumed run
               if _modified_time(os.path.join(out, name)) not in (None, before[name])]
    print(f"outputs: {out}/ ({', '.join(written)})")
    return 0


def _not_the_folders_checkpoint(checkpoint: str, folder: str) -> str:
    message = (f"--resume {checkpoint}: is not its folder's checkpoint.npz, so its run cannot continue in {folder}; "
               "give --out NEW to continue it in a new folder, or move it into a folder of its own as checkpoint.npz")
    folders_own = os.path.join(folder, "checkpoint.npz")
    if os.path.exists(folders_own):
        message += f" ({folder} holds the run of {folders_own}, which --resume {folders_own} continues)"
    return message


def _same_folder(a: str, b: str) -> bool:
    return os.path.isdir(a) and os.path.samefile(a, b)


def _modified_time(path: str) -> int | None:
    return os.stat(path).st_mtime_ns if os.path.exists(path) else None


def cmd_evaluate(args) -> int:
    from . import data, train
    from .models import MLP
    from .run import (BINARY_LOSSES, EVALUATION_FILES, EVALUATION_PREFIX, evaluation_scores, load_splits,
                      make_loss, remove_run_files, write_test_files)
    if args.out:
        _check_out_folder(args.out)
        _refuse_an_earlier_evaluation(args.out, args.overwrite)
        if not args.no_plots:
            require_matplotlib("--no-plots")
    state, cfg, model_config = _saved_run(args.checkpoint)
    if args.data_dir:
        cfg.data_dir = args.data_dir
    try:
        model = MLP(**model_config)
    except (TypeError, ValueError) as err:
        raise DataError(f"{args.checkpoint}: the checkpoint's model configuration is invalid: {err}") from None
    model.load_state_dict(state["model"])
    n_classes = len(cfg.classes) if cfg.classes else 10
    outputs = 1 if cfg.loss in BINARY_LOSSES else n_classes
    if model.sizes[-1] != outputs:  # else it would be scored silently on classes it does not predict
        classes = f"{n_classes} classes ({cfg.classes})" if cfg.classes else "10 classes"
        raise DataError(f"{args.checkpoint}: the model has {model.sizes[-1]} outputs, but its run configuration's "
                        f"{classes} take {outputs} with loss {cfg.loss!r}")
    splits = load_splits(cfg)
    test = train.evaluate(model, data.DataLoader(splits["test"], batch_size=1000), make_loss(cfg.loss, n_classes))
    from . import metrics
    print(f"test accuracy: {test['accuracy']:.2%}   test loss: {test['loss']:.4f}")
    print(metrics.classification_report(test["targets"], test["predictions"], labels=list(range(n_classes)), digits=4))
    if args.out:
        history = train.History(state["history"])
        result = {**evaluation_scores(test, n_classes), "epochs": len(history), "checkpoint": args.checkpoint,
                  "config": dataclasses.asdict(cfg)}
        remove_run_files(args.out, EVALUATION_FILES)  # all of an earlier one, which --overwrite replaces
        write_test_files(args.out, result, test, splits["test"][0], n_classes, plots=not args.no_plots,
                         probabilities=model.output == "softmax", prefix=EVALUATION_PREFIX)
        written = [name for name in EVALUATION_FILES if os.path.exists(os.path.join(args.out, name))]
        print(f"outputs: {args.out}/ ({', '.join(written)})")
    return 0


def _refuse_an_earlier_evaluation(out: str, overwrite: bool) -> None:
    """Two evaluations are not mixed in one folder: an earlier one is replaced only with overwrite."""
    from .run import EVALUATION_FILES
    held = [name for name in EVALUATION_FILES if os.path.exists(os.path.join(out, name))]
    if held and not overwrite:
        raise ConfigError(f"--out {out}: already holds an evaluation ({_names(held)}); give another folder, "
                          "or --overwrite to replace it")


def cmd_graph(args) -> int:
    from . import data, models
    from .run import BINARY_LOSSES, check_output_layer, fitting_loss, make_loss
    from .viz import draw_model_step, save_graph
    if args.model and args.layers:
        raise ConfigError(f"--model {args.model} and --layers are alternatives, give one: layers replace the whole "
                          "preset (for its settings with other sizes, give --layers with --activation, --output, "
                          "--init and --dropout)")
    _check_out_file(args.out, "--out")
    overrides = dict(activation=args.activation, output=args.output, init=args.init, dropout=args.dropout,
                     norm=args.norm)
    if args.layers:
        overrides["sizes"] = args.layers
    model = models.build(None if args.layers else (args.model or "default"), **overrides)
    if model.sizes[0] != 784:
        raise ConfigError(f"graph draws an MNIST batch, so the first layer must have 784 inputs, got {model.sizes[0]}")
    mnist = data.MNIST()
    if not 1 <= args.batch_size <= len(mnist):
        raise ConfigError(f"--batch-size must be between 1 and {len(mnist)} (the MNIST training images), "
                          f"got {args.batch_size}")
    if model.norm == "batch" and args.batch_size == 1:  # the drawn step is a training one
        raise ConfigError("--norm batch normalizes over the batch, which a --batch-size of 1 cannot do in training "
                          "(BatchNorm1d refuses it, as torch's); draw a larger batch")
    n_outputs = model.sizes[-1]
    loss = args.loss or fitting_loss(model.output, n_outputs)
    if loss in BINARY_LOSSES and n_outputs != 1:
        raise ConfigError(f"model sizes {model.sizes} do not fit: expected 1 outputs for loss {loss!r}")
    if loss not in BINARY_LOSSES and n_outputs == 1:
        raise ConfigError(f"model sizes {model.sizes} do not fit: loss {loss!r} needs one output per class; "
                          "a one-output model takes bce or bce_with_logits")
    check_output_layer(loss, model.output)
    x = data.transforms.scale(data.transforms.flatten(mnist.data[:args.batch_size]))
    y = mnist.targets[:args.batch_size] % max(n_outputs, 2)
    from .tensor import Tensor
    graph = draw_model_step(model, Tensor(x), Tensor(y), make_loss(loss, n_outputs), max_depth=args.max_depth)
    path = save_graph(graph, args.out)
    print(f"graph of one {type(model).__name__} training step written to {path}")
    return 0


def cmd_experiment(args) -> int:
    from .experiments import run_files
    _check_out_folder(args.out)
    if args.run_plots or not args.no_plots:
        require_matplotlib("--no-plots without --run-plots" if args.run_plots else "--no-plots")
    if args.summary:
        _check_out_file(args.summary, "--summary")
    try:
        results = run_files(args.files, args.out, args.only, args.summary, progress=False if args.quiet else None,
                            run_plots=args.run_plots, plots=not args.no_plots)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to continue (finished runs are skipped, "
              "interrupted epoch runs resume from their checkpoint)", file=sys.stderr)
        return 130
    failed = [f"{exp.name}/{o.name}" for exp, outcomes in results for o in outcomes if o.status == "failed"]
    if failed:
        print(f"tinygrad-mnist experiment: {len(failed)} run(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"train": cmd_train, "evaluate": cmd_evaluate, "graph": cmd_graph,
               "experiment": cmd_experiment}[args.command]
    try:
        # A diverging run ends in one TrainingError line; NumPy's overflow warnings before it are noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return handler(args)
    except BrokenPipeError:  # the reader left (`| head`): nothing to report, and nothing more to write
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # for the flush at exit
        return 141  # what the shell reports for a writer whose reader went away (128 + SIGPIPE)
    except USER_ERRORS + (OSError,) as err:  # OSError: what no check foresaw, a full disk say; still one line
        print(f"tinygrad-mnist {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
