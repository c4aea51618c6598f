"""Experiments: a TOML file of runs (and grids of runs), run resumably, summarised as tables and plots.

```toml
[experiment]
name = "seed001"                      # the folder under --out
title = "Seed 001: Keras MLPs"
description = "What the seed did and what we changed."

[defaults]                            # RunConfig fields shared by every run below
classes = [5, 8]
loss = "bce"

[[run]]                               # one run: a name and its RunConfig fields
name = "binary"
model = "seed001-binary"

[[grid]]                              # every combination of the lists in vary, named by the template
name = "{init}-{activation}"
layers = [784, 128, 64, 32, 1]
vary = { init = ["normal", "he_normal"], activation = ["relu", "tanh"] }

[[claim]]                             # what the seed reported for a run, beside ours in the tables
run = "binary"
test_accuracy = 0.9909
text = "the seed's words, when it gave no number"
note = "one line on why ours differs"
```

run_experiment() trains each run into `<out>/<name>/<run>/` (the run folder of run.run) and skips
runs whose metrics.json holds the same config, so an interrupted experiment continues where it
stopped; write_results() writes results.md, results.csv and the plots; write_summary() writes one
Markdown report (RESULTS.md) over several experiments.
"""
from __future__ import annotations

import csv
import dataclasses
import fnmatch
import io
import itertools
import json
import math
import os
import re
import time
import tomllib
from dataclasses import dataclass, field
from typing import Callable, Sequence

from . import models, train
from .errors import USER_ERRORS, ConfigError, DataError
from .run import DEFAULT_EVAL_EVERY, RunConfig, check_config, run, saved_settings
from .serialization import atomic_write

CLAIM_METRICS = ("train_accuracy", "val_accuracy", "test_accuracy", "macro_f1", "macro_precision",
                 "macro_recall", "test_loss")
EXPERIMENT_KEYS = ("name", "title", "description")
# What write_results puts in an experiment's folder, beside the run folders.
RESULT_FILES = ("results.md", "results.csv", "accuracy.png", "val_curves.png", "grid-*.png")


@dataclass
class Claim:
    """A seed's reported numbers (and/or words) for one run, and the note on why ours differs."""
    run: str
    values: dict[str, float]
    text: str = ""
    note: str = ""


@dataclass
class Experiment:
    """A parsed experiment file: its runs in file order (grids expanded) and the seeds' claims."""
    name: str
    path: str
    title: str = ""
    description: str = ""
    runs: dict[str, RunConfig] = field(default_factory=dict)
    grids: list[dict] = field(default_factory=list)   # {"template", "vary": {key: values}, "runs": [names]}
    claims: list[Claim] = field(default_factory=list)


@dataclass
class Outcome:
    """What happened to one run: 'ran', 'finished earlier', 'failed' or 'not run', and its metrics."""
    name: str
    config: RunConfig
    status: str
    folder: str
    metrics: dict | None = None
    error: str = ""


# ---- parsing ------------------------------------------------------------------------------------

def load_experiment(path: str | os.PathLike) -> Experiment:
    """Parse an experiment TOML file, each run checked as run.run would check it when it starts
    (run.check_config); raise ConfigError naming the first bad entry."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            text = f.read().decode()
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a TOML file (not UTF-8 text)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder; give an experiment .toml file") from None
    known = {"experiment", "defaults", "run", "grid", "claim"}
    _no_unknown(path, "top-level tables", doc, known)
    head = doc.get("experiment")
    if not isinstance(head, dict) or not head.get("name"):
        raise ConfigError(f"{path}: needs an [experiment] table with a name")
    _no_unknown(path, "[experiment] keys", head, EXPERIMENT_KEYS)
    for key, value in head.items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [experiment] {key} must be a string, got {value!r}")
    _check_folder_name(path, "experiment name", head["name"])
    exp = Experiment(name=head["name"], path=path, title=head.get("title", ""),
                     description=head.get("description", ""))
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: defaults must be a table ([defaults]), got {defaults!r}")
    _check_fields(path, "[defaults]", defaults)
    for key in ("run", "grid", "claim"):
        if not isinstance(doc.get(key, []), list) or not all(isinstance(e, dict) for e in doc.get(key, [])):
            raise ConfigError(f"{path}: {key} must be tables written [[{key}]]")
    for kind, i, entry in _runs_and_grids_in_file_order(text, doc):
        if kind == "grid":
            exp.grids.append(_expand_grid(exp, path, i, entry, defaults))
            continue
        where = f"[[run]] #{i + 1}"
        name = entry.get("name")
        if not name or not isinstance(name, str):
            raise ConfigError(f"{path}: {where} needs a name (a string), got {name!r}")
        fields = {k: v for k, v in entry.items() if k != "name"}
        _check_fields(path, f"{where} ({name})", fields)
        _add_run(exp, name, {**defaults, **fields})
    for i, entry in enumerate(doc.get("claim", [])):
        exp.claims.append(_parse_claim(exp, path, i, entry))
    if not exp.runs:
        raise ConfigError(f"{path}: lists no [[run]] or [[grid]]")
    return exp


RUN_OR_GRID_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(run|grid)[ \t]*\]\]", re.MULTILINE)


def _runs_and_grids_in_file_order(text: str, doc: dict) -> list[tuple[str, int, dict]]:
    """(kind, index, entry) of every [[run]] and [[grid]] table, in the order of the file.

    tomllib keeps each array in order but not how the two interleave, so that is read from the
    header lines. If those do not match the arrays, the runs come first, then the grids: right for
    an array written inline (`run = [{...}]`, a top-level key, so before every table), a guess for a
    header line inside a multi-line string."""
    runs, grids = doc.get("run", []), doc.get("grid", [])
    kinds = RUN_OR_GRID_HEADER.findall(text)
    if kinds.count("run") != len(runs) or kinds.count("grid") != len(grids):
        kinds = ["run"] * len(runs) + ["grid"] * len(grids)
    entries = {"run": iter(enumerate(runs)), "grid": iter(enumerate(grids))}
    return [(kind, *next(entries[kind])) for kind in kinds]


def _expand_grid(exp: Experiment, path: str, index: int, entry: dict, defaults: dict) -> dict:
    where = f"[[grid]] #{index + 1}"
    template, vary = entry.get("name"), entry.get("vary")
    if not template or not isinstance(template, str) or not isinstance(vary, dict) or not vary:
        raise ConfigError(f"{path}: {where} needs a name template and a vary table of lists")
    for key, values in vary.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}: {where}: vary.{key} must be a non-empty list, got {values!r}")
    fixed = {k: v for k, v in entry.items() if k not in ("name", "vary")}
    _check_fields(path, where, {**fixed, **{k: v[0] for k, v in vary.items()}})
    names = []
    for combo in itertools.product(*vary.values()):
        chosen = dict(zip(vary, combo))
        try:
            name = template.format(**{k: _label(v) for k, v in chosen.items()})
        except (KeyError, IndexError) as err:
            raise ConfigError(f"{path}: {where}: name template {template!r} uses {err}, which is not in vary "
                              f"({', '.join(vary)})") from None
        except (ValueError, AttributeError, TypeError) as err:  # a bad format, or {key.attr} or {key[word]}
            raise ConfigError(f"{path}: {where}: name template {template!r} is malformed: {err}") from None
        _add_run(exp, name, {**defaults, **fixed, **chosen})
        names.append(name)
    return {"template": template, "vary": vary, "runs": names}


def _parse_claim(exp: Experiment, path: str, index: int, entry: dict) -> Claim:
    where = f"[[claim]] #{index + 1}"
    _no_unknown(path, f"{where} keys", entry, ("run", "text", "note") + CLAIM_METRICS)
    name = entry.get("run")
    if not isinstance(name, str):
        raise ConfigError(f"{path}: {where}: run must be the name of a run (a string), got {name!r}")
    if name not in exp.runs:
        raise ConfigError(f"{path}: {where} is about run {name!r}, which the file does not define")
    for key in ("text", "note"):
        if not isinstance(entry.get(key, ""), str):
            raise ConfigError(f"{path}: {where} ({name}): {key} must be a string, got {entry[key]!r}")
    values = {k: entry[k] for k in CLAIM_METRICS if k in entry}
    for key, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{path}: {where} ({name}): {key} must be a number, got {value!r}")
        if key == "test_loss" and not 0 <= value < math.inf:
            raise ConfigError(f"{path}: {where} ({name}): test_loss must be a finite number >= 0, got {value!r}")
        if key != "test_loss" and not 0 <= value <= 1:
            raise ConfigError(f"{path}: {where} ({name}): {key} must be a fraction in [0, 1] "
                              f"(0.9909 for 99.09%), got {value!r}")
    values = {k: float(v) for k, v in values.items()}
    if not values and not entry.get("text"):
        raise ConfigError(f"{path}: {where} ({name}) gives neither a metric ({', '.join(CLAIM_METRICS)}) nor text")
    return Claim(name, values, entry.get("text", ""), entry.get("note", ""))


def _add_run(exp: Experiment, name: str, fields: dict) -> None:
    if name in exp.runs:
        raise ConfigError(f"{exp.path}: run name {name!r} is used twice")
    _check_folder_name(exp.path, "run name", name)
    if any(fnmatch.fnmatchcase(name.lower(), pattern) for pattern in RESULT_FILES):  # (some file systems ignore case)
        raise ConfigError(f"{exp.path}: run name {name!r} is the name of a file the experiment writes beside its "
                          f"runs ({', '.join(RESULT_FILES)})")
    cfg = RunConfig(**fields)
    try:
        check_config(cfg)
    except (ConfigError, DataError) as err:  # DataError: an init's bounds out of the dtype's range
        raise ConfigError(f"{exp.path}: run {name!r}: {err}") from None
    exp.runs[name] = cfg


def _check_folder_name(path: str, what: str, name: str) -> None:
    """A name that becomes a folder under --out must stay there: no '/' and no leading '.'."""
    if "/" in name or name.startswith("."):
        raise ConfigError(f"{path}: {what} {name!r} must not contain '/' or start with '.'")


def _check_fields(path: str, where: str, fields: dict) -> None:
    _no_unknown(path, f"{where} settings", fields, [f.name for f in dataclasses.fields(RunConfig)])


def _no_unknown(path: str, what: str, given: dict, allowed) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ConfigError(f"{path}: unknown {what} {', '.join(unknown)}; expected some of {', '.join(allowed)}")


def _label(value) -> str:
    """A value as it appears in a run name: lists joined by '-', floats in their shortest form."""
    if isinstance(value, list):
        return "-".join(_label(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def select(experiments: Sequence[Experiment], only: Sequence[str] | None) -> dict[str, set[str]]:
    """For each experiment, the run names matched by `only` (names, `experiment/run`, or shell patterns);
    every run when only is empty. A pattern that matches nothing is a ConfigError."""
    def matches(exp: Experiment, name: str, pattern: str) -> bool:
        return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(f"{exp.name}/{name}", pattern)

    for pattern in only or ():
        if not any(matches(exp, name, pattern) for exp in experiments for name in exp.runs):
            listing = "; ".join(f"{exp.name}: {', '.join(exp.runs)}" for exp in experiments)
            raise ConfigError(f"--only {pattern!r} matches no run; the runs are {listing}")
    return {exp.name: {name for name in exp.runs if not only or any(matches(exp, name, p) for p in only)}
            for exp in experiments}


# ---- running ------------------------------------------------------------------------------------

def run_experiment(exp: Experiment, out: str, selected: set[str] | None = None, progress: bool | None = None,
                   plots: bool = False, log: Callable[[str], None] = print) -> list[Outcome]:
    """Train the selected runs (default: all) into `<out>/<exp.name>/<run>/`, skipping finished ones and
    resuming interrupted epoch runs from their checkpoint. A run that fails is reported and the rest go on."""
    outcomes = []
    todo = [name for name in exp.runs if selected is None or name in selected]
    for name, cfg in exp.runs.items():
        folder = os.path.join(out, exp.name, name)
        finished = _finished_metrics(folder, cfg)
        if finished is not None:
            outcomes.append(Outcome(name, cfg, "finished earlier", folder, finished))
            continue
        if name not in todo:
            outcomes.append(Outcome(name, cfg, "not run", folder))
            continue
        log(f"[{todo.index(name) + 1}/{len(todo)}] {exp.name}/{name}: {describe_model(cfg)}; {describe_training(cfg)}")
        resume = _resumable_checkpoint(folder, cfg)
        if resume:
            log(f"    resuming from {resume}")
        try:  # without resume, none of the files of an older run of another config may stay beside this run's
            result = run(cfg, out=folder, resume=resume, progress=progress, plots=plots, replace=not resume)
        except USER_ERRORS as err:
            message = _first_line(err)
            log(f"    failed: {message}")
            outcomes.append(Outcome(name, cfg, "failed", folder, error=message))
            continue
        log(f"    test {_pct(result['test_accuracy'])}  val {_pct(result['val_accuracy'])}  "
            f"train {_pct(result['train_accuracy'])}  ({_duration(result)}, {result['seconds']:.1f} s)")
        outcomes.append(Outcome(name, cfg, "ran", folder, result))
    return outcomes


def _first_line(err: Exception) -> str:
    """An error's first line, with the next one when the first only introduces it (ends in ':')."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()] or [type(err).__name__]
    return f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]


def _finished_metrics(folder: str, cfg: RunConfig) -> dict | None:
    """The metrics of an earlier run of exactly this config in folder, else None."""
    try:
        with open(os.path.join(folder, "metrics.json")) as f:
            result = json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return result if _same_settings(result.get("config"), cfg) else None


def _resumable_checkpoint(folder: str, cfg: RunConfig) -> str | None:
    """The checkpoint an interrupted epoch run of this config left in folder, if any."""
    path = os.path.join(folder, "checkpoint.npz")
    if cfg.iterations is not None or not os.path.exists(path):
        return None
    try:
        saved = train.load_checkpoint(path).get("config", {}).get("run")
    except DataError:
        return None
    return path if _same_settings(saved, cfg) else None


def _same_settings(saved, cfg: RunConfig) -> bool:
    """Whether a saved run configuration (maybe an older version's) is cfg."""
    return isinstance(saved, dict) and saved_settings(saved) == _jsonable(cfg)


def _jsonable(cfg: RunConfig) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


# ---- describing ---------------------------------------------------------------------------------

def describe_model(cfg: RunConfig) -> str:
    """The model in one phrase, e.g. '784-500-500-10 sigmoid, softmax out, init normal(0.1)' or
    '784-256-128-10 relu, batch norm, dropout 0.2'."""
    spec = dict(models.PRESETS[cfg.model]) if cfg.layers is None else {"sizes": cfg.layers}
    spec.update({k: v for k, v in dict(activation=cfg.activation, output=cfg.output, init=cfg.init,
                                       dropout=cfg.dropout, init_scale=cfg.init_scale, norm=cfg.norm).items()
                 if v is not None})
    text = "-".join(map(str, spec["sizes"])) + f" {spec.get('activation', 'relu')}"
    if spec.get("output", "none") != "none":
        text += f", {spec['output']} out"
    init = spec.get("init", "default")
    if init != "default":
        scale = spec.get("init_scale") or models.DEFAULT_INIT_SCALE.get(init)
        text += f", init {init}" + (f"({scale:g})" if scale is not None and init in models.DEFAULT_INIT_SCALE else "")
    if spec.get("norm"):
        text += f", {spec['norm']} norm"
    if spec.get("dropout"):
        text += f", dropout {spec['dropout']:g}"
    return text


def describe_training(cfg: RunConfig) -> str:
    """The data and training in one phrase, e.g. 'mse, sgd lr 0.1, batch 100, 20 epochs'."""
    parts = [cfg.dataset + (f" {'/'.join(map(str, cfg.classes))}" if cfg.classes else ""), cfg.preprocess, cfg.loss]
    opt = f"{cfg.optimizer} lr {cfg.lr:g}"
    if cfg.momentum:
        opt += f" momentum {cfg.momentum:g}" + (" nesterov" if cfg.nesterov else "")
    if cfg.weight_decay:
        opt += f" L2 {cfg.weight_decay:g}"
    if cfg.scheduler:
        opt += f" {cfg.scheduler}"
    parts.append(opt)
    parts.append("full batch" if cfg.batch_size == "full" else f"batch {cfg.batch_size}")
    parts.append(f"{cfg.iterations} steps" if cfg.iterations is not None else f"{cfg.epochs} epochs")
    if cfg.early_stopping:
        parts.append(f"early stop {cfg.early_stopping}")
    return ", ".join(parts)


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _num(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _duration(result: dict) -> str:
    if result.get("iterations") is not None:
        return f"{result['iterations']} steps"
    return f"{result['epochs']} epochs"


# ---- tables -------------------------------------------------------------------------------------

TABLE_HEADER = ("run", "model", "training", "train acc", "val acc", "test acc", "macro F1", "test loss",
                "ran for", "seconds", "status")


def results_rows(outcomes: Sequence[Outcome]) -> list[tuple[str, ...]]:
    """One Markdown row per run, in TABLE_HEADER's columns."""
    rows = []
    for o in outcomes:
        m = o.metrics or {}
        status = {"ran": "done", "finished earlier": "done", "failed": "failed (why: above)"}.get(o.status, o.status)
        rows.append((o.name, describe_model(o.config), describe_training(o.config), _pct(m.get("train_accuracy")),
                     _pct(m.get("val_accuracy")), _pct(m.get("test_accuracy")), _num(m.get("macro_f1")),
                     _num(m.get("test_loss")), _duration(m) if m else "—",
                     f"{m['seconds']:.1f}" if m else "—", status))
    return rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table ('|' in cells escaped)."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header))] + [line(r) for r in rows])


def claim_rows(exp: Experiment, outcomes: Sequence[Outcome]) -> list[tuple[str, ...]]:
    """Per claim and metric: run, metric, the seed's number, ours, the difference, whether it exceeds
    noise, the note and the command that reproduces ours."""
    by_name = {o.name: o for o in outcomes}
    rows = []
    for claim in exp.claims:
        o = by_name[claim.run]
        m = o.metrics
        command = f"`tinygrad-mnist experiment {exp.path} --only {claim.run}`"
        if m is None:
            reason = "not run here (failed, why: above)" if o.error else "not run yet"
            rows.append((claim.run, ", ".join(claim.values) or "(words)", _claimed(claim), reason, "—", "—",
                         claim.note, command))
            continue
        if not claim.values:
            rows.append((claim.run, "(words)", claim.text, _in_words(exp, o, outcomes), "—", "—", claim.note, command))
        for i, (metric, seed) in enumerate(claim.values.items()):
            ours = m.get(metric)
            accuracy = metric.endswith("accuracy")
            fmt = _pct if accuracy else _num
            delta = "—" if ours is None else (f"{100 * (ours - seed):+.2f} pp" if accuracy else f"{ours - seed:+.4f}")
            seed_text = fmt(seed) + (f" ({claim.text})" if claim.text and i == 0 else "")
            rows.append((claim.run, metric, seed_text, fmt(ours), delta, _beyond_noise(metric, seed, ours, m),
                         claim.note if i == 0 else "", command))
    return rows


def _claimed(claim: Claim) -> str:
    numbers = ", ".join(_pct(v) if k.endswith("accuracy") else _num(v) for k, v in claim.values.items())
    return "; ".join(p for p in (numbers, claim.text) if p)


def _in_words(exp: Experiment, o: Outcome, outcomes: Sequence[Outcome]) -> str:
    """Our numbers for a run the seed described in words: its accuracies and its rank on validation."""
    group = next((g["runs"] for g in exp.grids if o.name in g["runs"]), list(exp.runs))
    done = [x for x in outcomes if x.name in group and x.metrics and x.metrics.get("val_accuracy") is not None]
    ranked = sorted(done, key=lambda x: -x.metrics["val_accuracy"])
    rank = next((i + 1 for i, x in enumerate(ranked) if x.name == o.name), None)
    best = ranked[0].name if ranked else "—"
    return (f"test {_pct(o.metrics['test_accuracy'])}, val {_pct(o.metrics.get('val_accuracy'))}; "
            f"rank {rank}/{len(ranked)} by val accuracy (best: {best})")


def _beyond_noise(metric: str, seed: float, ours: float | None, m: dict) -> str:
    """'yes' when an accuracy differs by more than two standard errors of the difference of two
    accuracies measured on a set of our split's size (binomial sampling noise only)."""
    split = metric.split("_")[0]
    n = m.get(f"{split}_size")
    if ours is None or not metric.endswith("accuracy") or not n:
        return "—"
    se = math.sqrt((seed * (1 - seed) + ours * (1 - ours)) / n)
    return "yes" if abs(ours - seed) > 2 * se else "no"


def best_on_validation(outcomes: Sequence[Outcome]) -> Outcome | None:
    """The finished run with the highest validation accuracy (the choice that never looks at test)."""
    done = [o for o in outcomes if o.metrics and o.metrics.get("val_accuracy") is not None]
    return max(done, key=lambda o: o.metrics["val_accuracy"]) if done else None


def write_results(exp: Experiment, outcomes: Sequence[Outcome], out: str, plots: bool = True) -> list[str]:
    """results.md, results.csv and (with plots) accuracy.png, val_curves.png and a heatmap per two-key
    grid (grid-<key>-x-<key>.png), in `<out>/<exp.name>/`. Returns the paths written."""
    folder = os.path.join(out, exp.name)
    os.makedirs(folder, exist_ok=True)
    paths = [atomic_write(os.path.join(folder, "results.md"), (experiment_markdown(exp, outcomes, 3) + "\n").encode()),
             atomic_write(os.path.join(folder, "results.csv"), results_csv(exp, outcomes).encode())]
    if plots:
        paths += _plot_experiment(exp, outcomes, folder)
    return paths


def experiment_markdown(exp: Experiment, outcomes: Sequence[Outcome], level: int = 2) -> str:
    """One experiment as Markdown: title, description, the claims beside ours, and the results table."""
    hashes = "#" * level
    parts = [f"{hashes} {exp.title or exp.name}", "", f"`tinygrad-mnist experiment {exp.path}`"]
    if exp.description:
        parts += ["", exp.description.strip()]
    errors: dict[str, list[str]] = {}
    for o in outcomes:
        if o.error:
            errors.setdefault(o.error, []).append(o.name)
    for error, names in errors.items():
        which = f"all {len(names)} runs" if len(names) == len(outcomes) else ", ".join(names)
        parts += ["", f"**Not run on this machine:** {which} failed with: {error}"]
    rows = claim_rows(exp, outcomes)
    if rows:
        parts += ["", f"{hashes}# The seed's numbers beside ours", "",
                  markdown_table(("run", "metric", "seed", "ours", "Δ", "beyond noise", "why", "command"), rows)]
    parts += ["", f"{hashes}# Every run", "", f"Each row: `tinygrad-mnist experiment {exp.path} --only <run>`.", "",
              markdown_table(TABLE_HEADER, results_rows(outcomes))]
    groups = [(f" of grid `{g['template']}`", set(g["runs"])) for g in exp.grids] or [("", set(exp.runs))]
    for label, names in groups:
        best = best_on_validation([o for o in outcomes if o.name in names])
        if best is not None:
            parts += ["", f"Best on validation{label}: **{best.name}** (val {_pct(best.metrics['val_accuracy'])}, "
                          f"test {_pct(best.metrics['test_accuracy'])})."]
    return "\n".join(parts)


def results_csv(exp: Experiment, outcomes: Sequence[Outcome]) -> str:
    """Every run's full config and metrics, one CSV row each. The metrics' epochs and iterations (what
    the run did) are the columns epochs_ran and iterations_ran, beside the config's epochs and iterations."""
    fields = [f.name for f in dataclasses.fields(RunConfig)]
    numbers = ("train_accuracy", "val_accuracy", "test_accuracy", "macro_f1", "macro_precision", "macro_recall",
               "train_loss", "val_loss", "test_loss", "epochs", "iterations", "seconds")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["experiment", "run", "status", "error", *fields,
                     *(f"{k}_ran" if k in fields else k for k in numbers)])
    for o in outcomes:
        config = dataclasses.asdict(o.config)
        cells = [json.dumps(config[k]) if isinstance(config[k], (list, dict)) else config[k] for k in fields]
        m = o.metrics or {}
        writer.writerow([exp.name, o.name, o.status, o.error, *["" if c is None else c for c in cells],
                         *["" if m.get(k) is None else m[k] for k in numbers]])
    return buffer.getvalue()


def write_summary(results: Sequence[tuple[Experiment, Sequence[Outcome]]], path: str, out: str) -> str:
    """One Markdown report over several experiments (RESULTS.md): how it was made, then each experiment."""
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
               if k in os.environ}
    files = " ".join(exp.path for exp, _ in results)
    total = sum(o.metrics["seconds"] for _, outs in results for o in outs if o.metrics)
    failed = [f"{exp.name} ({n} of {len(outs)} runs)" for exp, outs in results
              if (n := sum(o.status == "failed" for o in outs))]
    env = "".join(f"{k}={v} " for k, v in threads.items())
    parts = ["# Results", "",
             "Generated by `tinygrad-mnist experiment` from real runs of the committed experiment files. To "
             "reproduce it (finished runs are skipped, so where the run folders exist this only rewrites the report):",
             "", f"```sh\n{env}tinygrad-mnist experiment {files} --out {out} --summary {path}\n```", "",
             f"Machine: {os.cpu_count()} CPU cores"
             + (f", BLAS threads {', '.join(f'{k}={v}' for k, v in threads.items())}" if threads else "")
             + f". Training time of every run listed: {total / 60:.1f} min. Accuracies are percentages of the "
             "split named; **Δ** is ours minus the seed's; **beyond noise** says whether an accuracy "
             "difference exceeds two standard errors of the difference of two accuracies on a set the size "
             "of our split (binomial sampling noise only; training-seed variation adds to it). "
             "Run folders (checkpoints, histories, metrics) and each experiment's results.md, results.csv and "
             f"plots are in `{out}/<experiment>/`."]
    if failed:
        parts += ["", f"Runs that failed here: {', '.join(failed)}; their status below says why."]
    for exp, outcomes in results:
        parts += ["", experiment_markdown(exp, outcomes, 2)]
    return atomic_write(path, ("\n".join(parts) + "\n").encode())


# ---- plots --------------------------------------------------------------------------------------

def _plot_experiment(exp: Experiment, outcomes: Sequence[Outcome], folder: str) -> list[str]:
    from . import plots
    done = [o for o in outcomes if o.metrics]
    if not done:
        return []
    title = exp.title or exp.name
    paths = [plots.plot_accuracy_bars([o.name for o in done], [o.metrics.get("val_accuracy") or 0 for o in done],
                                      [o.metrics.get("test_accuracy") or 0 for o in done],
                                      os.path.join(folder, "accuracy.png"), title)]
    curves = {o.name: _val_curve(o) for o in done}
    curves = {name: (at, [100 * v for v in val]) for name, (at, val) in curves.items() if val}
    kinds = {o.config.iterations is None for o in done}
    xlabel = {frozenset({True}): "epoch", frozenset({False}): "step"}.get(frozenset(kinds), "epoch, or step")
    paths.append(plots.plot_curves(curves, os.path.join(folder, "val_curves.png"), xlabel, "validation accuracy (%)"))
    by_name = {o.name: o for o in outcomes}
    for grid in exp.grids:
        if len(grid["vary"]) == 2:
            name = "grid-" + "-x-".join(grid["vary"]) + ".png"
            paths.append(_plot_grid(grid, by_name, os.path.join(folder, name), title))
    return [os.fspath(p) for p in paths]


def _val_curve(o: Outcome) -> tuple[list[int], list[float]]:
    """(epochs, or steps for an iterations run; validation accuracies) from the run's history.csv."""
    try:
        with open(os.path.join(o.folder, "history.csv")) as f:
            rows = [r for r in csv.DictReader(f) if r.get("val_acc")]
    except FileNotFoundError:
        return [], []
    every = 1 if o.config.iterations is None else (o.config.eval_every or DEFAULT_EVAL_EVERY)
    return ([min(int(r["epoch"]) * every, o.config.iterations or math.inf) for r in rows],
            [float(r["val_acc"]) for r in rows])


def _plot_grid(grid: dict, by_name: dict, path: str, title: str):
    """A heatmap of test accuracy over a grid's two varied settings."""
    from . import plots
    (k1, v1), (k2, v2) = grid["vary"].items()
    names = iter(grid["runs"])
    table = [[by_name[next(names)] for _ in v2] for _ in v1]
    values = [[100 * o.metrics["test_accuracy"] if o.metrics else math.nan for o in row] for row in table]
    return plots.plot_heatmap(values, [_label(v) for v in v1], [_label(v) for v in v2], path, k1, k2,
                              f"{title}: test accuracy (%)")


def run_files(paths: Sequence[str], out: str, only: Sequence[str] | None = None, summary: str | None = None,
              progress: bool | None = None, run_plots: bool = False, plots: bool = True,
              log: Callable[[str], None] = print) -> list[tuple[Experiment, list[Outcome]]]:
    """Parse and check every file first (so a mistake in any run fails before hours of training), run
    the selected runs of each, write each experiment's tables and plots, and the summary report if asked."""
    experiments = [load_experiment(p) for p in paths]
    names = [exp.name for exp in experiments]
    if len(set(names)) != len(names):
        raise ConfigError(f"two experiment files share a name: {names}")
    chosen = select(experiments, only)
    results = []
    began = time.perf_counter()
    for exp in experiments:
        outcomes = run_experiment(exp, out, chosen[exp.name], progress, run_plots, log)
        write_results(exp, outcomes, out, plots)
        results.append((exp, outcomes))
    if summary:
        write_summary(results, summary, out)
    log(f"done in {time.perf_counter() - began:.0f} s; tables in {out}/<experiment>/results.md"
        + (f"; report {summary}" if summary else ""))
    return results
