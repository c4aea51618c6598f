"""Bad input at the public surface ends in one of the project's errors, naming the argument, what
was expected and what came; fuzzed shapes and dtypes either match torch or raise such an error."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_mnist as tg
from tinygrad_mnist import data, models, nn, optim
from tinygrad_mnist.errors import ConfigError, DataError, DTypeError, ShapeError
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.optim import lr_scheduler

PROJECT_ERRORS = (ShapeError, DTypeError, DataError, ConfigError)


def logits(n=3, c=4, dtype=np.float32):
    return tg.tensor(np.linspace(-1, 1, n * c).reshape(n, c).astype(dtype), requires_grad=True)


def probs(shape=(3, 1)):
    return tg.tensor(np.full(shape, 0.5, np.float32), requires_grad=True)


def params():
    return nn.Linear(4, 3).parameters()


# (what is wrong, the call, the error type, a pattern naming argument, expectation and what came)
CASES = [
    # nn.Linear and F.linear
    ("Linear fed raw uint8 pixels", lambda: nn.Linear(4, 3)(tg.tensor(np.ones((2, 4), np.uint8))),
     DTypeError, r"linear: input must be floating point, got dtype uint8"),
    ("Linear fed a NumPy array", lambda: nn.Linear(4, 3)(np.ones((2, 4), np.float32)),
     DTypeError, r"linear: input must be a Tensor, got ndarray"),
    ("Linear fed too few features", lambda: nn.Linear(784, 10)(tg.ones(2, 28, 28)),
     ShapeError, r"linear: input has 28 features \(shape \(2, 28, 28\)\) but the weight expects 784"),
    ("Linear fed a 0-d tensor", lambda: nn.Linear(4, 3)(tg.tensor(1.0)),
     ShapeError, r"linear: input must have at least 1 dim .* got a 0-d tensor"),
    ("Linear with float in_features", lambda: nn.Linear(784.0, 10),
     DTypeError, r"Linear: in_features must be an integer, got 784.0 of type float"),
    ("Linear with negative out_features", lambda: nn.Linear(4, -1),
     ConfigError, r"Linear: out_features must be >= 0, got -1"),
    ("Linear with an integer dtype", lambda: nn.Linear(4, 3, dtype=np.int64),
     DTypeError, r"Linear: dtype must be floating point, got int64"),
    # cross-entropy
    ("cross_entropy with too few targets", lambda: F.cross_entropy(logits(), np.array([0, 1])),
     ShapeError, r"cross_entropy: expected 3 class indices \(shape \(3,\)\) .* got target shape \(2,\)"),
    ("cross_entropy with a class index out of range", lambda: F.cross_entropy(logits(), np.array([0, 4, 1])),
     DataError, r"cross_entropy: class index 4 is out of range for 4 classes \(expected 0 to 3\)"),
    ("cross_entropy with a negative class index", lambda: F.cross_entropy(logits(), np.array([0, -1, 1])),
     DataError, r"class index -1 is out of range for 4 classes"),
    ("CrossEntropyLoss with float class labels", lambda: nn.CrossEntropyLoss()(logits(), tg.tensor([0.0, 1.0, 2.0])),
     ShapeError, r"float targets are class probabilities and must have the logits' shape \(3, 4\), got "
                 r"\(3,\); class-index targets must be integers \(use .long\(\)\)"),
    ("CrossEntropyLoss with bool labels", lambda: nn.CrossEntropyLoss()(logits(), np.array([True, False, True])),
     DTypeError, r"class-index targets must be int64 or uint8, as in torch, got dtype bool; cast them with "
                 r"target\.long\(\) \(or \.to\(tg\.int64\)\)"),
    ("cross_entropy on integer logits", lambda: F.cross_entropy(tg.ones(3, 4, dtype=tg.int64), [0, 1, 2]),
     DTypeError, r"cross_entropy: input must be floating point, got dtype int64"),
    ("cross_entropy on 1-d logits", lambda: F.cross_entropy(tg.ones(4), [0]),
     ShapeError, r"cross_entropy: expected logits of shape \(N, C\) with C >= 1, got \(4,\)"),
    ("cross_entropy with NaN probability targets",
     lambda: F.cross_entropy(logits(2, 2), np.array([[np.nan, 1], [0, 1]], np.float32)),
     DataError, r"cross_entropy: target must hold finite numbers, got nan at index \(0, 0\)"),
    ("cross_entropy on an empty batch", lambda: F.cross_entropy(tg.ones(0, 10), np.zeros(0, np.int64)),
     ShapeError, r"cross_entropy: the batch is empty \(input shape \(0, 10\)\)"),
    ("CrossEntropyLoss with an unknown reduction", lambda: nn.CrossEntropyLoss(reduction="avg"),
     ConfigError, r"CrossEntropyLoss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"),
    ("CrossEntropyLoss with label_smoothing 1.5", lambda: nn.CrossEntropyLoss(label_smoothing=1.5),
     ConfigError, r"CrossEntropyLoss: label_smoothing must be in \[0, 1\], got 1.5"),
    # NLL, MSE, BCE
    ("nll_loss with float targets", lambda: F.nll_loss(logits(), [0.0, 1.0, 2.0]),
     DTypeError, r"nll_loss: class-index targets must be int64 or uint8, as in torch, got dtype float64"),
    ("nll_loss on an empty batch", lambda: F.nll_loss(tg.ones(0, 3), np.zeros(0, np.int64)),
     ShapeError, r"nll_loss: the batch is empty"),
    ("mse_loss with a (N,) target for (N, 1) outputs", lambda: F.mse_loss(probs((4, 1)), tg.ones(4)),
     ShapeError, r"mse_loss: target shape \(4,\) differs from input shape \(4, 1\)"),
    ("mse_loss with string targets", lambda: F.mse_loss(probs((3,)), np.array(["a", "b", "c"])),
     DTypeError, r"mse_loss: target must be numeric, got dtype <U1"),
    ("mse_loss with an infinite target", lambda: F.mse_loss(probs((2,)), np.array([1.0, np.inf])),
     DataError, r"mse_loss: target must hold finite numbers, got inf at index \(1,\)"),
    ("BCELoss on logits instead of probabilities", lambda: nn.BCELoss()(tg.tensor([[2.5]]), tg.tensor([[1.0]])),
     DataError, r"binary_cross_entropy: input must be probabilities in \[0, 1\], got 2.5 "
                r"\(use binary_cross_entropy_with_logits"),
    ("BCELoss with digit labels 0..9", lambda: nn.BCELoss()(probs((2, 1)), tg.tensor([[1.0], [7.0]])),
     DataError, r"binary_cross_entropy: target must be in \[0, 1\] .* got 7.0; for class indices use cross_entropy"),
    ("BCEWithLogitsLoss with a NaN target", lambda: nn.BCEWithLogitsLoss()(probs((2,)), tg.tensor([np.nan, 1.0])),
     DataError, r"binary_cross_entropy_with_logits: target must hold finite numbers, got nan at index \(0,\)"),
    ("BCEWithLogitsLoss on an empty batch", lambda: nn.BCEWithLogitsLoss()(tg.ones(0, 1), tg.ones(0, 1)),
     ShapeError, r"the batch is empty \(input shape \(0, 1\)\)"),
    ("MSELoss on an integer input", lambda: nn.MSELoss()(tg.ones(3, dtype=tg.int64), tg.ones(3)),
     DTypeError, r"mse_loss: input must be floating point, got dtype int64"),
    ("one_hot of a label beyond num_classes", lambda: F.one_hot(tg.tensor([0, 3]), 3),
     DataError, r"one_hot: class index 3 is out of range for 3 classes"),
    # dropout
    ("Dropout with p = 2", lambda: nn.Dropout(2), ConfigError, r"Dropout: p must be in \[0, 1\], got 2"),
    ("Dropout with p as a string", lambda: nn.Dropout("0.5"),
     DTypeError, r"Dropout: p must be a number in \[0, 1\], got '0.5' of type str"),
    ("F.dropout with p < 0", lambda: F.dropout(tg.ones(3), -0.1),
     ConfigError, r"dropout: p must be in \[0, 1\], got -0.1"),
    # optimizers and schedulers
    ("SGD with lr < 0", lambda: optim.SGD(params(), lr=-0.1), ConfigError, r"SGD: lr must be >= 0, got -0.1"),
    ("Adam with lr NaN", lambda: optim.Adam(params(), lr=float("nan")), ConfigError, r"Adam: lr must be >= 0, got nan"),
    ("AdamW with lr as a string", lambda: optim.AdamW(params(), lr="1e-3"),
     DTypeError, r"AdamW: lr must be a number >= 0, got '1e-3' of type str"),
    ("RMSprop with alpha > 1", lambda: optim.RMSprop(params(), alpha=1.5),
     ConfigError, r"RMSprop: alpha must be in \[0, 1\], got 1.5"),
    ("Adam with beta2 = 1", lambda: optim.Adam(params(), betas=(0.9, 1.0)),
     ConfigError, r"betas\[1\] must be in \[0, 1\), got 1.0"),
    ("Adam with one beta", lambda: optim.Adam(params(), betas=(0.9,)),
     ConfigError, r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    ("SGD with nesterov and no momentum", lambda: optim.SGD(params(), lr=0.1, nesterov=True),
     ConfigError, r"nesterov=True needs momentum > 0 and dampening == 0, got momentum=0.0"),
    ("SGD over no parameters", lambda: optim.SGD([], lr=0.1), ConfigError, r"SGD: got an empty parameter list"),
    ("SGD over a lone Tensor", lambda: optim.SGD(tg.ones(2, requires_grad=True), lr=0.1),
     DTypeError, r"got a single Tensor; pass \[tensor\]"),
    ("SGD over NumPy arrays", lambda: optim.SGD([np.ones(3)], lr=0.1),
     DTypeError, r"can only optimize Tensors, got ndarray at position 0"),
    ("StepLR over a list", lambda: lr_scheduler.StepLR([1], step_size=1),
     DTypeError, r"StepLR: expected an Optimizer, got list"),
    ("StepLR with step_size 0", lambda: lr_scheduler.StepLR(optim.SGD(params(), lr=0.1), step_size=0),
     ConfigError, r"StepLR: step_size must be >= 1, got 0"),
    ("ReduceLROnPlateau with mode 'up'", lambda: lr_scheduler.ReduceLROnPlateau(optim.SGD(params(), lr=0.1), mode="up"),
     ConfigError, r"mode must be 'min' or 'max', got 'up'"),
    # data
    ("DataLoader with batch_size 0", lambda: data.DataLoader(np.ones(3), batch_size=0),
     ConfigError, r"DataLoader: batch_size must be a positive integer, got 0"),
    ("DataLoader with shuffle='yes'", lambda: data.DataLoader(np.ones(3), shuffle="yes"),
     DTypeError, r"DataLoader: shuffle must be True or False, got 'yes'"),
    ("DataLoader with a float generator", lambda: data.DataLoader(np.ones(3), shuffle=True, generator=0.5),
     DTypeError, r"generator must be a np.random.Generator or an integer seed >= 0, got 0.5"),
    ("DataLoader of labels and images that differ in length", lambda: data.DataLoader((np.ones((5, 2)), np.ones(4))),
     ShapeError, r"arrays must share their first dimension, got shapes \[\(5, 2\), \(4,\)\]"),
    ("DataLoader of string labels", lambda: data.DataLoader((np.ones((3, 2)), np.array(["a", "b", "c"]))),
     DTypeError, r"TensorDataset: array 1 has dtype <U1; expected numbers"),
    ("DataLoader of a number", lambda: data.DataLoader(3.0),
     DTypeError, r"expected a dataset \(with __len__ and __getitem__\), an array or a tuple of arrays, got float"),
    # models
    ("an unknown model preset", lambda: models.build("seed999"),
     ConfigError, r"unknown model preset 'seed999'; expected one of .*seed000"),
    ("an unknown activation", lambda: models.MLP([784, 10], activation="swish"),
     ConfigError, r"unknown activation 'swish'; expected one of"),
]


@pytest.mark.parametrize("call, error, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_project_error_that_names_the_problem(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError))  # still caught by `except ValueError/TypeError`


def test_a_state_dict_with_lr_below_zero_is_refused_and_nothing_is_half_loaded():
    opt = optim.SGD([{"params": [tg.ones(2, requires_grad=True)]}, {"params": [tg.ones(3, requires_grad=True)]}],
                    lr=0.1, momentum=0.9)
    state = opt.state_dict()
    state["param_groups"][0]["momentum"] = 0.5      # valid, but must not be applied alone
    state["param_groups"][1]["lr"] = -1.0
    with pytest.raises(ConfigError, match="SGD: lr must be >= 0, got -1.0"):
        opt.load_state_dict(state)
    assert [(g["lr"], g["momentum"]) for g in opt.param_groups] == [(0.1, 0.9), (0.1, 0.9)]


def test_a_state_dict_of_another_optimizer_shape_is_refused():
    opt = optim.Adam(params(), lr=0.1)
    other = optim.Adam(nn.Linear(4, 3, bias=False).parameters(), lr=0.1)
    with pytest.raises(ShapeError, match="parameter group 0 has 2 parameters in the state dict, 1 here"):
        other.load_state_dict(opt.state_dict())
    with pytest.raises(DataError, match="expected a dict with keys 'param_groups' and 'state'"):
        opt.load_state_dict({"params": []})


# ---- fuzzing: random shapes and dtypes into the layers and losses, with torch as the oracle -------

DTYPES = [np.float32, np.float64, np.int64, np.uint8, np.bool_]


def shapes(min_dims=0, max_dims=3):
    return st.lists(st.integers(0, 4), min_size=min_dims, max_size=max_dims).map(tuple)


def array(shape, dtype, seed):
    gen = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return gen.standard_normal(shape).astype(dtype)
    return gen.integers(0, 5, shape).astype(dtype)


def either_matches_torch_or_raises(ours, theirs, name):
    """ours() raises one of the project's errors, or agrees with theirs() (torch) to rounding."""
    try:
        got = ours()
    except PROJECT_ERRORS as err:
        assert name in str(err), f"the message does not name {name}: {err}"
        return "refused"
    expected = theirs()  # torch must accept what we accept
    got = got.data
    assert got.shape == tuple(expected.shape), (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected.detach().numpy().astype(got.dtype), rtol=1e-5, atol=1e-5)
    return "matched"


def related(shape, how):
    """A second shape: the same, its batch dim only, or an unrelated one."""
    if how == "same":
        return shape
    return shape[:1] if how == "batch" else how


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # Linear(0, 3), ours and torch's
@settings(max_examples=150, deadline=None)
@given(lead=shapes(0, 2), features_fit=st.booleans(), x_dtype=st.sampled_from(DTYPES),
       in_features=st.integers(0, 4), seed=st.integers(0, 2**16))
def test_fuzz_linear_inputs(lead, features_fit, x_dtype, in_features, seed):
    x_shape = lead + (in_features,) if features_fit else lead
    layer = nn.Linear(in_features, 3)
    torch_layer = torch.nn.Linear(in_features, 3)
    torch_layer.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = array(x_shape, x_dtype, seed)
    if x.dtype == np.float64:  # we promote float32 weights to a float64 input's dtype; torch refuses mixing
        torch_layer.double()
    either_matches_torch_or_raises(lambda: layer(tg.tensor(x)),
                                   lambda: torch_layer(torch.tensor(x)), "linear")


LOSSES = {
    "cross_entropy": (F.cross_entropy, TF.cross_entropy),
    "nll_loss": (F.nll_loss, TF.nll_loss),
    "mse_loss": (F.mse_loss, TF.mse_loss),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits),
}


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(LOSSES)), x_shape=shapes(2, 2) | shapes(),
       t_shape=st.sampled_from(["same", "batch"]) | shapes(), labels_fit=st.booleans(),
       x_dtype=st.sampled_from(DTYPES[:2]) | st.sampled_from(DTYPES), t_dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**16),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_fuzz_loss_inputs(name, x_shape, t_shape, labels_fit, x_dtype, t_dtype, seed, reduction):
    ours, theirs = LOSSES[name]
    t_shape = related(x_shape, t_shape)
    x, t = array(x_shape, x_dtype, seed), array(t_shape, t_dtype, seed + 1)
    if labels_fit and t.dtype.kind in "iu" and x.ndim and x.shape[-1]:
        t = t % x.shape[-1]  # class indices in range
    if name == "binary_cross_entropy_with_logits" and t.dtype.kind == "f":
        t = np.abs(t) / (1 + np.abs(t))   # probabilities, as torch expects
    if name == "mse_loss":
        # torch broadcasts mismatched shapes with a warning and promotes mixed dtypes; we refuse the first
        theirs_fn = lambda: theirs(torch.tensor(x), torch.tensor(t).to(torch.tensor(x).dtype), reduction=reduction)
    elif name.startswith("binary"):
        theirs_fn = lambda: theirs(torch.tensor(x), torch.tensor(t).to(torch.tensor(x).dtype), reduction=reduction)
    else:
        theirs_fn = lambda: theirs(torch.tensor(x), torch.tensor(t), reduction=reduction)
    either_matches_torch_or_raises(lambda: ours(tg.tensor(x), tg.tensor(t), reduction=reduction), theirs_fn, name)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(["cross_entropy", "nll_loss"]), n=st.integers(0, 5), c=st.integers(1, 5),
       extra=st.integers(-1, 1), low=st.integers(-2, 0), high=st.integers(0, 2),
       t_dtype=st.sampled_from([np.int64, np.int32, np.uint8]), seed=st.integers(0, 2**16),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_fuzz_class_index_targets(name, n, c, extra, low, high, t_dtype, seed, reduction):
    ours, theirs = LOSSES[name]
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((n, c))
    y = gen.integers(low, c + high, max(n + extra, 0))
    if t_dtype == np.uint8:
        y = np.abs(y)
    y = y.astype(t_dtype)
    # any integer dtype is accepted as class indices (torch wants int64)
    either_matches_torch_or_raises(lambda: ours(tg.tensor(x), y, reduction=reduction),
                                   lambda: theirs(torch.tensor(x), torch.tensor(y.astype(np.int64)),
                                                  reduction=reduction), name)


# ---- the command: bad settings end in one line on stderr and exit code 2 ------------------------

@pytest.mark.parametrize("args, message", [
    (["--model", "seed999"], "argument --model/--preset: invalid choice: 'seed999'"),
    (["--classes", "5,5"], "class_subset: classes must be distinct and non-empty, got [5, 5]"),
    (["--classes", "3,11"], "class_subset: classes [11] do not occur in the labels"),
    (["--dropout", "2"], "dropout must be in [0, 1), got 2.0"),
    (["--optimizer", "sgd", "--momentum", "-1"], "SGD: momentum must be >= 0, got -1.0"),
], ids=["unknown preset", "repeated class", "absent class", "dropout 2", "momentum -1"])
def test_the_command_reports_bad_settings_in_one_line(tmp_path, args, message):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-m", "tinygrad_mnist", "train", "--limit", "300", "--epochs", "1",
                           "--layers", "784,4,10", "--quiet", "--no-plots", "--out", str(tmp_path / "run"), *args],
                          cwd=root, env=dict(os.environ, PYTHONPATH=root, OPENBLAS_NUM_THREADS="1"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0], proc.stderr
