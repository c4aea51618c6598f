"""LayerNorm, BatchNorm1d and normalize (functional forms and modules) against torch: values,
gradients, running statistics, second order, state_dicts, reprs and refusals."""
import math

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.errors import ConfigError, DTypeError, ShapeError
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch

TF = torch.nn.functional
DTYPES = ["float32", "float64"]
# torch.testing's float32 tolerances, loosened for the longer sums of a normalization's backward
TOLERANCES = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")


def randn(*shape, dtype="float64", seed=0, scale=1.0, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def close(ours, theirs, dtype, what=""):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = ours.data if isinstance(ours, tg.Tensor) else np.asarray(ours)
    assert ours.dtype == theirs.dtype, (what, ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours, theirs, err_msg=what, **TOLERANCES[dtype])


# ---- layer_norm ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, normalized_shape", [((6, 5), (5,)), ((3, 4, 5), (5,)), ((3, 4, 5), (4, 5)),
                                                       ((5,), (5,)), ((2, 3, 1), (3, 1))])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_layer_norm_values_and_gradients_match_torch(dtype, x_shape, normalized_shape, affine):
    arrays = [randn(*x_shape, dtype=dtype, scale=3, shift=1)]
    if affine in ("both", "weight"):
        arrays.append(randn(*normalized_shape, dtype=dtype, seed=1))
    if affine in ("both", "bias"):
        arrays.append(randn(*normalized_shape, dtype=dtype, seed=2))

    def call(lib_fn):
        def fn(x, *params):
            weight = params[0] if affine in ("both", "weight") else None
            bias = params[-1] if affine in ("both", "bias") else None
            return lib_fn(x, list(normalized_shape), weight, bias, eps=1e-5)
        return fn
    assert_matches_torch(call(F.layer_norm), call(TF.layer_norm), *arrays, **TOLERANCES[dtype])


@pytest.mark.parametrize("normalized_shape", [(4,), (3, 4)])
def test_layer_norm_passes_gradcheck(normalized_shape):
    x = tg.tensor(randn(2, 3, 4), requires_grad=True)
    w = tg.tensor(randn(*normalized_shape, seed=1), requires_grad=True)
    b = tg.tensor(randn(*normalized_shape, seed=2), requires_grad=True)
    assert tg.gradcheck(lambda x, w, b: F.layer_norm(x, normalized_shape, w, b), [x, w, b])
    assert tg.gradcheck(lambda x: F.layer_norm(x, normalized_shape, eps=0.1), [x])


def test_layer_norm_is_one_node_with_an_array_backward_that_keeps_float32():
    x = tg.tensor(randn(4, 5, dtype="float32"), requires_grad=True)
    ln = nn.LayerNorm(5)
    out = ln(x)
    assert out.dtype == tg.float32 and type(out._ctx).__name__ == "NativeLayerNorm"
    assert all(e is x or e is ln.weight or e is ln.bias for e in out._ctx.next)
    out.sum().backward()
    assert x.grad.dtype == ln.weight.grad.dtype == ln.bias.grad.dtype == tg.float32


@pytest.mark.parametrize("normalized_shape", [(4,), (3, 4)])
def test_layer_norm_second_order_matches_torch(normalized_shape):
    arrays = [randn(2, 3, 4, scale=2), randn(*normalized_shape, seed=1), randn(*normalized_shape, seed=2)]
    w1, w2 = randn(2, 3, 4, seed=3), randn(2, 3, 4, seed=4)
    vs = [randn(*a.shape, seed=5 + i) for i, a in enumerate(arrays)]
    results = []
    for lib, fn in ((tg, F.layer_norm), (torch, TF.layer_norm)):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(leaves[0], list(normalized_shape), leaves[1], leaves[2])
        loss = (out * lib.tensor(w1)).sum() + (out * out * lib.tensor(w2)).sum()
        grads = lib.autograd.grad(loss, leaves, create_graph=True) if lib is torch else \
            tg.grad(loss, leaves, create_graph=True)
        dot = sum((g * lib.tensor(v)).sum() for g, v in zip(grads, vs))
        hvp = torch.autograd.grad(dot, leaves) if lib is torch else tg.grad(dot, leaves)
        results.append([g.detach().numpy() for g in grads] + [h.detach().numpy() for h in hvp])
    for i, (ours, theirs) in enumerate(zip(*results)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11, err_msg=f"result {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, x_shape", [(5, (4, 5)), ((3, 5), (2, 3, 5))])
def test_layer_norm_module_trains_as_torchs(dtype, shape, x_shape):
    ours = nn.LayerNorm(shape, eps=1e-3, dtype=getattr(tg, dtype))
    theirs = torch.nn.LayerNorm(shape, eps=1e-3, dtype=getattr(torch, dtype))
    opt, topt = tg.optim.SGD(ours.parameters(), lr=0.5), torch.optim.SGD(theirs.parameters(), lr=0.5)
    for step in range(3):
        x, target = randn(*x_shape, dtype=dtype, seed=step, scale=2), randn(*x_shape, dtype=dtype, seed=10 + step)
        xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = ours(xo), theirs(xt)
        close(out, tout, dtype, f"output of step {step}")
        ((out - tg.tensor(target)) ** 2).sum().backward()
        ((tout - torch.tensor(target)) ** 2).sum().backward()
        close(xo.grad, xt.grad, dtype, f"input gradient of step {step}")
        opt.step(), topt.step()
        opt.zero_grad(), topt.zero_grad()
    close(ours.weight, theirs.weight, dtype, "weight")
    close(ours.bias, theirs.bias, dtype, "bias")


@pytest.mark.parametrize("args", [(5,), ((3, 4),), ([4, 5], 1e-3, True, False), (5, 1e-5, False)])
def test_layer_norm_module_has_torchs_parameters_repr_and_state_dict(args):
    ours, theirs = nn.LayerNorm(*args), torch.nn.LayerNorm(*args)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy())
    assert (ours.bias is None) == (theirs.bias is None) and (ours.weight is None) == (theirs.weight is None)


def test_layer_norm_module_reset_parameters_sets_ones_and_zeros():
    ln = nn.LayerNorm(3)
    with tg.no_grad():
        ln.weight.fill_(5), ln.bias.fill_(2)
    ln.reset_parameters()
    assert ln.weight.tolist() == [1, 1, 1] and ln.bias.tolist() == [0, 0, 0]


@pytest.mark.parametrize("call, error, match, torch_error", [
    (lambda lib, F: F.layer_norm(lib.ones(4, 3), [4]), ShapeError,
     r"layer_norm: given normalized_shape=\(4,\), expected an input of shape \(\*, 4\), got \(4, 3\)", RuntimeError),
    (lambda lib, F: F.layer_norm(lib.ones(3), [2, 3]), ShapeError, r"expected an input of shape \(\*, 2, 3\)",
     RuntimeError),
    (lambda lib, F: F.layer_norm(lib.ones(4, 3), []), ShapeError, "normalized_shape must have at least one element",
     RuntimeError),
    (lambda lib, F: F.layer_norm(lib.ones(4, 3), [3], lib.ones(4)), ShapeError,
     r"layer_norm: weight must have shape \(3,\) for input \(4, 3\), got \(4,\)", RuntimeError),
    (lambda lib, F: F.layer_norm(lib.ones(4, 3), [3], None, lib.ones(3, 1)), ShapeError,
     r"bias must have shape \(3,\)", RuntimeError),
    (lambda lib, F: F.layer_norm(lib.ones(4, 3), [3], lib.ones(3, dtype=lib.float64)), DTypeError,
     "layer_norm: weight is float64 but the input float32", RuntimeError),
    (lambda lib, F: F.layer_norm(lib.ones(4, 3, dtype=lib.int64), [3]), DTypeError,
     "layer_norm: input must be floating point, got dtype int64", NotImplementedError),
    (lambda lib, F: F.layer_norm(lib.ones(4, 3), [3.0]), DTypeError, "normalized_shape must be an int or a tuple",
     TypeError),
    (lambda lib, F: lib.nn.LayerNorm(-1), ConfigError, "LayerNorm: normalized_shape must not be negative",
     RuntimeError),
])
def test_layer_norm_refuses_what_torch_refuses(call, error, match, torch_error):
    with pytest.raises(torch_error):
        call(torch, TF)
    with pytest.raises(error, match=match):
        call(tg, F)


def test_layer_norm_refuses_a_negative_eps():
    with pytest.raises(ConfigError, match="layer_norm: eps must be non-negative, got -1"):
        F.layer_norm(tg.ones(2, 3), [3], eps=-1)


# ---- batch_norm ----------------------------------------------------------------------------------

def run_batch_norm_steps(dtype, x_shape, steps=4, momentum=0.1, affine=True, track=True, bias=True):
    """Train a BatchNorm1d a few SGD steps in both libraries on the same batches, comparing outputs,
    every gradient and the running statistics after each step, then compare eval outputs and
    gradients. Returns both modules."""
    kwargs = dict(momentum=momentum, affine=affine, track_running_stats=track, bias=bias)
    ours = nn.BatchNorm1d(x_shape[1], dtype=getattr(tg, dtype), **kwargs)
    theirs = torch.nn.BatchNorm1d(x_shape[1], dtype=getattr(torch, dtype), **kwargs)
    params, tparams = list(ours.parameters()), list(theirs.parameters())
    if params:
        with tg.no_grad(), torch.no_grad():  # weights other than ones and zeros
            for i, (p, t) in enumerate(zip(params, tparams)):
                p.copy_(tg.tensor(randn(*p.shape, dtype=dtype, seed=20 + i)))
                t.copy_(torch.tensor(randn(*p.shape, dtype=dtype, seed=20 + i)))
        opt, topt = tg.optim.SGD(params, lr=0.1), torch.optim.SGD(tparams, lr=0.1)
    for step in range(steps):
        x = randn(*x_shape, dtype=dtype, seed=step, scale=2 + step, shift=step - 1)
        target = randn(*x_shape, dtype=dtype, seed=10 + step)
        xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = ours(xo), theirs(xt)
        close(out, tout, dtype, f"output of step {step}")
        ((out - tg.tensor(target)) ** 2 * tg.tensor(target)).sum().backward()
        ((tout - torch.tensor(target)) ** 2 * torch.tensor(target)).sum().backward()
        close(xo.grad, xt.grad, dtype, f"input gradient of step {step}")
        for (name, p), t in zip(ours.named_parameters(), tparams):
            close(p.grad, t.grad, dtype, f"{name} gradient of step {step}")
        for name, b in ours.named_buffers():
            close(b, theirs.get_buffer(name), "float64" if name == "num_batches_tracked" else dtype,
                  f"{name} after step {step}")
        if params:
            opt.step(), topt.step()
            opt.zero_grad(), topt.zero_grad()
    ours.eval(), theirs.eval()
    x = randn(*x_shape, dtype=dtype, seed=99, scale=3)
    xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xo), theirs(xt)
    close(out, tout, dtype, "eval output")
    g = randn(*x_shape, dtype=dtype, seed=98)
    out.backward(tg.tensor(g)), tout.backward(torch.tensor(g))
    close(xo.grad, xt.grad, dtype, "eval input gradient")
    for (name, p), t in zip(ours.named_parameters(), tparams):
        close(p.grad, t.grad, dtype, f"eval {name} gradient")
    for name, b in ours.named_buffers():  # unchanged by eval
        close(b, theirs.get_buffer(name), "float64" if name == "num_batches_tracked" else dtype, f"eval {name}")
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(8, 3), (4, 3, 5), (2, 3, 1)])
def test_batch_norm_trains_and_evaluates_as_torchs(dtype, x_shape):
    ours, _ = run_batch_norm_steps(dtype, x_shape)
    assert ours.num_batches_tracked.item() == 4 and ours.running_mean.dtype == getattr(tg, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(8, 3), (4, 3, 5)])
def test_batch_norm_with_momentum_none_keeps_the_cumulative_average_as_torch(dtype, x_shape):
    run_batch_norm_steps(dtype, x_shape, momentum=None)


@pytest.mark.parametrize("options", [dict(affine=False), dict(track=False), dict(affine=False, track=False),
                                     dict(bias=False), dict(momentum=0.5)])
def test_batch_norm_options_train_and_evaluate_as_torchs(options):
    ours, theirs = run_batch_norm_steps("float64", (6, 4), **options)
    assert repr(ours) == repr(theirs)


def test_batch_norm_running_variance_is_the_unbiased_one_and_normalization_the_biased_one():
    x = randn(5, 2, scale=3)
    bn = nn.BatchNorm1d(2, momentum=1.0, dtype=tg.float64)
    out = bn(tg.tensor(x))
    np.testing.assert_allclose(bn.running_var.data, x.var(axis=0, ddof=1))
    np.testing.assert_allclose(out.data, (x - x.mean(0)) / np.sqrt(x.var(axis=0) + 1e-5))


def test_batch_norm_updates_its_buffers_in_place_without_a_graph():
    bn = nn.BatchNorm1d(3)
    arrays = [b.data for b in bn.buffers()]
    x = tg.tensor(randn(4, 3, dtype="float32"), requires_grad=True)
    bn(x).sum().backward()
    assert all(a is b.data for a, b in zip(arrays, bn.buffers()))  # the same arrays, changed
    assert not any(b.requires_grad for b in bn.buffers()) and bn.running_mean.data.any()


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_eval_graph_gives_the_gradient_of_the_running_statistics_it_used_after_they_change(create_graph):
    # torch's backward reads the buffers as they are then, so its gradient here is that of the new ones
    bn = nn.BatchNorm1d(3, dtype=tg.float64)
    bn(tg.tensor(randn(8, 3, scale=3)))
    mean, var = bn.running_mean.data.copy(), bn.running_var.data.copy()
    x = tg.tensor(randn(4, 3, seed=1), requires_grad=True)
    w = tg.tensor(randn(4, 3, seed=2))
    out = bn.eval()(x)
    bn.train()(tg.tensor(randn(4, 3, seed=3, scale=10)))  # changes the buffers in place
    assert not np.allclose(bn.running_mean.data, mean)
    (g,) = tg.grad((out * out * w).sum(), [x], create_graph=create_graph)
    xhat = (x.data - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(g.data, 2 * w.data * xhat / np.sqrt(var + 1e-5), rtol=1e-12)


@pytest.mark.parametrize("x_shape", [(4, 3), (3, 2, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_passes_gradcheck(x_shape, training):
    channels = x_shape[1]
    x = tg.tensor(randn(*x_shape, scale=2), requires_grad=True)
    w = tg.tensor(randn(channels, seed=1), requires_grad=True)
    b = tg.tensor(randn(channels, seed=2), requires_grad=True)
    mean, var = tg.tensor(randn(channels, seed=3)), tg.tensor(randn(channels, seed=4) ** 2 + 0.5)
    # no running statistics in training, so that gradcheck's repeated calls all see the same function
    stats = (None, None) if training else (mean, var)
    assert tg.gradcheck(lambda x, w, b: F.batch_norm(x, *stats, w, b, training=training), [x, w, b])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_second_order_matches_torch(training):
    arrays = [randn(4, 3, 2, scale=2), randn(3, seed=1), randn(3, seed=2)]
    mean, var = randn(3, seed=3), randn(3, seed=4) ** 2 + 0.5
    w1, w2 = randn(4, 3, 2, seed=5), randn(4, 3, 2, seed=6)
    vs = [randn(*a.shape, seed=7 + i) for i, a in enumerate(arrays)]
    results = []
    for lib, fn, grad in ((tg, F.batch_norm, tg.grad), (torch, TF.batch_norm, torch.autograd.grad)):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(leaves[0], lib.tensor(mean), lib.tensor(var), leaves[1], leaves[2], training=training)
        loss = (out * lib.tensor(w1)).sum() + (out * out * lib.tensor(w2)).sum()
        grads = grad(loss, leaves, create_graph=True)
        hvp = grad(sum((g * lib.tensor(v)).sum() for g, v in zip(grads, vs)), leaves)
        results.append([g.detach().numpy() for g in grads] + [h.detach().numpy() for h in hvp])
    for i, (ours, theirs) in enumerate(zip(*results)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11, err_msg=f"result {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_matches_torch_on_more_dims_and_without_affine(dtype, training):
    x = randn(3, 2, 4, 2, dtype=dtype, scale=2)
    mean, var = randn(2, dtype=dtype, seed=1), randn(2, dtype=dtype, seed=2) ** 2 + 0.1
    ours_stats, theirs_stats = (tg.tensor(mean), tg.tensor(var)), (torch.tensor(mean), torch.tensor(var))
    assert_matches_torch(lambda x: F.batch_norm(x, *ours_stats, training=training, momentum=0.3, eps=1e-3),
                         lambda x: TF.batch_norm(x, *theirs_stats, training=training, momentum=0.3, eps=1e-3),
                         x, **TOLERANCES[dtype])
    close(ours_stats[0], theirs_stats[0], dtype, "running_mean")
    close(ours_stats[1], theirs_stats[1], dtype, "running_var")


def test_batch_norm_of_an_empty_batch_is_empty_and_leaves_the_running_statistics_as_torch():
    bn, tbn = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    out, tout = bn(tg.zeros(0, 3)), tbn(torch.zeros(0, 3))
    assert out.shape == tuple(tout.shape) == (0, 3)
    close(bn.running_mean, tbn.running_mean, "float32"), close(bn.running_var, tbn.running_var, "float32")


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("normalized_shape, x_shape", [(0, (2, 0)), ((2, 0), (3, 2, 0)), (4, (0, 4))])
def test_layer_norm_over_no_elements_is_empty_without_warnings_as_torch(normalized_shape, x_shape):
    # NumPy's mean of an empty slice warned ("Mean of empty slice", "Degrees of freedom <= 0")
    for lib in (tg, torch):
        x = lib.zeros(*x_shape, requires_grad=True)
        ln = lib.nn.LayerNorm(normalized_shape)
        out = ln(x)
        out.sum().backward()
        assert tuple(out.shape) == tuple(x.grad.shape) == x_shape and ln.weight.grad.abs().sum().item() == 0


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_state_dict_round_trips_with_torch(momentum):
    theirs = torch.nn.BatchNorm1d(4, momentum=momentum)
    for step in range(3):
        theirs(torch.tensor(randn(5, 4, dtype="float32", seed=step, scale=2)))
    ours = nn.BatchNorm1d(4, momentum=momentum)
    ours.load_state_dict(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    for name, value in theirs.state_dict().items():
        assert ours.state_dict()[name].dtype == value.numpy().dtype
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy(), err_msg=name)
    x = randn(6, 4, dtype="float32", seed=9)
    out, tout = ours(tg.tensor(x)), theirs(torch.tensor(x))  # training: one more update each
    close(out, tout, "float32")
    back = torch.nn.BatchNorm1d(4, momentum=momentum)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for name, value in theirs.state_dict().items():
        close(ours.state_dict()[name], back.state_dict()[name], "float32", name)
        close(ours.state_dict()[name], value, "float32", name)
    assert back.num_batches_tracked.item() == 4


def test_a_state_dict_without_num_batches_tracked_loads_keeping_the_count_as_torchs_older_ones_do():
    models = {lib: lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)) for lib in (tg, torch)}
    saved = {k: v.detach().numpy().copy() for k, v in models[torch].state_dict().items()
             if not k.endswith("num_batches_tracked")}
    for lib, model in models.items():
        model[1].num_batches_tracked += 2
        keys = model.load_state_dict({k: torch.from_numpy(v) if lib is torch else v for k, v in saved.items()})
        assert keys.missing_keys == keys.unexpected_keys == []
        assert int(model[1].num_batches_tracked.item()) == 2
    np.testing.assert_array_equal(models[tg][1].running_var.data, saved["1.running_var"])
    with pytest.raises(ShapeError, match="missing keys: 1.running_mean"):  # the other entries are still needed
        nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).load_state_dict(
            {k: v for k, v in saved.items() if k != "1.running_mean"})


def test_batch_norm_reset_running_stats_and_reset_parameters_as_torch():
    bn = nn.BatchNorm1d(2)
    bn(tg.tensor(randn(4, 2, dtype="float32")))
    with tg.no_grad():
        bn.weight.fill_(3)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0, 0] and bn.running_var.tolist() == [1, 1]
    assert bn.num_batches_tracked.item() == 0 and bn.weight.tolist() == [3, 3]
    bn.reset_parameters()
    assert bn.weight.tolist() == [1, 1] and bn.bias.tolist() == [0, 0]
    nn.BatchNorm1d(2, track_running_stats=False).reset_running_stats()  # nothing to reset


@pytest.mark.parametrize("args, kwargs", [((3,), {}), ((3, 1e-3, None, False, False), {}),
                                          ((5,), dict(bias=False)), ((2, 1e-5, 0.3), dict(affine=True))])
def test_batch_norm_module_repr_parameters_and_buffers_are_torchs(args, kwargs):
    ours, theirs = nn.BatchNorm1d(*args, **kwargs), torch.nn.BatchNorm1d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    for name, value in theirs.state_dict().items():
        assert ours.state_dict()[name].dtype == value.numpy().dtype
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy())
    assert repr(nn.Sequential(nn.Linear(2, 3), ours)) == repr(torch.nn.Sequential(torch.nn.Linear(2, 3), theirs))


@pytest.mark.parametrize("dtype", DTYPES)
def test_an_mlp_with_batch_norm_trained_by_sgd_ends_with_torchs_parameters(dtype):
    tg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)).to(getattr(tg, dtype))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3)).to(getattr(torch, dtype))
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    opt = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for step in range(5):
        x, y = randn(16, 6, dtype=dtype, seed=step), np.random.default_rng(step).integers(0, 3, 16)
        loss = F.cross_entropy(ours(tg.tensor(x)), tg.tensor(y))
        tloss = TF.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        close(loss, tloss, dtype, f"loss of step {step}")
        opt.zero_grad(), topt.zero_grad()
        loss.backward(), tloss.backward()
        opt.step(), topt.step()
    for name, value in theirs.state_dict().items():
        close(ours.state_dict()[name], value, "float64" if name.endswith("tracked") else dtype, name)
    ours.eval(), theirs.eval()
    x = randn(4, 6, dtype=dtype, seed=50)
    close(ours(tg.tensor(x)), theirs(torch.tensor(x)), dtype, "eval output")


@pytest.mark.parametrize("call, error, match, torch_error", [
    (lambda lib, F: lib.nn.BatchNorm1d(3)(lib.ones(2, 3, 2, 2)), ShapeError,
     r"BatchNorm1d: expected 2D or 3D input \(got 4D input", ValueError),
    (lambda lib, F: lib.nn.BatchNorm1d(3)(lib.ones(3)), ShapeError, r"expected 2D or 3D input \(got 1D input",
     ValueError),
    (lambda lib, F: lib.nn.BatchNorm1d(3)(lib.ones(4, 5)), ShapeError,
     r"batch_norm: running_mean must have shape \(5,\) for input \(4, 5\), got \(3,\)", RuntimeError),
    (lambda lib, F: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)), ShapeError,
     r"batch_norm: expected more than 1 value per channel when training, got input shape \(1, 3\)", ValueError),
    (lambda lib, F: lib.nn.BatchNorm1d(3, track_running_stats=False)(lib.ones(1, 3, 1)), ShapeError,
     "more than 1 value per channel", ValueError),
    (lambda lib, F: lib.nn.BatchNorm1d(3).double()(lib.ones(4, 3)), DTypeError,
     "batch_norm: running_mean is float64 but the input float32", RuntimeError),
    (lambda lib, F: lib.nn.BatchNorm1d(3)(lib.ones(4, 3, dtype=lib.int64)), DTypeError,
     "batch_norm: input must be floating point", NotImplementedError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), None, None), ConfigError,
     r"running_mean and running_var must be given in evaluation mode", RuntimeError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), lib.zeros(3), None, training=True), ConfigError,
     "running_mean and running_var must both be None or neither", ValueError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), lib.zeros(3), lib.ones(3), lib.ones(4)), ShapeError,
     r"weight must have shape \(3,\)", RuntimeError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), lib.zeros(3), lib.ones(3), None, lib.ones(2)), ShapeError,
     r"bias must have shape \(3,\)", RuntimeError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), None, None, training=True, momentum=None), DTypeError,
     "momentum must be a number", TypeError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), None, None, training=True, eps=0), ConfigError,
     "eps must be positive during training, got 0", ValueError),
    (lambda lib, F: F.batch_norm(lib.ones(4, 3), lib.zeros(3), lib.ones(3), eps=-1e-3), ConfigError,
     "eps must be non-negative, got -0.001", ValueError),
    (lambda lib, F: lib.nn.BatchNorm1d(-1), ConfigError, "BatchNorm1d: num_features must be >= 0, got -1",
     RuntimeError),
    (lambda lib, F: lib.nn.BatchNorm1d(2.5), DTypeError, "num_features must be an int, got 2.5", TypeError),
])
def test_batch_norm_refuses_what_torch_refuses(call, error, match, torch_error):
    with pytest.raises(torch_error):
        call(torch, TF)
    with pytest.raises(error, match=match):
        call(tg, F)


def test_batch_norm_in_eval_takes_a_batch_of_one_as_torch():
    bn, tbn = nn.BatchNorm1d(3).eval(), torch.nn.BatchNorm1d(3).eval()
    x = randn(1, 3, dtype="float32")
    close(bn(tg.tensor(x)), tbn(torch.tensor(x)), "float32")


# ---- normalize -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, 0.0, math.inf, -math.inf, -1.5])
@pytest.mark.parametrize("shape, dim", [((5, 4), 1), ((5, 4), 0), ((2, 3, 4), -1), ((4,), 0), ((), 0)])
def test_normalize_matches_torch(dtype, p, shape, dim):
    x = randn(*shape, dtype=dtype, scale=2)
    assert_matches_torch(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), x,
                         **(dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else {}))


def test_normalize_below_eps_divides_by_eps_as_torch():
    x = np.array([[1e-4, -2e-4], [3.0, 4.0], [0.0, 0.0]])
    assert_matches_torch(lambda x: F.normalize(x, eps=1e-3), lambda x: TF.normalize(x, eps=1e-3), x)
    assert_matches_torch(lambda x: F.normalize(x, p=math.inf), lambda x: TF.normalize(x, p=math.inf),
                         np.array([[2.0, -2.0, 1.0], [0.5, 0.1, -0.3]]))  # a tie shares the gradient


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
def test_normalize_passes_gradcheck_and_its_second_order_matches_torch(p):
    x = randn(3, 4, scale=2)
    assert tg.gradcheck(lambda x: F.normalize(x, p, dim=1), [tg.tensor(x, requires_grad=True)])
    w, v = randn(3, 4, seed=1), randn(3, 4, seed=2)
    results = []
    for lib, fn, grad in ((tg, F.normalize, tg.grad), (torch, TF.normalize, torch.autograd.grad)):
        leaf = lib.tensor(x, requires_grad=True)
        out = fn(leaf, p, 1)
        (g,) = grad((out * out * lib.tensor(w)).sum(), [leaf], create_graph=True)
        (h,) = grad((g * lib.tensor(v)).sum(), [leaf])
        results.append((g.detach().numpy(), h.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_normalize_is_one_node_and_keeps_float32():
    x = tg.tensor(randn(3, 4, dtype="float32"), requires_grad=True)
    out = F.normalize(x)
    assert out.dtype == tg.float32 and type(out._ctx).__name__ == "Normalize"
    out.sum().backward()
    assert x.grad.dtype == tg.float32


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("p", [2.0, 3.0, 1.0, math.inf])
def test_normalize_of_float16_takes_the_norm_in_float32_as_torch(p):
    # the squares of 20,000 values of about 3 sum past float16's 65504: in float16 the norm was inf
    # and the result 0 (with overflow warnings); torch takes the norm in float32
    x = randn(2, 20000, dtype="float16", scale=3)
    results = []
    for lib, dtype in ((tg, "float16"), (torch, "float16"), (torch, "float64")):
        xs = lib.tensor(x.astype(dtype), requires_grad=True)
        out = lib.nn.functional.normalize(xs, p)
        out.backward(lib.ones_like(out))
        results.append([a.detach().numpy() if lib is torch else a.data for a in (out, xs.grad)])
    for (ours, theirs, exact) in zip(*results):
        assert ours.dtype == np.float16
        assert np.abs(ours - exact).max() <= np.abs(theirs - exact).max() + np.spacing(np.float16(np.abs(exact).max()))


@pytest.mark.parametrize("call, error, match, torch_error", [
    (lambda lib, F: F.normalize(lib.ones(4, 3), dim=2), IndexError, "normalize: dim 2 is out of range", IndexError),
    (lambda lib, F: F.normalize(lib.ones(3)), IndexError, "dim 1 is out of range", IndexError),
    (lambda lib, F: F.normalize(lib.ones(4, 3, dtype=lib.int64)), DTypeError,
     "normalize: input must be floating point, got dtype int64", RuntimeError),
])
def test_normalize_refuses_what_torch_refuses(call, error, match, torch_error):
    with pytest.raises(torch_error):
        call(torch, TF)
    with pytest.raises(error, match=match):
        call(tg, F)


def test_the_functional_forms_and_modules_are_exported_where_torch_has_them():
    from tinygrad_mnist.nn import normalization
    assert F.layer_norm is normalization.layer_norm and F.batch_norm is normalization.batch_norm
    assert F.normalize is normalization.normalize
    assert nn.LayerNorm is normalization.LayerNorm and nn.BatchNorm1d is normalization.BatchNorm1d


# ---- float16 ------------------------------------------------------------------------------------

def _float16_modules(name, params_dtype):
    """The module here, in torch, and in torch in float64 (the exact values), with the same weights."""
    size = 6
    modules = [getattr(nn, name)(size, dtype=getattr(tg, params_dtype)),
               getattr(torch.nn, name)(size, dtype=getattr(torch, params_dtype)),
               getattr(torch.nn, name)(size, dtype=torch.float64)]
    with tg.no_grad(), torch.no_grad():  # weights other than ones and zeros
        for i, params in enumerate(zip(*(m.parameters() for m in modules))):
            value = randn(*params[0].shape, dtype=params_dtype, seed=20 + i)
            params[0].copy_(tg.tensor(value))
            params[1].copy_(torch.tensor(value))
            params[2].copy_(torch.tensor(value.astype(np.float64)))
    return modules


@pytest.mark.parametrize("name, x_shape", [("LayerNorm", (64, 6)), ("BatchNorm1d", (64, 6)),
                                           ("BatchNorm1d", (16, 6, 5))])
@pytest.mark.parametrize("params_dtype", ["float16", "float32"])  # float32: torch's mixed precision on the CPU
def test_float16_input_is_normalized_in_float32_as_torch(name, x_shape, params_dtype):
    # torch computes a float16 normalization in float32 and rounds its results, also the running
    # statistics; in float16 throughout they were 2 to 7 times further from the exact values.
    ours, theirs, exact = _float16_modules(name, params_dtype)
    for step, training in enumerate([True, True, False]):
        results = []
        for lib, module in ((tg, ours), (torch, theirs), (torch, exact)):
            module.train(training)
            dtype = np.float64 if module is exact else np.float16
            x = lib.tensor(randn(*x_shape, dtype="float16", seed=step, scale=3, shift=5).astype(dtype),
                           requires_grad=True)
            out = module(x)
            out.backward(lib.tensor(randn(*x_shape, dtype="float16", seed=10 + step).astype(dtype)))
            values = [out, x.grad] + [p.grad for p in module.parameters()]
            values += [b for n, b in module.named_buffers() if n != "num_batches_tracked"]
            results.append([v.detach().numpy() if lib is torch else v.data for v in values])
            module.zero_grad()
        for i, (o, t, e) in enumerate(zip(*results)):
            assert o.dtype == t.dtype, (i, o.dtype, t.dtype)
            ours_error, torch_error = np.abs(o - e).max(), np.abs(t - e).max()
            float32_sums = 4 * np.spacing(np.float32(np.abs(e).max()))  # (float32's rounding, far below float16's)
            assert ours_error <= torch_error + float32_sums, (step, i, ours_error, torch_error)


@pytest.mark.parametrize("call", [
    lambda lib, F: F.layer_norm(lib.ones(4, 3, dtype=lib.float16), [3], lib.ones(3), lib.zeros(3, dtype=lib.float16)),
    lambda lib, F: F.layer_norm(lib.ones(4, 3, dtype=lib.float16), [3], lib.ones(3, dtype=lib.float64)),
    lambda lib, F: F.layer_norm(lib.ones(4, 3), [3], lib.ones(3, dtype=lib.float16)),
    lambda lib, F: F.batch_norm(lib.ones(4, 3, dtype=lib.float16), lib.zeros(3), lib.ones(3),
                                lib.ones(3, dtype=lib.float16), None, True),
    lambda lib, F: F.batch_norm(lib.ones(4, 3, dtype=lib.float16), lib.zeros(3, dtype=lib.float16),
                                lib.ones(3, dtype=lib.float16), lib.ones(3), None),
    lambda lib, F: F.batch_norm(lib.ones(4, 3), lib.zeros(3, dtype=lib.float16), lib.ones(3, dtype=lib.float16)),
])
def test_float16_input_takes_parameters_all_float16_or_all_float32_as_torch(call):
    with pytest.raises(RuntimeError):
        call(torch, TF)
    with pytest.raises(DTypeError, match="torch refuses mixed dtypes"):
        call(tg, F)
