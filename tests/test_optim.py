"""optim against torch.optim (float64): 50 steps of each optimizer config, with a state_dict round
trip through np.savez in the middle; schedulers' lr sequences; in-place updates that keep identity
and dtype; errors for bad hyperparameters."""
import re

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import optim
from tinygrad_mnist.errors import DataError, DTypeError, ShapeError
from tinygrad_mnist.optim import lr_scheduler
from tinygrad_mnist.optim.optimizer import _PIECE
from tinygrad_mnist.serialization import load_state, save_state

SHAPES = [(5, 4), (4,), (3, 2, 2), ()]
STEPS = 50
RTOL, ATOL = 1e-10, 1e-12


def _initial(dtype=np.float64):
    rng = np.random.default_rng(0)
    return [np.asarray(rng.standard_normal(s)).astype(dtype) for s in SHAPES]


def _grads(step, rng, params):
    """One step's gradients: noise plus a pull towards zero; the third parameter gets none on some steps."""
    return [None if (i == 2 and step % 7 == 3) else rng.standard_normal(p.shape) + 0.3 * p
            for i, p in enumerate(params)]


def _grouped(params, groups):
    if groups is None:
        return list(params)
    return [{"params": params[:2], **groups[0]}, {"params": params[2:], **groups[1]}]


def _set_grads(ours, theirs, grads):
    for p, q, g in zip(ours, theirs, grads):
        p.grad = None if g is None else tg.Tensor(g.astype(p.dtype))
        q.grad = None if g is None else torch.tensor(g.astype(p.dtype))


def _save_and_reload(make, path, state_dict):
    """Save state_dict with np.savez (no pickle), build a fresh object and load the file into it."""
    save_state(path, state_dict)
    fresh = make()
    fresh.load_state_dict(load_state(path))
    return fresh


def _assert_same_params(ours, theirs, step, rtol=RTOL, atol=ATOL):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"parameter {i} after step {step}")


def _run_against_torch(ours_cls, torch_cls, kwargs, groups, tmp_path):
    start = _initial()
    ours_params = [tg.Tensor(a.copy(), requires_grad=True) for a in start]
    torch_params = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    def make():
        return ours_cls(_grouped(ours_params, groups), **kwargs)

    ours, theirs = make(), torch_cls(_grouped(torch_params, groups), **kwargs)
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        if step == 10:  # a hyperparameter changed by hand must survive the round trip
            for opt in (ours, theirs):
                opt.param_groups[-1]["lr"] *= 0.5
        if step == STEPS // 2:
            ours = _save_and_reload(make, tmp_path / "opt.npz", ours.state_dict())
        _set_grads(ours_params, torch_params, _grads(step, rng, [p.data for p in ours_params]))
        ours.step()
        theirs.step()
        _assert_same_params(ours_params, torch_params, step)


SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=1e-2),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
    dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True),
    dict(lr=0.05, weight_decay=0.1),
]
ADAM_CONFIGS = [
    dict(lr=1e-2),
    dict(lr=1e-2, weight_decay=1e-2),
    dict(lr=1e-2, betas=(0.8, 0.99), amsgrad=True, weight_decay=0.1),
    dict(lr=1e-2, betas=(0.3, 0.5), eps=1e-6, maximize=True),
]
ADAMW_CONFIGS = [
    dict(lr=1e-2),
    dict(lr=1e-2, weight_decay=0.1, amsgrad=True),
    dict(lr=1e-2, weight_decay=0.0),
    dict(lr=1e-2, weight_decay=0.05, maximize=True),
]
RMSPROP_CONFIGS = [
    dict(),
    dict(momentum=0.9),
    dict(centered=True),
    dict(lr=1e-3, alpha=0.9, centered=True, momentum=0.5, weight_decay=1e-2),
    dict(weight_decay=0.1, maximize=True),
]
ADAGRAD_CONFIGS = [
    dict(),
    dict(lr=0.1, lr_decay=0.01, weight_decay=1e-2),
    dict(lr=0.05, initial_accumulator_value=0.1, eps=1e-6, maximize=True),
    dict(lr=0.1, weight_decay=0.1, maximize=True),
]
ADAMAX_CONFIGS = [
    dict(),
    dict(lr=1e-2, weight_decay=1e-2),
    dict(lr=1e-2, betas=(0.3, 0.5), eps=1e-6, maximize=True),
    dict(lr=1e-2, betas=(0.0, 0.9), weight_decay=0.1, maximize=True),
]
NADAM_CONFIGS = [
    dict(),
    dict(lr=1e-2, weight_decay=1e-2),
    dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=1e-2, betas=(0.5, 0.9), momentum_decay=0.01, eps=1e-6, maximize=True),
    dict(lr=1e-2, momentum_decay=0.0, weight_decay=0.1, maximize=True),
]
RADAM_CONFIGS = [  # rho_t passes 5 at the 6th step (beta2 = 0.999) or the 8th (0.9): both branches
    dict(),
    dict(lr=1e-2, weight_decay=1e-2),
    dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    dict(lr=1e-2, betas=(0.5, 0.9), eps=1e-6),
]
ADADELTA_CONFIGS = [
    dict(),
    dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=1e-2),
    dict(rho=0.95, eps=1e-8, weight_decay=0.1, maximize=True),
    dict(lr=2.0, maximize=True),
]
RPROP_CONFIGS = [
    dict(),
    dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)),
    dict(lr=0.01, maximize=True),
    dict(etas=(0.9, 1.1), step_sizes=(0.02, 50)),
]
ASGD_CONFIGS = [  # the average starts (mu < 1) after t0 steps
    dict(),
    dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=10, weight_decay=1e-2),
    dict(lr=0.02, t0=20, weight_decay=0.1, maximize=True),
    dict(lr=0.01, lambd=0.0, t0=0),
]
CASES = ([(optim.SGD, torch.optim.SGD, c, None) for c in SGD_CONFIGS]
         + [(optim.Adam, torch.optim.Adam, c, None) for c in ADAM_CONFIGS]
         + [(optim.AdamW, torch.optim.AdamW, c, None) for c in ADAMW_CONFIGS]
         + [(optim.RMSprop, torch.optim.RMSprop, c, None) for c in RMSPROP_CONFIGS]
         + [(optim.Adagrad, torch.optim.Adagrad, c, None) for c in ADAGRAD_CONFIGS]
         + [(optim.Adamax, torch.optim.Adamax, c, None) for c in ADAMAX_CONFIGS]
         + [(optim.NAdam, torch.optim.NAdam, c, None) for c in NADAM_CONFIGS]
         + [(optim.RAdam, torch.optim.RAdam, c, None) for c in RADAM_CONFIGS]
         + [(optim.Adadelta, torch.optim.Adadelta, c, None) for c in ADADELTA_CONFIGS]
         + [(optim.Rprop, torch.optim.Rprop, c, None) for c in RPROP_CONFIGS]
         + [(optim.ASGD, torch.optim.ASGD, c, None) for c in ASGD_CONFIGS]
         + [(optim.SGD, torch.optim.SGD, dict(lr=0.01),
             [dict(lr=0.1, momentum=0.9), dict(momentum=0.5, nesterov=True, weight_decay=0.01)]),
            (optim.Adam, torch.optim.Adam, dict(lr=1e-2),
             [dict(betas=(0.5, 0.9)), dict(amsgrad=True, weight_decay=0.01)]),
            (optim.AdamW, torch.optim.AdamW, dict(lr=1e-2), [dict(weight_decay=0.0), dict(lr=1e-3)]),
            (optim.RMSprop, torch.optim.RMSprop, dict(), [dict(centered=True), dict(momentum=0.9)]),
            # (torch starts every sum at the constructor's initial_accumulator_value, a group's is unused)
            (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.05, initial_accumulator_value=0.2),
             [dict(lr_decay=0.1), dict(weight_decay=0.01, initial_accumulator_value=3.0, maximize=True)]),
            (optim.Adamax, torch.optim.Adamax, dict(lr=1e-2), [dict(betas=(0.5, 0.9)), dict(weight_decay=0.01)]),
            (optim.NAdam, torch.optim.NAdam, dict(lr=1e-2),
             [dict(momentum_decay=0.01), dict(weight_decay=0.01, decoupled_weight_decay=True)]),
            (optim.RAdam, torch.optim.RAdam, dict(lr=1e-2),
             [dict(betas=(0.5, 0.9)), dict(weight_decay=0.01, decoupled_weight_decay=True)]),
            (optim.Adadelta, torch.optim.Adadelta, dict(), [dict(rho=0.5), dict(lr=0.3, weight_decay=0.01, maximize=True)]),
            (optim.Rprop, torch.optim.Rprop, dict(lr=0.02), [dict(etas=(0.4, 1.3)), dict(step_sizes=(1e-4, 0.1))]),
            (optim.ASGD, torch.optim.ASGD, dict(lr=0.02, t0=5), [dict(lambd=1e-3), dict(alpha=0.9, weight_decay=0.01)])])


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs, groups", CASES,
                         ids=[f"{c[0].__name__}-{c[2]}-groups={c[3]}" for c in CASES])
def test_fifty_steps_match_torch_with_state_dict_round_trip(ours_cls, torch_cls, kwargs, groups, tmp_path):
    _run_against_torch(ours_cls, torch_cls, kwargs, groups, tmp_path)


SINGLE_GROUP_CASES = [c[:3] for c in CASES if c[3] is None]


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", SINGLE_GROUP_CASES,
                         ids=[f"{c[0].__name__}-{c[2]}" for c in SINGLE_GROUP_CASES])
def test_large_parameters_updated_piece_by_piece_match_torch(ours_cls, torch_cls, kwargs):
    # Over 2 * _PIECE elements an update runs on slices of the flat arrays: row-major and
    # column-major parameters, and (updated whole) one whose gradient comes in the other layout.
    rows = 3 * _PIECE // 64 + 5
    rng = np.random.default_rng(3)
    start = [rng.standard_normal((rows, 64)), np.asfortranarray(rng.standard_normal((64, rows))),
             rng.standard_normal((rows, 64))]
    ours_params = [tg.Tensor(a.copy(order="K"), requires_grad=True) for a in start]
    torch_params = [torch.tensor(a, requires_grad=True) for a in start]
    ours, theirs = ours_cls(ours_params, **kwargs), torch_cls(torch_params, **kwargs)
    for step in range(4):
        grads = [rng.standard_normal(p.shape) + 0.3 * p.data for p in ours_params]
        grads[1], grads[2] = np.asfortranarray(grads[1]), np.asfortranarray(grads[2])
        _set_grads(ours_params, torch_params, grads)
        ours.step()
        theirs.step()
        _assert_same_params(ours_params, torch_params, step)
    assert ours_params[1].data.flags.f_contiguous  # updated in place, in its own layout


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=1e-2),
                                  lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.RMSprop(ps, lr=1e-3, momentum=0.9, centered=True)],
                         ids=["Adam", "SGD-momentum", "RMSprop"])
def test_subnormal_state_is_flushed_without_changing_the_parameters(make, monkeypatch):
    # Half the weights stop getting gradients (blank pixels): their moments decay into the
    # subnormals, where x86 arithmetic is slow. Every 64 steps they are zeroed; the parameters
    # come out bit for bit as without flushing.
    def train(flush):
        rng = np.random.default_rng(0)
        p = tg.Tensor(rng.uniform(-0.1, 0.1, (4, 20)).astype(np.float32), requires_grad=True)
        opt = make([p])
        if not flush:
            monkeypatch.setattr(opt, "_flush_subnormals", lambda: None)
        for step in range(1280):
            g = rng.standard_normal((4, 20)).astype(np.float32) * 1e-2
            if step >= 10:
                g[:, 10:] = 0
            p.grad = tg.Tensor(g)
            opt.step()
        states = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
        subnormal = sum(int(((v != 0) & (np.abs(v) < np.finfo(np.float32).tiny)).sum()) for v in states)
        return p.data, subnormal
    flushed, left = train(flush=True)
    unflushed, stuck = train(flush=False)
    assert stuck > 0 and left == 0
    np.testing.assert_array_equal(flushed, unflushed)


FLOAT32_CASES = [(optim.SGD, torch.optim.SGD, dict(lr=np.float64(0.05), momentum=0.9, dampening=0.1,
                                                     weight_decay=1e-2)),
                 (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
                 (optim.Adam, torch.optim.Adam, dict(lr=np.float64(1e-2), amsgrad=True, weight_decay=1e-2)),
                 (optim.AdamW, torch.optim.AdamW, dict(lr=1e-2, maximize=True)),
                 (optim.RMSprop, torch.optim.RMSprop, dict(lr=1e-3, centered=True, momentum=0.9,
                                                           weight_decay=1e-2)),
                 (optim.Adagrad, torch.optim.Adagrad, dict(lr=np.float64(0.05), lr_decay=0.01, weight_decay=1e-2,
                                                           initial_accumulator_value=0.1)),
                 (optim.Adamax, torch.optim.Adamax, dict(lr=1e-2, weight_decay=1e-2, maximize=True)),
                 (optim.NAdam, torch.optim.NAdam, dict(lr=np.float64(1e-2), weight_decay=1e-2)),
                 (optim.NAdam, torch.optim.NAdam, dict(lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True)),
                 (optim.RAdam, torch.optim.RAdam, dict(lr=1e-2, weight_decay=1e-2, maximize=True)),
                 (optim.Adadelta, torch.optim.Adadelta, dict(lr=np.float64(1.0))),
                 (optim.Adadelta, torch.optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=1e-2, maximize=True)),
                 (optim.Rprop, torch.optim.Rprop, dict(lr=np.float64(1e-2), etas=(np.float64(0.3), 1.5))),
                 (optim.Rprop, torch.optim.Rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
                 (optim.ASGD, torch.optim.ASGD, dict(lr=np.float64(1e-2), t0=5, weight_decay=1e-2)),
                 (optim.ASGD, torch.optim.ASGD, dict(lr=0.05, lambd=1e-2, t0=0, maximize=True))]


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", FLOAT32_CASES,
                         ids=[f"{c[0].__name__}-{c[2]}" for c in FLOAT32_CASES])
def test_float32_updates_in_place_keep_identity_and_dtype(ours_cls, torch_cls, kwargs):
    start = _initial(np.float32)
    ours_params = [tg.Tensor(a.copy(), requires_grad=True) for a in start]
    torch_params = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    arrays = [p.data for p in ours_params]
    ours, theirs = ours_cls(ours_params, **kwargs), torch_cls(torch_params, **kwargs)
    rng = np.random.default_rng(1)
    for step in range(10):
        grads = _grads(step, rng, arrays)
        _set_grads(ours_params, torch_params, grads)
        ours.step()
        theirs.step()
        for p, array, g in zip(ours_params, arrays, grads):
            assert p.data is array and p.data.dtype == np.float32
            if g is not None:  # the optimizer reads the gradient, never writes it
                np.testing.assert_array_equal(p.grad.data, g.astype(np.float32))
    for state in ours.state.values():
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, name
    _assert_same_params(ours_params, torch_params, "10 (float32)", rtol=1e-5, atol=1e-6)


def test_state_dict_is_a_copy_and_has_torchs_structure():
    a, b = tg.randn(3, requires_grad=True), tg.randn(2, requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, amsgrad=True)
    a.grad, b.grad = tg.ones(3), tg.ones(2)
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in saved["param_groups"]] == [0.1, 0.5]
    assert saved["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(saved["state"]) == {0, 1}
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert saved["state"][0]["step"] == 1
    before = saved["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)
    assert not np.array_equal(opt.state[a]["exp_avg"], before)


@pytest.mark.parametrize("cls, kwargs", [(optim.SGD, {"momentum": 0.9}), (optim.Adam, {"amsgrad": True}),
                                         (optim.AdamW, {}), (optim.RMSprop, {"momentum": 0.5, "centered": True}),
                                         (optim.Adagrad, {}), (optim.Adamax, {}), (optim.NAdam, {}),
                                         (optim.RAdam, {}), (optim.Adadelta, {}),
                                         (optim.Rprop, {}), (optim.ASGD, {})])
def test_loaded_state_takes_each_parameters_memory_layout(cls, kwargs, tmp_path):
    # A column-major weight (as Linear stores a narrowing layer's) with row-major state arrays
    # would take the optimizer's slow path on every later step: resuming made training 3-6x slower.
    rng = np.random.default_rng(0)
    params = [tg.Tensor(np.asfortranarray(rng.standard_normal((6, 5))), requires_grad=True),
              tg.Tensor(rng.standard_normal((5, 6)), requires_grad=True)]
    opt = cls(params, lr=0.01, **kwargs)
    for p in params:
        p.grad = tg.Tensor(rng.standard_normal(p.shape))
    opt.step()
    save_state(tmp_path / "opt.npz", opt.state_dict())
    for saved in (opt.state_dict(), load_state(tmp_path / "opt.npz")):
        loaded = cls(params, lr=0.01, **kwargs)
        loaded.load_state_dict(saved)
        for p in params:
            arrays = {k: v for k, v in loaded.state[p].items() if isinstance(v, np.ndarray) and v.ndim}
            assert arrays, "no state arrays to check"
            for name, value in arrays.items():
                assert value.strides == p.data.strides, name
                np.testing.assert_array_equal(value, opt.state[p][name])


def test_step_skips_parameters_without_gradient_and_returns_closure_loss():
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    a.grad = tg.ones(2)
    assert opt.step(lambda: 7.0) == 7.0
    np.testing.assert_array_equal(a.data, [0.5, 0.5])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    assert b not in opt.state


def test_zero_grad_sets_to_none_or_zeros_in_place():
    a = tg.ones(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    (a * a).sum().backward()
    grad_array = a.grad.data
    opt.zero_grad(set_to_none=False)
    assert a.grad.data is grad_array
    np.testing.assert_array_equal(grad_array, np.zeros(3, dtype=np.float32))
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full(3, 2.0, dtype=np.float32))
    opt.zero_grad()
    assert a.grad is None


def test_add_param_group_fills_defaults():
    a, b = tg.zeros(2, requires_grad=True), tg.zeros(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9


@pytest.mark.parametrize("make, error, message", [
    (lambda p: optim.SGD(p, lr=-0.1), ValueError, r"SGD: lr must be >= 0, got -0.1"),
    (lambda p: optim.SGD(p, momentum=-1.0), ValueError, r"SGD: momentum must be >= 0, got -1.0"),
    (lambda p: optim.SGD(p, weight_decay=-1e-4), ValueError, r"SGD: weight_decay must be >= 0, got -0.0001"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=1.5), ValueError,
     r"SGD: dampening must be in \[0, 1\], got 1.5"),
    (lambda p: optim.SGD(p, nesterov=True), ValueError,
     r"SGD: nesterov=True needs momentum > 0 and dampening == 0, got momentum=0.0, dampening=0.0"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"dampening=0.1"),
    (lambda p: optim.SGD(p, lr="0.1"), TypeError, r"SGD: lr must be a number >= 0, got '0.1' of type str"),
    (lambda p: optim.SGD([{"params": p, "lr": -1.0}], lr=0.1), ValueError, r"SGD: lr must be >= 0, got -1.0"),
    (lambda p: optim.Adam(p, lr=float("nan")), ValueError, r"Adam: lr must be >= 0, got nan"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, r"Adam: betas\[0\] must be in \[0, 1\), got 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), ValueError, r"Adam: betas\[1\] must be in \[0, 1\), got -0.1"),
    (lambda p: optim.Adam(p, betas=(0.9,)), ValueError, r"Adam: betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    (lambda p: optim.Adam(p, eps=-1e-8), ValueError, r"Adam: eps must be >= 0, got -1e-08"),
    (lambda p: optim.Adam(p, amsgrad="yes"), TypeError, r"Adam: amsgrad must be True or False, got 'yes'"),
    (lambda p: optim.AdamW(p, weight_decay=-0.01), ValueError, r"AdamW: weight_decay must be >= 0, got -0.01"),
    (lambda p: optim.RMSprop(p, alpha=1.5), ValueError, r"RMSprop: alpha must be in \[0, 1\], got 1.5"),
    (lambda p: optim.RMSprop(p, momentum=-0.5), ValueError, r"RMSprop: momentum must be >= 0, got -0.5"),
    (lambda p: optim.RMSprop(p, eps=-1.0), ValueError, r"RMSprop: eps must be >= 0, got -1.0"),
    (lambda p: optim.Adagrad(p, lr=-1.0), ValueError, r"Adagrad: lr must be >= 0, got -1.0"),
    (lambda p: optim.Adagrad(p, lr_decay=-0.1), ValueError, r"Adagrad: lr_decay must be >= 0, got -0.1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1.0), ValueError,
     r"Adagrad: initial_accumulator_value must be >= 0, got -1.0"),
    (lambda p: optim.Adagrad(p, eps=-1e-10), ValueError, r"Adagrad: eps must be >= 0, got -1e-10"),
    (lambda p: optim.Adagrad(p, weight_decay=-0.5), ValueError, r"Adagrad: weight_decay must be >= 0, got -0.5"),
    (lambda p: optim.Adagrad(p, maximize=1), TypeError, r"Adagrad: maximize must be True or False, got 1"),
    (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), ValueError, r"Adamax: betas\[1\] must be in \[0, 1\), got 1.0"),
    (lambda p: optim.Adamax(p, eps=-1.0), ValueError, r"Adamax: eps must be >= 0, got -1.0"),
    (lambda p: optim.Adamax(p, weight_decay=-0.5), ValueError, r"Adamax: weight_decay must be >= 0, got -0.5"),
    (lambda p: optim.NAdam(p, betas=(-0.1, 0.9)), ValueError, r"NAdam: betas\[0\] must be in \[0, 1\), got -0.1"),
    (lambda p: optim.NAdam(p, momentum_decay=-4e-3), ValueError, r"NAdam: momentum_decay must be >= 0, got -0.004"),
    (lambda p: optim.NAdam(p, decoupled_weight_decay="no"), TypeError,
     r"NAdam: decoupled_weight_decay must be True or False, got 'no'"),
    (lambda p: optim.RAdam(p, lr=-1e-3), ValueError, r"RAdam: lr must be >= 0, got -0.001"),
    (lambda p: optim.RAdam(p, betas=(0.9,)), ValueError, r"RAdam: betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    (lambda p: optim.RAdam(p, eps=-1.0), ValueError, r"RAdam: eps must be >= 0, got -1.0"),
    (lambda p: optim.Adadelta(p, lr=-1.0), ValueError, r"Adadelta: lr must be >= 0, got -1.0"),
    (lambda p: optim.Adadelta(p, rho=1.5), ValueError, r"Adadelta: rho must be in \[0, 1\], got 1.5"),
    (lambda p: optim.Adadelta(p, rho=-0.1), ValueError, r"Adadelta: rho must be in \[0, 1\], got -0.1"),
    (lambda p: optim.Adadelta(p, eps=-1e-6), ValueError, r"Adadelta: eps must be >= 0, got -1e-06"),
    (lambda p: optim.Adadelta(p, weight_decay=-0.5), ValueError, r"Adadelta: weight_decay must be >= 0, got -0.5"),
    (lambda p: optim.Adadelta(p, maximize="yes"), TypeError, r"Adadelta: maximize must be True or False, got 'yes'"),
    (lambda p: optim.Adadelta(p, differentiable=True), ValueError, r"Adadelta: differentiable=True .* not available"),
    (lambda p: optim.Rprop(p, lr=-1.0), ValueError, r"Rprop: lr must be >= 0, got -1.0"),
    (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), ValueError, r"Rprop: etas\[0\] must be in \(0, 1\), got 1.5"),
    (lambda p: optim.Rprop(p, etas=(0.0, 1.2)), ValueError, r"Rprop: etas\[0\] must be in \(0, 1\), got 0.0"),
    (lambda p: optim.Rprop(p, etas=(0.5, 1.0)), ValueError, r"Rprop: etas\[1\] must be > 1, got 1.0"),
    (lambda p: optim.Rprop(p, etas=(0.5,)), ValueError, r"Rprop: etas must be a pair \(etaminus, etaplus\), got \(0.5,\)"),
    (lambda p: optim.Rprop(p, step_sizes=1e-6), ValueError,
     r"Rprop: step_sizes must be a pair \(min_step, max_step\), got 1e-06"),
    (lambda p: optim.Rprop(p, step_sizes=("1e-6", 50)), TypeError,
     r"Rprop: step_sizes\[0\] must be a number, got '1e-6' of type str"),
    (lambda p: optim.Rprop(p, maximize=None), TypeError, r"Rprop: maximize must be True or False, got None"),
    (lambda p: optim.ASGD(p, lr=-1.0), ValueError, r"ASGD: lr must be >= 0, got -1.0"),
    (lambda p: optim.ASGD(p, weight_decay=-0.1), ValueError, r"ASGD: weight_decay must be >= 0, got -0.1"),
    (lambda p: optim.ASGD(p, lambd="1e-4"), TypeError, r"ASGD: lambd must be a number, got '1e-4' of type str"),
    (lambda p: optim.ASGD(p, alpha=None), TypeError, r"ASGD: alpha must be a number, got None of type NoneType"),
    (lambda p: optim.ASGD(p, t0=float("nan")), ValueError, r"ASGD: t0 must be a number, got nan"),
    (lambda p: optim.ASGD(p, maximize=0), TypeError, r"ASGD: maximize must be True or False, got 0"),
])
def test_bad_hyperparameters_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make([tg.zeros(2, requires_grad=True)])


def test_bad_params_are_named():
    a = tg.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="got a single Tensor; pass \\[tensor\\]"):
        optim.SGD(a)
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="can only optimize Tensors, got ndarray at position 1"):
        optim.SGD([a, np.zeros(2)])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([a * 2])
    with pytest.raises(DTypeError, match="must be floating point, got dtype int64"):
        optim.SGD([tg.arange(3)])
    with pytest.raises(ValueError, match="the same parameter twice"):
        optim.SGD([a, a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}])
    with pytest.raises(TypeError, match="ordered collection"):
        optim.SGD({a})


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps, lr=0.1)],
                         ids=["SGD", "Adam"])
def test_step_updates_a_parameter_whose_data_was_replaced(make):
    # The scratch arrays kept for a parameter are rebuilt for its new array (here of a new shape).
    a = tg.zeros(2, 3, requires_grad=True)
    opt = make([a])
    a.grad = tg.ones(2, 3)
    opt.step()
    a.data = np.zeros(4, dtype=np.float32)
    a.grad = tg.ones(4)
    if isinstance(opt, optim.Adam):
        opt.state.clear()  # Adam's moments belong to the old shape
    opt.step()
    np.testing.assert_allclose(a.data, np.full(4, -0.1, dtype=np.float32), rtol=1e-5)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(momentum=0.9)), ("Adam", {}), ("AdamW", dict(amsgrad=True)),
                                          ("RMSprop", dict(centered=True))])
@pytest.mark.parametrize("shape", [(3, 2), (3, 2 * _PIECE)])  # updated whole before, and in pieces
def test_step_refuses_state_of_the_old_shape_for_data_replaced_by_another_shape(name, kwargs, shape):
    # torch raises a RuntimeError from the arithmetic; here it was NumPy's broadcasting ValueError
    for lib, error in ((torch, RuntimeError), (tg, ShapeError)):
        p = lib.zeros(*shape, requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1, **kwargs)
        for _ in range(2):
            p.grad = lib.ones(*shape)
            opt.step()
        p.data = lib.zeros(*shape[::-1]) if lib is torch else np.zeros(shape[::-1], np.float32)
        p.grad = lib.ones(*shape[::-1])
        with pytest.raises(error):
            opt.step()
    with pytest.raises(ShapeError, match=rf"{name}.step: the state '\w+' has shape {re.escape(str(shape))}, but the "
                                         rf"parameter's data \(replaced\?\) has shape {re.escape(str(shape[::-1]))}"):
        opt.step()


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps)], ids=["SGD", "SGD-momentum", "Adam"])
def test_step_rejects_a_gradient_of_the_wrong_shape(make):
    a = tg.zeros(2, 3, requires_grad=True)
    opt = make([a])
    a.grad = tg.ones(3)
    with pytest.raises(ShapeError, match=r"gradient of shape \(3,\) does not match its parameter of shape \(2, 3\)"):
        opt.step()


def test_load_state_dict_rejects_mismatches():
    a, b = tg.zeros(2, requires_grad=True), tg.zeros(3, requires_grad=True)
    opt = optim.Adam([a, b])
    a.grad, b.grad = tg.ones(2), tg.ones(3)
    opt.step()
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="has 1 parameter groups, this optimizer has 2"):
        optim.Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="parameter group 0 has 2 parameters in the state dict, 1 here"):
        optim.Adam([a]).load_state_dict(saved)
    with pytest.raises(ShapeError, match=r"state 'exp_avg' of parameter 0 has shape \(2,\), "
                                         r"the parameter has shape \(3,\)"):
        optim.Adam([b, a]).load_state_dict(saved)
    with pytest.raises(ValueError, match="expected a dict with keys 'param_groups' and 'state'"):
        optim.Adam([a, b]).load_state_dict({"state": {}})
    damaged = [({**saved, "state": "x"}, r"'state' must be a dict of each parameter's state \(a dict\) under "
                                          r"its index, got 'x'"),
               ({**saved, "state": {0: 5}}, r"'state' must be .*, got \{0: 5\}"),
               ({**saved, "state": {"x": {}}}, r"'state' must be .*, got \{'x': \{\}\}"),
               ({**saved, "param_groups": "x"}, r"'param_groups' must be a list of dicts with a 'params' list"),
               ({**saved, "param_groups": [{"lr": 0.1}]}, r"'param_groups' must be a list of dicts with a 'params'")]
    for state_dict, message in damaged:
        with pytest.raises(DataError, match=r"^Adam.load_state_dict: " + message):
            optim.Adam([a, b]).load_state_dict(state_dict)


# ---- schedulers ------------------------------------------------------------------------------
EPOCHS = 30
PLATEAU_METRICS = [1.0, 0.9, 0.8, 0.8, 0.8, 0.79995, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.7, 0.5,
                   0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


def _scheduler_pair(lib, make_schedulers, opt_cls, params, groups_extra):
    group_lrs = (0.1, 0.02)
    groups = [{"params": [params[0]], "lr": group_lrs[0], **groups_extra},
              {"params": [params[1]], "lr": group_lrs[1], **groups_extra}]
    opt = opt_cls(groups, momentum=0.9)
    return opt, make_schedulers(lib, opt)


def _run_schedulers(make_schedulers, tmp_path, metric=None, groups_extra=None):
    """EPOCHS epochs of optimizer.step() then scheduler.step() in both frameworks; lrs must be equal
    every epoch, and the parameters (which use them) must agree at the end."""
    groups_extra = groups_extra or {}
    ours_params = [tg.Tensor(np.ones(3), requires_grad=True) for _ in range(2)]
    torch_params = [torch.ones(3, dtype=torch.float64, requires_grad=True) for _ in range(2)]
    def make_ours():
        return _scheduler_pair(lr_scheduler, make_schedulers, optim.SGD, ours_params, groups_extra)
    ours_opt, ours = make_ours()
    theirs_opt, theirs = _scheduler_pair(torch.optim.lr_scheduler, make_schedulers, torch.optim.SGD,
                                         torch_params, groups_extra)
    assert [s.get_last_lr() for s in ours] == [s.get_last_lr() for s in theirs]
    rng = np.random.default_rng(0)
    for epoch in range(EPOCHS):
        if epoch == EPOCHS // 2:
            path = tmp_path / "sched.npz"
            saved = {"optimizer": ours_opt.state_dict(), "schedulers": [s.state_dict() for s in ours]}
            save_state(path, saved)
            ours_opt, ours = make_ours()
            loaded = load_state(path)
            ours_opt.load_state_dict(loaded["optimizer"])
            for s, state in zip(ours, loaded["schedulers"]):
                s.load_state_dict(state)
        _set_grads(ours_params, torch_params, [rng.standard_normal(3) for _ in range(2)])
        ours_opt.step()
        theirs_opt.step()
        for s, t in zip(ours, theirs):
            if metric is None:
                s.step()
                t.step()
            else:
                s.step(metric[epoch])
                t.step(metric[epoch])
        assert [s.get_last_lr() for s in ours] == [t.get_last_lr() for t in theirs], f"epoch {epoch}"
        assert [g["lr"] for g in ours_opt.param_groups] == [g["lr"] for g in theirs_opt.param_groups]
    _assert_same_params(ours_params, torch_params, EPOCHS)


@pytest.mark.parametrize("make", [
    lambda lib, opt: [lib.StepLR(opt, step_size=7, gamma=0.5)],
    lambda lib, opt: [lib.StepLR(opt, step_size=1)],
    lambda lib, opt: [lib.ExponentialLR(opt, gamma=0.9)],
    lambda lib, opt: [lib.CosineAnnealingLR(opt, T_max=10)],
    lambda lib, opt: [lib.CosineAnnealingLR(opt, T_max=7, eta_min=1e-3)],
    lambda lib, opt: [lib.StepLR(opt, step_size=4, gamma=0.5), lib.CosineAnnealingLR(opt, T_max=10)],
    lambda lib, opt: [lib.ExponentialLR(opt, gamma=0.95), lib.StepLR(opt, step_size=3, gamma=0.7)],
], ids=["step7", "step1", "exponential", "cosine", "cosine-eta_min", "chained-step-cosine",
        "chained-exponential-step"])
def test_scheduler_lrs_equal_torch(make, tmp_path):
    _run_schedulers(make, tmp_path)


def test_scheduler_resumes_from_last_epoch_like_torch(tmp_path):
    make = lambda lib, opt: [lib.StepLR(opt, step_size=3, gamma=0.5, last_epoch=5)]  # noqa: E731
    _run_schedulers(make, tmp_path, groups_extra={"initial_lr": 0.2})


@pytest.mark.parametrize("kwargs, sign", [
    (dict(patience=2), 1),
    (dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1, cooldown=2), -1),
    (dict(factor=0.5, patience=0, min_lr=[0.01, 0.005]), 1),
    (dict(threshold=0.0, patience=1, cooldown=1, factor=0.3, min_lr=1e-3), 1),
    (dict(factor=0.5, patience=1, eps=0.02), 1),
    (dict(mode="max", patience=3, threshold=1e-3), -1),
], ids=["min-rel", "max-abs-cooldown", "min_lr-list", "threshold0-cooldown", "eps", "max-rel"])
def test_reduce_lr_on_plateau_equals_torch(kwargs, sign, tmp_path):
    make = lambda lib, opt: [lib.ReduceLROnPlateau(opt, **kwargs)]  # noqa: E731
    _run_schedulers(make, tmp_path, metric=[sign * m for m in PLATEAU_METRICS])


@pytest.mark.parametrize("make, error, message", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be >= 1, got 0"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2.5), TypeError,
     r"step_size must be an integer \(or a whole float\) >= 1, got 2.5"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=-0.5), ValueError, r"ExponentialLR: gamma must be > 0, got -0.5"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, r"T_max must be > 0, got 0"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, last_epoch=3), ValueError,
     r"resuming at last_epoch=3 needs 'initial_lr' in param_groups\[0\]"),
    (lambda o: lr_scheduler.StepLR(object(), step_size=2), TypeError, r"expected an Optimizer, got object"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="mean"), ValueError,
     r"mode must be 'min' or 'max', got 'mean'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError,
     r"threshold_mode must be 'rel' or 'abs', got 'pct'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError,
     r"ReduceLROnPlateau: factor must be in \[0, 1\), got 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError,
     r"min_lr needs one value per param group \(1\), got 2"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError, r"patience must be >= 0, got -1"),
])
def test_bad_scheduler_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make(optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.1))


def test_scheduler_load_state_dict_rejects_unknown_keys():
    sched = lr_scheduler.StepLR(optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.1), step_size=2)
    with pytest.raises(ValueError, match=r"unexpected keys \['bogus'\]"):
        sched.load_state_dict({"bogus": 1})


TORCH_STATE_CASES = [("Adam", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
                     ("RMSprop", {"lr": 0.01, "momentum": 0.5}), ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
                     ("Adamax", {"lr": 0.1}), ("NAdam", {"lr": 0.1}), ("RAdam", {"lr": 0.1}),
                     ("Adadelta", {"lr": 1.0, "weight_decay": 0.1}), ("Rprop", {"lr": 0.05, "step_sizes": (1e-3, 0.2)}),
                     ("ASGD", {"lr": 0.05, "t0": 2, "weight_decay": 0.1})]


@pytest.mark.parametrize("name, kwargs", TORCH_STATE_CASES)
def test_a_torch_optimizers_state_dict_loads_and_training_continues_as_in_torch(name, kwargs):
    w0 = np.random.default_rng(0).standard_normal((3, 2))
    tw = torch.tensor(w0, requires_grad=True)
    topt = getattr(torch.optim, name)([tw], **kwargs)
    for _ in range(3):
        topt.zero_grad()
        (tw ** 3).sum().backward()
        topt.step()
    w = tg.tensor(tw.detach().numpy(), requires_grad=True)
    opt = getattr(optim, name)([w], **kwargs)
    opt.load_state_dict(topt.state_dict())  # torch tensors in its state are read as arrays
    for _ in range(2):
        topt.zero_grad()
        (tw ** 3).sum().backward()
        topt.step()
        opt.zero_grad()
        (w ** 3).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", TORCH_STATE_CASES[3:])
def test_our_state_dict_loads_into_torch_and_training_continues_as_in_torch(name, kwargs, tmp_path):
    # torch's own step and mu_product are 0-d tensors; ours are numbers, which torch's load converts
    w0 = np.random.default_rng(0).standard_normal((3, 2))
    w = tg.tensor(w0, requires_grad=True)
    opt = getattr(optim, name)([w], **kwargs)
    for _ in range(7):  # past RAdam's 5 steps without rectification
        opt.zero_grad()
        (w ** 3).sum().backward()
        opt.step()
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    topt = getattr(torch.optim, name)([tw], **kwargs)
    saved = load_state(save_state(tmp_path / "opt.npz", opt.state_dict()))
    saved["state"] = {i: {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in s.items()}
                      for i, s in saved["state"].items()}  # torch's load takes its tensors, not arrays
    topt.load_state_dict(saved)
    assert set(topt.state[tw]) == set(opt.state[w])
    for _ in range(3):
        for lib_opt, t in ((opt, w), (topt, tw)):
            lib_opt.zero_grad()
            (t ** 3).sum().backward()
            lib_opt.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12)


def test_adagrads_state_starts_at_construction_as_torchs():
    w, tw = tg.zeros((2, 3), requires_grad=True), torch.zeros((2, 3), requires_grad=True)
    ours = optim.Adagrad([w], initial_accumulator_value=0.5)
    theirs = torch.optim.Adagrad([tw], initial_accumulator_value=0.5)
    saved, torch_saved = ours.state_dict()["state"], theirs.state_dict()["state"]
    assert set(saved[0]) == set(torch_saved[0]) == {"step", "sum"}
    assert saved[0]["step"] == torch_saved[0]["step"].item() == 0
    np.testing.assert_array_equal(saved[0]["sum"], torch_saved[0]["sum"].numpy())
    assert saved[0]["sum"].dtype == np.float32


def test_nadams_mu_product_is_kept_in_float32_as_torchs():
    # torch keeps mu_product as a float32 0-d tensor (its default dtype), whatever the parameters'
    w, tw = tg.ones(2, dtype=tg.float64, requires_grad=True), torch.ones(2, dtype=torch.float64, requires_grad=True)
    ours, theirs = optim.NAdam([w], lr=0.1), torch.optim.NAdam([tw], lr=0.1)
    for _ in range(20):
        for opt, t in ((ours, w), (theirs, tw)):
            opt.zero_grad()
            (t * t).sum().backward()
            opt.step()
    assert ours.state[w]["mu_product"] == theirs.state[tw]["mu_product"].item()
    assert ours.state[w]["mu_product"] == float(np.float32(ours.state[w]["mu_product"]))
    # Within an ulp or two: on some CPUs torch's vectorized float64 update rounds differently (seen on
    # an Intel Xeon, not on AMD EPYC). A float64 mu_product puts them 1e-8 apart (relative).
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-15, atol=0)


def test_rprops_sign_is_the_sign_of_the_product_of_gradients_in_the_parameters_dtype_as_torchs():
    # A zero gradient keeps the step size; in float32 the product of two tiny gradients of one sign
    # underflows to zero, which torch takes as no sign (the step size kept, not grown), and a step size
    # shrinks to the minimum and grows to the maximum taken in float32.
    grads = [[1e-30, 1.0, 0.0, -1.0, 2.0], [1e-30, -1.0, 3.0, -1.0, 2.0], [-1e-30, 1.0, -3.0, -1.0, 2.0]] * 4
    w, tw = tg.zeros(5, requires_grad=True), torch.zeros(5, requires_grad=True)
    ours = optim.Rprop([w], lr=0.1, step_sizes=(1e-3, 0.3))
    theirs = torch.optim.Rprop([tw], lr=0.1, step_sizes=(1e-3, 0.3))
    for g in grads:
        w.grad, tw.grad = tg.tensor(np.float32(g)), torch.tensor(np.float32(g))
        ours.step()
        theirs.step()
        for name in ("prev", "step_size"):
            np.testing.assert_array_equal(ours.state[w][name], theirs.state[tw][name].numpy(), err_msg=name)
        np.testing.assert_array_equal(w.data, tw.detach().numpy())
    assert ours.state[w]["step_size"][0] == theirs.state[tw]["step_size"][0] == np.float32(0.1)


def test_rprops_subnormal_gradients_and_step_sizes_are_kept_as_torchs():
    # Rprop reads prev's sign, and grows a step size from whatever it shrank to: zeroing their
    # subnormals after the 64th step (as the other optimizers' moments are zeroed) would take
    # the first weight's sign change for none, and leave the second's step size at zero for good.
    w, tw = tg.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    ours = optim.Rprop([w], lr=1e-30, etas=(0.001, 1.2), step_sizes=(0, 1))
    theirs = torch.optim.Rprop([tw], lr=1e-30, etas=(0.001, 1.2), step_sizes=(0, 1))
    for step in range(100):
        g = np.float32([1e-39 if step == 63 else 1.0 if step < 63 else -1.0,
                        (-1) ** step if 50 <= step < 60 else 1.0])  # (its step size shrinks to 1e-41)
        w.grad, tw.grad = tg.tensor(g), torch.tensor(g)
        ours.step()
        theirs.step()
        np.testing.assert_array_equal(w.data, tw.detach().numpy(), err_msg=f"step {step}")
    np.testing.assert_array_equal(ours.state[w]["step_size"], theirs.state[tw]["step_size"].numpy())
    assert ours.state[w]["step_size"][1] > 1e-39  # grown from 1e-41


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_asgds_average_eta_and_mu_follow_torchs_which_keeps_eta_and_mu_in_float32(dtype):
    # torch keeps eta and mu as float32 0-d tensors (its default dtype), whatever the parameters'
    w0 = np.random.default_rng(0).standard_normal((3, 2)).astype(dtype)
    w, tw = tg.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    ours, theirs = optim.ASGD([w], lr=0.03, lambd=1e-2, t0=7), torch.optim.ASGD([tw], lr=0.03, lambd=1e-2, t0=7)
    for _ in range(30):
        for opt, t in ((ours, w), (theirs, tw)):
            opt.zero_grad()
            (t * t).sum().backward()
            opt.step()
    state, torch_state = ours.state[w], theirs.state[tw]
    assert set(state) == set(torch_state) == {"step", "eta", "mu", "ax"}
    for name in ("step", "eta", "mu"):
        assert state[name] == torch_state[name].item() == float(np.float32(state[name])), name
    assert state["mu"] == float(np.float32(1 / (30 - 7)))  # averaging since step 8
    rtol = 1e-13 if dtype == np.float64 else 1e-6
    assert state["ax"].dtype == dtype
    np.testing.assert_allclose(state["ax"], torch_state["ax"].numpy(), rtol=rtol)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=rtol)


def test_a_state_entry_of_the_wrong_shape_is_refused_even_when_0_d():
    w = tg.ones((3, 2), requires_grad=True)
    opt = optim.Adam([w])
    w.grad = tg.ones((3, 2))
    opt.step()
    state = opt.state_dict()
    state["state"][0]["exp_avg"] = np.array(0.0)
    with pytest.raises(ShapeError, match="exp_avg.*shape"):
        optim.Adam([w]).load_state_dict(state)


def _linear_pair():
    """An nn.Linear and a torch.nn.Linear (float64) with the same weights."""
    from tinygrad_mnist import nn
    ours, theirs = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1}),
                                          ("AdamW", {"lr": 0.1}), ("RMSprop", {"lr": 0.01})])
def test_named_parameters_are_recorded_as_param_names_as_in_torch(name, kwargs):
    ours, theirs = _linear_pair()
    opt = getattr(optim, name)(ours.named_parameters(), **kwargs)
    topt = getattr(torch.optim, name)(theirs.named_parameters(), **kwargs)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == list(ours.parameters())
    x = np.random.default_rng(1).standard_normal((4, 3))
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        (ours(tg.tensor(x)) ** 2).sum().backward()
        (theirs(torch.tensor(x)) ** 2).sum().backward()
        opt.step()
        topt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12)
    saved, torch_saved = opt.state_dict()["param_groups"][0], topt.state_dict()["param_groups"][0]
    assert saved["param_names"] == torch_saved["param_names"] and saved["params"] == torch_saved["params"]
    assert set(saved) <= set(torch_saved)
    assert "    param_names: ['weight', 'bias']" in repr(opt).splitlines() and \
        "    param_names: ['weight', 'bias']" in repr(topt).splitlines()


def test_named_param_groups_keep_their_own_names_and_hyperparameters_as_in_torch():
    ours, theirs = _linear_pair()
    groups = [[{"params": [("weight", model.weight)], "lr": 0.2}, {"params": [("b", model.bias)]}]
              for model in (ours, theirs)]
    opt, topt = optim.Adam(groups[0], lr=0.1), torch.optim.Adam(groups[1], lr=0.1)
    for got, want in zip(opt.param_groups, topt.param_groups, strict=True):
        assert got["param_names"] == want["param_names"] and got["lr"] == want["lr"]
    opt.add_param_group({"params": [("extra", tg.zeros(2, requires_grad=True))]})
    topt.add_param_group({"params": [("extra", torch.zeros(2, requires_grad=True))]})
    assert [g["param_names"] for g in opt.param_groups] == [g["param_names"] for g in topt.param_groups] == [
        ["weight"], ["b"], ["extra"]]


def test_param_names_are_saved_and_loaded_as_in_torch(tmp_path):
    ours, theirs = _linear_pair()
    named = optim.SGD(ours.named_parameters(), lr=0.1, momentum=0.9)
    torch_named = torch.optim.SGD(theirs.named_parameters(), lr=0.1, momentum=0.9)
    unnamed = _save_and_reload(lambda: optim.SGD(list(ours.parameters()), lr=0.1, momentum=0.9),
                               tmp_path / "opt.npz", named.state_dict())
    torch_unnamed = torch.optim.SGD(list(theirs.parameters()), lr=0.1, momentum=0.9)
    torch_unnamed.load_state_dict(torch_named.state_dict())
    assert unnamed.param_groups[0]["param_names"] == torch_unnamed.param_groups[0]["param_names"]
    named.load_state_dict(optim.SGD(list(ours.parameters()), lr=0.3).state_dict())
    torch_named.load_state_dict(torch.optim.SGD(list(theirs.parameters()), lr=0.3).state_dict())
    assert named.param_groups[0]["param_names"] == torch_named.param_groups[0]["param_names"]
    assert named.param_groups[0]["lr"] == torch_named.param_groups[0]["lr"] == 0.3
    renamed = torch_named.state_dict()
    renamed["param_groups"][0]["param_names"] = ["w", "b"]
    named.load_state_dict(renamed)
    assert named.param_groups[0]["param_names"] == ["w", "b"]


@pytest.mark.parametrize("make", [
    lambda w, b: [("w", w), b],
    lambda w, b: [{"params": [("w", w)]}, {"params": [b]}],
    lambda w, b: [{"params": [w]}, {"params": [("b", b)]}],
], ids=["mixed in a group", "named then unnamed", "unnamed then named"])
def test_mixing_named_and_unnamed_parameters_is_a_value_error_as_in_torch(make):
    for lib, lib_optim in ((tg, optim), (torch, torch.optim)):
        w, b = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
        with pytest.raises(ValueError, match="with/without names"):
            lib_optim.SGD(make(w, b), lr=0.1)


def test_add_param_group_without_names_to_named_groups_is_a_value_error_as_in_torch():
    for lib, lib_optim in ((tg, optim), (torch, torch.optim)):
        opt = lib_optim.SGD([("w", lib.zeros(2, requires_grad=True))], lr=0.1)
        with pytest.raises(ValueError, match="with/without names"):
            opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})
        assert len(opt.param_groups) == 1


def test_a_named_parameter_must_be_a_pair_holding_a_tensor():
    w = tg.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="a \\(name, Tensor\\) pair, got a tuple of length 3 at position 1"):
        optim.SGD([("v", w * 1), ("w", w, 1)])
    with pytest.raises(TypeError, match="can only optimize Tensors, got int at position 0"):
        optim.SGD([("w", 3)])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([("w", w * 2)])


def test_an_optimizer_subclassed_the_torch_way_trains_as_in_torch():
    def momentum_sgd(base, no_grad):
        class MomentumSGD(base):
            def __init__(self, params, lr=0.1, momentum=0.9):
                super().__init__(params, dict(lr=lr, momentum=momentum))

            def step(self, closure=None):
                with no_grad():
                    for group in self.param_groups:
                        for p in group["params"]:
                            state = self.state[p]  # a dict, empty before the first step
                            if not state:
                                state["buf"] = p.grad.clone()
                            else:
                                state["buf"].mul_(group["momentum"]).add_(p.grad)
                            p.sub_(group["lr"] * state["buf"])
        return MomentumSGD

    results = [_minimize_squares(lib, momentum_sgd(base, lib.no_grad), [1.0, -2.0], fresh_state=True)
               for lib, base in ((tg, optim.Optimizer), (torch, torch.optim.Optimizer))]
    np.testing.assert_allclose(*results, rtol=1e-12)


def _minimize_squares(lib, make_optimizer, values, fresh_state=False):
    """The weights after three steps of make_optimizer on sum(w ** 2) from values."""
    w = lib.tensor(np.array(values), requires_grad=True)
    opt = make_optimizer([w])
    if fresh_state:
        assert opt.state[w] == {}
    for _ in range(3):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    return w.detach().numpy()


@pytest.mark.parametrize("make, make_torch", [
    (lambda p: optim.SGD(p, lr=0.1, foreach=False, fused=None), lambda p: torch.optim.SGD(p, lr=0.1, foreach=False)),
    (lambda p: optim.Adam(p, lr=0.1, foreach=True, capturable=False, fused=False),
     lambda p: torch.optim.Adam(p, lr=0.1, foreach=True)),
    (lambda p: optim.AdamW(p, lr=0.1, foreach=None), lambda p: torch.optim.AdamW(p, lr=0.1, foreach=None)),
    (lambda p: optim.RMSprop(p, lr=0.1, capturable=False, foreach=None), lambda p: torch.optim.RMSprop(p, lr=0.1)),
    (lambda p: optim.Adam(p, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True),
     lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)),
    (lambda p: optim.Adagrad(p, 0.1, 0.0, 0.0, 0.0, 1e-10, False, maximize=False, differentiable=False, fused=None),
     lambda p: torch.optim.Adagrad(p, 0.1, 0.0, 0.0, 0.0, 1e-10, False, maximize=False)),
    (lambda p: optim.Adamax(p, 0.1, (0.9, 0.999), 1e-8, 0.0, None, capturable=False),
     lambda p: torch.optim.Adamax(p, 0.1, (0.9, 0.999), 1e-8, 0.0, None)),
    (lambda p: optim.NAdam(p, 0.1, (0.9, 0.999), 1e-8, 0.5, 4e-3, True, foreach=False, capturable=False),
     lambda p: torch.optim.NAdam(p, 0.1, (0.9, 0.999), 1e-8, 0.5, 4e-3, True, foreach=False)),
    (lambda p: optim.RAdam(p, 0.1, (0.9, 0.999), 1e-8, 0.5, True, foreach=None, capturable=False),
     lambda p: torch.optim.RAdam(p, 0.1, (0.9, 0.999), 1e-8, 0.5, True, foreach=None)),
    (lambda p: optim.Adadelta(p, 1.0, 0.9, 1e-6, 0.0, None, capturable=False, maximize=False, differentiable=False),
     lambda p: torch.optim.Adadelta(p, 1.0, 0.9, 1e-6, 0.0, None, capturable=False, maximize=False)),
    (lambda p: optim.Rprop(p, 0.1, (0.5, 1.2), (1e-6, 50), capturable=False, foreach=None, differentiable=False),
     lambda p: torch.optim.Rprop(p, 0.1, (0.5, 1.2), (1e-6, 50), capturable=False, foreach=None)),
    (lambda p: optim.ASGD(p, 0.1, 1e-4, 0.75, 1.0, 0.0, None, False, differentiable=False, capturable=False),
     lambda p: torch.optim.ASGD(p, 0.1, 1e-4, 0.75, 1.0, 0.0, None, False, capturable=False)),
], ids=["sgd", "adam", "adamw", "rmsprop", "adam-decoupled", "adagrad", "adamax", "nadam", "radam", "adadelta", "rprop",
        "asgd"])
def test_torchs_implementation_flags_are_accepted_and_change_nothing(make, make_torch):
    results = [_minimize_squares(lib, build, [1.0, -2.0, 0.5]) for lib, build in ((tg, make), (torch, make_torch))]
    np.testing.assert_allclose(*results, rtol=1e-12)


def test_differentiable_updates_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="differentiable=True .* not available"):
        optim.Adam([tg.ones(2, requires_grad=True)], differentiable=True)


def test_a_torch_adam_state_with_decoupled_weight_decay_loads_as_decoupled():
    values = np.array([1.0, -2.0])
    results = []
    w, tw = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    opt = optim.Adam([w], lr=0.1, weight_decay=0.5)
    opt.load_state_dict(topt.state_dict())
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    for lib_opt, t in ((opt, w), (topt, tw)):
        lib_opt.zero_grad()
        (t ** 2).sum().backward()
        lib_opt.step()
        results.append(t.detach().numpy())
    np.testing.assert_allclose(*results, rtol=1e-12)


def test_a_torch_style_optimizers_tensor_state_survives_a_state_dict_round_trip_as_in_torch():
    results = []
    for lib, base in ((tg, optim.Optimizer), (torch, torch.optim.Optimizer)):
        class Momentum(base):
            def __init__(self, params):
                super().__init__(params, dict(lr=0.1, momentum=0.5))

            def step(self, closure=None):
                with lib.no_grad():
                    for group in self.param_groups:
                        for p in group["params"]:
                            state = self.state[p]
                            if "buf" not in state:
                                state["buf"], state["step"] = p.grad.clone(), lib.tensor(0.0)
                            else:
                                state["buf"].mul_(group["momentum"]).add_(p.grad)
                            state["step"] += 1
                            p.add_(state["buf"], alpha=-group["lr"])

        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        opt = Momentum([w])
        for step in range(4):
            if step == 2:  # a resume: a new optimizer from the old one's state
                saved = opt.state_dict()
                opt = Momentum([w])
                opt.load_state_dict(saved)
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        results.append((w.detach().numpy(), float(opt.state[w]["step"])))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    assert results[0][1] == results[1][1] == 4


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("size", [6, 3 * _PIECE])  # updated whole, and in pieces
@pytest.mark.parametrize("beta1", [0.0, 0.25, 0.5])
def test_adam_small_beta1_keeps_a_small_gradient_in_the_first_moment_as_torch(beta1, size, amsgrad):
    # torch's exp_avg.lerp_(grad, 1 - beta1) computes grad - (grad - exp_avg) * beta1 for a weight of
    # 0.5 or more, so with beta1 = 0 the moment is the gradient exactly; exp_avg + (grad - exp_avg) *
    # (1 - beta1) would round a gradient far smaller than the moment away (to 0 for 1e-9 after 1).
    # (beta1 is 0 or a power of two, so the product is exact and torch's fused multiply-add rounds
    # as the two operations here.)
    start = np.linspace(-1, 1, size, dtype=np.float32)
    p, q = tg.Tensor(start.copy(), requires_grad=True), torch.tensor(start.copy(), requires_grad=True)
    kwargs = dict(lr=0.1, betas=(beta1, 0.99), amsgrad=amsgrad)
    ours, theirs = optim.Adam([p], **kwargs), torch.optim.Adam([q], **kwargs)
    for scale in (1.0, 1e-9, -1e-7, 1.0, 1e-9):  # the first step takes the general update, the others not
        # a gradient that nearly cancels the moment, so the new moment is about scale * (1 - beta1)
        g = (theirs.state[q]["exp_avg"].numpy() * -(beta1 / (1 - beta1)) if theirs.state else 0) + np.float32(scale)
        g = np.broadcast_to(np.float32(g), size)
        _set_grads([p], [q], [g])
        ours.step()
        theirs.step()
        np.testing.assert_allclose(ours.state[p]["exp_avg"], theirs.state[q]["exp_avg"].numpy(), rtol=1e-6, atol=0)
        _assert_same_params([p], [q], f"gradient {scale}", rtol=1e-6, atol=1e-7)
