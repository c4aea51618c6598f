"""The schedulers added after StepLR, ExponentialLR, CosineAnnealingLR and ReduceLROnPlateau against
torch.optim.lr_scheduler: STEPS steps with three param groups, lrs (and OneCycleLR's momentum or betas)
equal every step, a state_dict round trip through save_state in the middle, resuming from last_epoch,
and errors for bad arguments."""
import functools

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import optim
from tinygrad_mnist.errors import ConfigError, DataError, DTypeError
from tinygrad_mnist.optim import lr_scheduler
from tinygrad_mnist.serialization import load_state, save_state

STEPS = 36
GROUP_LRS = (0.1, 0.02, 0.3)
OPTIMIZERS = {"sgd": (optim.SGD, torch.optim.SGD, {"momentum": 0.9}),
              "adam": (optim.Adam, torch.optim.Adam, {"betas": (0.8, 0.99)}),
              "rmsprop": (optim.RMSprop, torch.optim.RMSprop, {"momentum": 0.5})}


class Scaled:
    """A callable object: its attributes are in LambdaLR's state_dict (a plain function's are not)."""

    def __init__(self):
        self.scale = 1.0

    def __call__(self, epoch):
        return self.scale * 0.9 ** epoch


def _optimizer(lib_is_torch, params, kind, groups_extra):
    ours_cls, torch_cls, kwargs = OPTIMIZERS[kind]
    groups = [{"params": [p], "lr": lr, **groups_extra} for p, lr in zip(params, GROUP_LRS)]
    return (torch_cls if lib_is_torch else ours_cls)(groups, **kwargs)


def _hyper(opt):
    """What a scheduler may set in the param groups: lr and momentum or beta1."""
    return [(g["lr"], g.get("momentum"), g.get("betas", (None,))[0]) for g in opt.param_groups]


def _compare(make, tmp_path, kind="sgd", groups_extra=None, steps=STEPS):
    """steps of optimizer.step() then scheduler.step() in both frameworks, with a save_state round trip of
    the optimizer and schedulers (rebuilt by make) halfway; lrs and momenta must be equal at every step."""
    groups_extra = groups_extra or {}
    ours_params = [tg.Tensor(np.ones(3), requires_grad=True) for _ in GROUP_LRS]
    torch_params = [torch.ones(3, dtype=torch.float64, requires_grad=True) for _ in GROUP_LRS]

    def build(lib, params):
        opt = _optimizer(lib is torch.optim.lr_scheduler, params, kind, groups_extra)
        return opt, make(lib, opt)
    ours_opt, ours = build(lr_scheduler, ours_params)
    theirs_opt, theirs = build(torch.optim.lr_scheduler, torch_params)
    assert [s.get_last_lr() for s in ours] == [s.get_last_lr() for s in theirs]
    assert _hyper(ours_opt) == _hyper(theirs_opt)
    rng = np.random.default_rng(0)
    for step in range(steps):
        if step == steps // 2:
            save_state(tmp_path / "sched.npz", {"optimizer": ours_opt.state_dict(),
                                                "schedulers": [s.state_dict() for s in ours]})
            ours_opt, ours = build(lr_scheduler, ours_params)
            loaded = load_state(tmp_path / "sched.npz")
            ours_opt.load_state_dict(loaded["optimizer"])
            for s, state in zip(ours, loaded["schedulers"]):
                s.load_state_dict(state)
        for p, q in zip(ours_params, torch_params):
            grad = rng.standard_normal(3)
            p.grad, q.grad = tg.Tensor(grad), torch.tensor(grad)
        ours_opt.step()
        theirs_opt.step()
        for s, t in zip(ours, theirs):
            s.step()
            t.step()
        assert [s.get_last_lr() for s in ours] == [t.get_last_lr() for t in theirs], f"step {step}"
        assert _hyper(ours_opt) == _hyper(theirs_opt), f"step {step}"
    for p, q in zip(ours_params, torch_params):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def _seq_warmup_cosine(lib, opt):
    warmup = lib.LinearLR(opt, start_factor=0.1, total_iters=5)
    return [lib.SequentialLR(opt, [warmup, lib.CosineAnnealingLR(opt, T_max=20, eta_min=1e-3)], milestones=[5])]


def _seq_three(lib, opt):
    parts = [lib.ConstantLR(opt, factor=0.5, total_iters=3), lib.ExponentialLR(opt, gamma=0.9),
             lib.StepLR(opt, step_size=4, gamma=0.5)]
    return [lib.SequentialLR(opt, parts, milestones=[6, 14])]


def _seq_lambdas(lib, opt):
    parts = [lib.MultiplicativeLR(opt, lambda e: 0.95), lib.LambdaLR(opt, lambda e: 1 / (e + 1)),
             lib.PolynomialLR(opt, total_iters=8, power=2.0), lib.MultiStepLR(opt, [3, 5], gamma=0.5)]
    return [lib.SequentialLR(opt, parts, milestones=[5, 12, 22])]


def _seq_restarts(lib, opt):
    parts = [lib.LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=4),
             lib.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)]
    return [lib.SequentialLR(opt, parts, milestones=[4])]


def _seq_restarting_linear_and_constant(lib, opt):
    # SequentialLR restarts a scheduler that comes after a milestone from its closed form
    parts = [lib.StepLR(opt, step_size=2, gamma=0.5), lib.LinearLR(opt, start_factor=0.2, total_iters=6),
             lib.ConstantLR(opt, factor=0.3, total_iters=5)]
    return [lib.SequentialLR(opt, parts, milestones=[5, 15])]


def _seq_of_chain(lib, opt):
    chain = lib.ChainedScheduler([lib.ConstantLR(opt, factor=0.5, total_iters=4), lib.ExponentialLR(opt, 0.9)])
    return [lib.SequentialLR(opt, [chain, lib.StepLR(opt, step_size=3)], milestones=[10])]


CASES = {
    "multistep": lambda lib, opt: [lib.MultiStepLR(opt, milestones=[3, 10, 20], gamma=0.5)],
    "multistep-repeated-unsorted": lambda lib, opt: [lib.MultiStepLR(opt, milestones=(12, 4, 12, 0))],
    "lambda": lambda lib, opt: [lib.LambdaLR(opt, lambda e: 0.97 ** e)],
    "lambda-per-group": lambda lib, opt: [lib.LambdaLR(opt, [lambda e: 1 / (1 + e), lambda e: e % 4 + 1,
                                                            Scaled()])],
    "multiplicative": lambda lib, opt: [lib.MultiplicativeLR(opt, lambda e: 0.9 if e % 3 else 1.1)],
    "multiplicative-per-group": lambda lib, opt: [lib.MultiplicativeLR(opt, [lambda e: 0.95, Scaled(), Scaled()])],
    "linear": lambda lib, opt: [lib.LinearLR(opt)],
    "linear-decay": lambda lib, opt: [lib.LinearLR(opt, start_factor=1.0, end_factor=0.05, total_iters=25)],
    "linear-end0": lambda lib, opt: [lib.LinearLR(opt, start_factor=0.5, end_factor=0.0, total_iters=10)],
    "constant": lambda lib, opt: [lib.ConstantLR(opt)],
    "constant-factor": lambda lib, opt: [lib.ConstantLR(opt, factor=0.2, total_iters=12)],
    "constant-iters0": lambda lib, opt: [lib.ConstantLR(opt, factor=0.5, total_iters=0)],
    "polynomial": lambda lib, opt: [lib.PolynomialLR(opt)],
    "polynomial-power": lambda lib, opt: [lib.PolynomialLR(opt, total_iters=30, power=0.5)],
    "polynomial-square": lambda lib, opt: [lib.PolynomialLR(opt, total_iters=12, power=2.0)],
    "warm-restarts": lambda lib, opt: [lib.CosineAnnealingWarmRestarts(opt, T_0=5)],
    "warm-restarts-mult": lambda lib, opt: [lib.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=1e-3)],
    "sequential-warmup-cosine": _seq_warmup_cosine,
    "sequential-restarting-linear-constant": _seq_restarting_linear_and_constant,
    "sequential-three": _seq_three,
    "sequential-lambdas": _seq_lambdas,
    "sequential-restarts": _seq_restarts,
    # torch warns here: its SequentialLR steps the chain's schedulers in its constructor
    "sequential-of-chained": pytest.param(_seq_of_chain, marks=pytest.mark.filterwarnings("ignore:Detected call")),
    "chained": lambda lib, opt: [lib.ChainedScheduler([lib.LinearLR(opt, 0.2, total_iters=6),
                                                       lib.ExponentialLR(opt, gamma=0.95)])],
    "chained-optimizer": lambda lib, opt: [lib.ChainedScheduler([lib.MultiStepLR(opt, [5, 9]),
                                                                 lib.CosineAnnealingLR(opt, T_max=8)], opt)],
    "two-at-once": lambda lib, opt: [lib.ConstantLR(opt, factor=0.5, total_iters=7),
                                     lib.PolynomialLR(opt, total_iters=20, power=1.5)],
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_scheduler_equals_torch(make, tmp_path):
    _compare(make, tmp_path)


# torch takes a count of epochs as a float with a whole value (T_max=epochs * 0.5), and a cosine's
# T_max as any positive number
WHOLE_FLOATS = {
    "step": lambda lib, opt: [lib.StepLR(opt, step_size=3.0, gamma=0.5)],
    "multistep": lambda lib, opt: [lib.MultiStepLR(opt, milestones=[2.0, 7.0, 7], gamma=0.5)],
    "cosine": lambda lib, opt: [lib.CosineAnnealingLR(opt, T_max=8 * 0.5, eta_min=1e-3)],
    "cosine-fractional": lambda lib, opt: [lib.CosineAnnealingLR(opt, T_max=9 * 0.5)],
    "linear": lambda lib, opt: [lib.LinearLR(opt, start_factor=0.2, total_iters=6.0)],
    "constant": lambda lib, opt: [lib.ConstantLR(opt, factor=0.5, total_iters=4.0)],
    "polynomial": lambda lib, opt: [lib.PolynomialLR(opt, total_iters=12.0, power=2.0)],
}


@pytest.mark.parametrize("make", WHOLE_FLOATS.values(), ids=WHOLE_FLOATS.keys())
def test_schedulers_take_epoch_counts_as_whole_floats_like_torch(make, tmp_path):
    _compare(make, tmp_path)


ONE_CYCLE = {
    "default": dict(max_lr=0.5, total_steps=STEPS),
    "per-group-linear": dict(max_lr=[0.5, 0.1, 1.0], epochs=4, steps_per_epoch=9, anneal_strategy="linear",
                             pct_start=0.4, div_factor=10.0, final_div_factor=100.0),
    "three-phase": dict(max_lr=0.2, total_steps=STEPS, three_phase=True, base_momentum=[0.8, 0.7, 0.6],
                        max_momentum=0.9),
    "three-phase-linear": dict(max_lr=0.2, total_steps=STEPS + 5, three_phase=True, anneal_strategy="linear",
                               pct_start=0.25),
    "no-momentum-cycle": dict(max_lr=0.3, total_steps=STEPS, cycle_momentum=False),
    "pct0": dict(max_lr=0.3, total_steps=STEPS, pct_start=0.0),
}


@pytest.mark.parametrize("kind", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("kwargs", ONE_CYCLE.values(), ids=ONE_CYCLE.keys())
def test_one_cycle_lr_and_momentum_equal_torch(kwargs, kind, tmp_path):
    _compare(lambda lib, opt: [lib.OneCycleLR(opt, **kwargs)], tmp_path, kind=kind)


def test_one_cycle_in_a_sequence_equals_torch(tmp_path):
    def make(lib, opt):
        first = lib.OneCycleLR(opt, max_lr=0.4, total_steps=10, cycle_momentum=False)
        return [lib.SequentialLR(opt, [first, lib.ExponentialLR(opt, gamma=0.9)], milestones=[10])]
    _compare(make, tmp_path, kind="adam")


RESUMED = {
    "multistep": lambda lib, opt, e: [lib.MultiStepLR(opt, [10, 20], gamma=0.5, last_epoch=e)],
    "lambda": lambda lib, opt, e: [lib.LambdaLR(opt, lambda k: 0.9 ** k, last_epoch=e)],
    "multiplicative": lambda lib, opt, e: [lib.MultiplicativeLR(opt, lambda k: 0.95, last_epoch=e)],
    "linear": lambda lib, opt, e: [lib.LinearLR(opt, start_factor=0.2, total_iters=12, last_epoch=e)],
    "constant": lambda lib, opt, e: [lib.ConstantLR(opt, factor=0.3, total_iters=9, last_epoch=e)],
    "polynomial": lambda lib, opt, e: [lib.PolynomialLR(opt, total_iters=25, power=2.0, last_epoch=e)],
    "warm-restarts": lambda lib, opt, e: [lib.CosineAnnealingWarmRestarts(opt, T_0=4, last_epoch=e)],
    "warm-restarts-mult": lambda lib, opt, e: [lib.CosineAnnealingWarmRestarts(opt, 3, 2, 0.01, last_epoch=e)],
    "one-cycle": lambda lib, opt, e: [lib.OneCycleLR(opt, max_lr=0.5, total_steps=STEPS + e + 1, last_epoch=e)],
}
ONE_CYCLE_KEYS = {"max_lr": 0.5, "min_lr": 2e-6, "max_momentum": 0.95, "base_momentum": 0.85}


@pytest.mark.parametrize("last_epoch", [0, 5])
@pytest.mark.parametrize("make", RESUMED.values(), ids=RESUMED.keys())
def test_scheduler_resumes_from_last_epoch_like_torch(make, last_epoch, tmp_path):
    _compare(lambda lib, opt: make(lib, opt, last_epoch), tmp_path,
             groups_extra={"initial_lr": 0.2, **ONE_CYCLE_KEYS})


def test_warm_restarts_take_fractional_epochs_like_torch():
    epochs = [e + i / 4 for e in range(12) for i in range(4)] + [3.5, 0.0, 30.0, 2.25]
    ours_opt, theirs_opt = (_optimizer(is_torch, params, "sgd", {}) for is_torch, params in
                            [(False, [tg.zeros(2, requires_grad=True) for _ in GROUP_LRS]),
                             (True, [torch.zeros(2, requires_grad=True) for _ in GROUP_LRS])])
    for T_mult in (1, 2):
        ours, theirs = (lib.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=1e-3)
                        for lib, opt in ((lr_scheduler, ours_opt), (torch.optim.lr_scheduler, theirs_opt)))
        for epoch in epochs:
            ours.step(epoch)
            theirs.step(epoch)
            assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
            assert (ours.T_cur, ours.T_i, ours.last_epoch) == (theirs.T_cur, theirs.T_i, theirs.last_epoch)
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr()


def _sgd(lib_is_torch):
    zeros = torch.zeros if lib_is_torch else tg.zeros
    return _optimizer(lib_is_torch, [zeros(2, requires_grad=True) for _ in GROUP_LRS], "sgd", {})


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_lambda_state_dict_keeps_callable_objects_state_and_leaves_functions_out(cls):
    saved = []
    for lib in (lr_scheduler, torch.optim.lr_scheduler):
        scaled = Scaled()
        scaled.scale = 0.5
        lambdas = [lambda e: 1.0, scaled, functools.partial(pow, 0.9)]
        saved.append(getattr(lib, cls)(_sgd(lib is torch.optim.lr_scheduler), lambdas).state_dict()["lr_lambdas"])
    assert saved[0] == saved[1] == [None, {"scale": 0.5}, {}]
    fresh = getattr(lr_scheduler, cls)(_sgd(False), [lambda e: 1.0, Scaled(), Scaled()])
    fresh.load_state_dict({"lr_lambdas": saved[0]})
    assert [getattr(fn, "scale", None) for fn in fresh.lr_lambdas] == [None, 0.5, 1.0]
    with pytest.raises(DataError, match=rf"{cls}.load_state_dict: lr_lambdas has 2 entries, for 3 functions"):
        fresh.load_state_dict({"lr_lambdas": [None, None]})


def test_one_cycle_past_total_steps_raises_like_torch():
    for lib, params in ((lr_scheduler, [tg.zeros(2, requires_grad=True) for _ in GROUP_LRS]),
                        (torch.optim.lr_scheduler, [torch.zeros(2, requires_grad=True) for _ in GROUP_LRS])):
        opt = _optimizer(lib is torch.optim.lr_scheduler, params, "sgd", {})
        sched = lib.OneCycleLR(opt, max_lr=0.1, total_steps=4)
        for _ in range(4):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match=r"ried to step 5 times.*total steps is 4"):
            sched.step()


def test_composite_load_state_dict_checks_the_number_of_schedulers():
    opt = _optimizer(False, [tg.zeros(2, requires_grad=True) for _ in GROUP_LRS], "sgd", {})
    seq = lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt), lr_scheduler.StepLR(opt, 2)], [3])
    state = seq.state_dict()
    state["_schedulers"] = state["_schedulers"][:1]
    with pytest.raises(DataError, match=r"SequentialLR.load_state_dict: 1 scheduler states for 2 schedulers"):
        seq.load_state_dict(state)


# (make(lib, optimizer, other_optimizer), our error, its message, what torch raises: None if it takes it)
BAD = [
    (lambda lib, o, _: lib.MultiStepLR(o, milestones=[2, 2.5]), DTypeError, r"milestones\[1\] must be an integer",
     None),
    (lambda lib, o, _: lib.MultiStepLR(o, milestones=[-1]), ConfigError, r"milestones\[0\] must be >= 0, got -1",
     None),
    (lambda lib, o, _: lib.MultiStepLR(o, milestones=[2], gamma=0), ConfigError, r"gamma must be > 0, got 0",
     None),
    (lambda lib, o, _: lib.LambdaLR(o, [lambda e: 1.0] * 2), ConfigError,
     r"LambdaLR: expected 1 lr_lambdas \(one per param group\), got 2", ValueError),
    (lambda lib, o, _: lib.LambdaLR(o, 0.5), DTypeError, r"LambdaLR: lr_lambda must be callable, got float",
     TypeError),
    (lambda lib, o, _: lib.MultiplicativeLR(o, [3]), DTypeError, r"lr_lambda must be callable, got int",
     TypeError),
    (lambda lib, o, _: lib.ConstantLR(o, factor=1.5), ConfigError,
     r"ConstantLR: factor must be in \(0, 1\], got 1.5", ValueError),
    (lambda lib, o, _: lib.ConstantLR(o, factor=0.5, total_iters=-1), ConfigError, r"total_iters must be >= 0",
     None),
    (lambda lib, o, _: lib.LinearLR(o, start_factor=0), ConfigError, r"start_factor must be in \(0, 1\], got 0",
     ValueError),
    (lambda lib, o, _: lib.LinearLR(o, end_factor=1.2), ConfigError, r"end_factor must be in \[0, 1\], got 1.2",
     ValueError),
    (lambda lib, o, _: lib.LinearLR(o, total_iters=0), ConfigError, r"LinearLR: total_iters must be >= 1, got 0",
     None),
    (lambda lib, o, _: lib.PolynomialLR(o, total_iters=2.5), DTypeError, r"total_iters must be an integer", None),
    (lambda lib, o, _: lib.PolynomialLR(o, power=-1), ConfigError, r"power must be >= 0, got -1", None),
    (lambda lib, o, _: lib.CosineAnnealingWarmRestarts(o, T_0=0), ConfigError, r"T_0 must be >= 1, got 0",
     ValueError),
    (lambda lib, o, _: lib.CosineAnnealingWarmRestarts(o, T_0=2.5), ConfigError, r"T_0 must be an integer",
     ValueError),
    (lambda lib, o, _: lib.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ConfigError, r"T_mult must be >= 1",
     ValueError),
    (lambda lib, o, _: lib.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"), ConfigError,
     r"eta_min must be a number >= 0, got '0'", ValueError),
    (lambda lib, o, _: lib.CosineAnnealingWarmRestarts(o, T_0=2).step(-1), ConfigError,
     r"step: epoch must be >= 0, got -1", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1), ConfigError,
     r"OneCycleLR: pass total_steps, or both epochs and steps_per_epoch", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=0), ConfigError,
     r"total_steps must be >= 1, got 0", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=1.5), ConfigError,
     r"steps_per_epoch must be an integer", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1), ConfigError,
     r"pct_start must be a float in \[0, 1\], got 1", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=0.1), ConfigError,
     r"pct_start \* total_steps must not be 1", ZeroDivisionError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ConfigError,
     r"anneal_strategy must be 'cos' or 'linear', got 'exp'", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10), ConfigError,
     r"max_lr needs one value per param group \(1\), got 2", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, max_momentum=[0.9, 0.8]), ConfigError,
     r"max_momentum needs one value per param group \(1\), got 2", ValueError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, div_factor=0), ConfigError,
     r"div_factor must be > 0, got 0", ZeroDivisionError),
    (lambda lib, o, _: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, last_epoch=3), ConfigError,
     r"resuming at last_epoch=3 needs 'initial_lr' in param_groups\[0\]", KeyError),
    (lambda lib, o, _: lib.OneCycleLR(object(), max_lr=0.1, total_steps=10), DTypeError,
     r"OneCycleLR: expected an Optimizer, got object", TypeError),
    (lambda lib, o, _: lib.SequentialLR(o, [], milestones=[]), ConfigError,
     r"SequentialLR: expected at least one scheduler", ValueError),
    (lambda lib, o, _: lib.SequentialLR(o, [lib.ConstantLR(o), lib.ExponentialLR(o, 0.9)], milestones=[]),
     ConfigError, r"expected one milestone fewer than schedulers \(2\), got 0", ValueError),
    (lambda lib, o, _: lib.SequentialLR(o, [lib.ConstantLR(o), lib.ReduceLROnPlateau(o)], milestones=[3]),
     ConfigError, r"SequentialLR: schedulers\[1\] is a ReduceLROnPlateau", ValueError),
    (lambda lib, o, _: lib.SequentialLR(o, [lib.ConstantLR(o), "step"], milestones=[3]), DTypeError,
     r"schedulers\[1\] must be a learning-rate scheduler, got str", TypeError),
    (lambda lib, o, other: lib.SequentialLR(o, [lib.ConstantLR(o), lib.ConstantLR(other)], milestones=[3]),
     ConfigError, r"schedulers\[1\] steps another optimizer", ValueError),
    (lambda lib, o, _: lib.SequentialLR(o, [lib.ConstantLR(o)] * 3, milestones=[5, 5]), ConfigError,
     r"milestones must be increasing, got \[5, 5\]", None),
    (lambda lib, o, _: lib.SequentialLR(o, [lib.ConstantLR(o), lib.ChainedScheduler([lib.ConstantLR(o)])], [3]),
     ConfigError, r"schedulers\[1\] is a ChainedScheduler, which cannot start afresh at a milestone", None),
    (lambda lib, o, _: lib.ChainedScheduler([]), ConfigError, r"ChainedScheduler: expected at least one scheduler",
     ValueError),
    (lambda lib, o, other: lib.ChainedScheduler([lib.ConstantLR(o), lib.ConstantLR(other)]), ConfigError,
     r"ChainedScheduler: schedulers\[1\] steps another optimizer", ValueError),
]


@pytest.mark.parametrize("make, error, message, torch_error", BAD)
def test_bad_scheduler_arguments_are_named(make, error, message, torch_error):
    with pytest.raises(error, match=message):
        make(lr_scheduler, optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.1),
             optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.1))
    theirs = (torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1),
              torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1))
    if torch_error is None:  # torch takes it, and fails later or quietly does something meaningless
        make(torch.optim.lr_scheduler, *theirs)
    else:
        with pytest.raises(torch_error):
            make(torch.optim.lr_scheduler, *theirs)


def test_one_cycle_needs_momentum_or_betas_to_cycle():
    class NoMomentum(optim.SGD):
        def __init__(self, params):
            super().__init__(params, lr=0.1)
            del self.defaults["momentum"]
    opt = NoMomentum([tg.zeros(2, requires_grad=True)])
    with pytest.raises(ConfigError, match=r"cycle_momentum=True needs an optimizer with 'momentum' or 'betas'"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5, cycle_momentum=False)


# One scheduler of each class that steps on its own (SequentialLR and ChainedScheduler combine these).
EACH = {
    "StepLR": lambda lib, opt: lib.StepLR(opt, step_size=3, gamma=0.5),
    "MultiStepLR": lambda lib, opt: lib.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5),
    "ExponentialLR": lambda lib, opt: lib.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=6, eta_min=1e-3),
    "LambdaLR": lambda lib, opt: lib.LambdaLR(opt, lambda e: 0.9 ** e),
    "MultiplicativeLR": lambda lib, opt: lib.MultiplicativeLR(opt, lambda e: 0.8 if e % 2 else 1.1),
    "LinearLR": lambda lib, opt: lib.LinearLR(opt, start_factor=0.2, total_iters=6),
    "ConstantLR": lambda lib, opt: lib.ConstantLR(opt, factor=0.5, total_iters=4),
    "PolynomialLR": lambda lib, opt: lib.PolynomialLR(opt, total_iters=8, power=2.0),
    "OneCycleLR": lambda lib, opt: lib.OneCycleLR(opt, max_lr=0.5, total_steps=30),
}


@pytest.mark.parametrize("make", EACH.values(), ids=EACH.keys())
def test_step_with_an_epoch_warns_and_goes_there_like_torch(make):
    """torch's deprecated step(epoch): a UserWarning, then the closed form at epoch where the
    scheduler has one, else get_lr() with last_epoch set to epoch."""
    ours, theirs = make(lr_scheduler, _sgd(False)), make(torch.optim.lr_scheduler, _sgd(True))
    for epoch in [1, 2, 3, 3, 7, 4, None, None, 12, 0, None, 5]:
        for sched in (ours, theirs):
            sched.optimizer.step()
            if epoch is None:
                sched.step()
            else:
                with pytest.warns(UserWarning, match=r"The epoch parameter in `scheduler.step\(\)` was not necessary"):
                    sched.step(epoch)
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
        assert _hyper(ours.optimizer) == _hyper(theirs.optimizer), f"epoch {epoch}"
        assert ours.last_epoch == theirs.last_epoch


def test_step_with_an_epoch_is_refused_by_composites_as_by_torch():
    for lib, opt in ((lr_scheduler, _sgd(False)), (torch.optim.lr_scheduler, _sgd(True))):
        chained = lib.ChainedScheduler([lib.ConstantLR(opt), lib.ExponentialLR(opt, 0.9)])
        with pytest.raises(TypeError):
            chained.step(3)


def test_reduce_lr_on_plateau_step_with_an_epoch_warns_and_sets_last_epoch_like_torch():
    ours = lr_scheduler.ReduceLROnPlateau(_sgd(False), patience=1)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_sgd(True), patience=1)
    for metric, epoch in [(1.0, 3), (1.0, None), (1.0, 10), (0.5, None), (0.6, 2), (0.6, None)]:
        for sched in (ours, theirs):
            if epoch is None:
                sched.step(metric)
            else:
                with pytest.warns(UserWarning, match=r"The epoch parameter"):
                    sched.step(metric, epoch)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.last_epoch == theirs.last_epoch


def test_step_with_a_negative_epoch_is_named():
    sched = lr_scheduler.StepLR(_sgd(False), step_size=2)
    with pytest.warns(UserWarning), pytest.raises(ConfigError, match=r"StepLR.step: epoch must be >= 0, got -2"):
        sched.step(-2)


LOADABLE = {**EACH,
            "CosineAnnealingWarmRestarts": lambda lib, opt: lib.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2),
            "SequentialLR": lambda lib, opt: lib.SequentialLR(opt, [lib.LinearLR(opt, 0.5, total_iters=3),
                                                                    lib.ExponentialLR(opt, 0.9)], [3]),
            "ChainedScheduler": lambda lib, opt: lib.ChainedScheduler([lib.ConstantLR(opt, 0.5, 4),
                                                                       lib.StepLR(opt, 2)]),
            "ReduceLROnPlateau": lambda lib, opt: lib.ReduceLROnPlateau(opt, mode="max", patience=1, cooldown=1)}


def _step(sched, step):
    sched.optimizer.step()
    if isinstance(sched, (lr_scheduler.ReduceLROnPlateau, torch.optim.lr_scheduler.ReduceLROnPlateau)):
        sched.step(-abs(step - 3))  # better until step 3, then worse
    else:
        sched.step()


@pytest.mark.parametrize("make", LOADABLE.values(), ids=LOADABLE.keys())
def test_a_torch_schedulers_state_dict_loads_and_the_schedule_goes_on_as_in_torch(make):
    theirs = make(torch.optim.lr_scheduler, _sgd(True))
    for step in range(5):
        _step(theirs, step)
    opt = _sgd(False)
    ours = make(lr_scheduler, opt)
    opt.load_state_dict(theirs.optimizer.state_dict())
    ours.load_state_dict(theirs.state_dict())
    assert ours.get_last_lr() == theirs.get_last_lr()
    for step in range(5, 15):
        _step(ours, step)
        _step(theirs, step)
        assert ours.get_last_lr() == theirs.get_last_lr(), f"step {step}"
        assert _hyper(ours.optimizer) == _hyper(theirs.optimizer), f"step {step}"


@pytest.mark.parametrize("make", LOADABLE.values(), ids=LOADABLE.keys())
def test_our_scheduler_state_dict_round_trips_and_unknown_keys_are_refused(make):
    first = make(lr_scheduler, _sgd(False))
    for step in range(5):
        _step(first, step)
    second = make(lr_scheduler, _sgd(False))
    second.optimizer.load_state_dict(first.optimizer.state_dict())
    second.load_state_dict(first.state_dict())
    for step in range(5, 10):
        _step(first, step)
        _step(second, step)
        assert first.get_last_lr() == second.get_last_lr()
    name = type(second).__name__
    with pytest.raises(DataError, match=rf"{name}.load_state_dict: unexpected keys \['bogus'\]"):
        second.load_state_dict({**second.state_dict(), "bogus": 1})


def test_the_old_base_class_name_is_kept_as_torch_keeps_it():
    for lib, opt in ((lr_scheduler, _sgd(False)), (torch.optim.lr_scheduler, _sgd(True))):
        assert lib._LRScheduler.__name__ == "_LRScheduler" and issubclass(lib._LRScheduler, lib.LRScheduler)

        class Halving(lib._LRScheduler):  # the way older code writes its own scheduler
            def get_lr(self):
                return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
        sched = Halving(opt)
        opt.step()
        sched.step()
        assert sched.get_last_lr() == [lr / 2 for lr in GROUP_LRS]
