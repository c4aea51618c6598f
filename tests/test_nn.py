"""nn layers, losses and functional against torch (float64, same inputs and weights)."""
import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch, compare_with_torch

TF = torch.nn.functional
rng = np.random.default_rng(0)


def randn(*shape, scale=1.0):
    return rng.standard_normal(shape) * scale


@pytest.mark.parametrize("x_shape", [(5, 7), (2, 3, 7), (7,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(x_shape, bias):
    args = [randn(*x_shape), randn(4, 7)] + ([randn(4)] if bias else [])
    assert_matches_torch(F.linear, TF.linear, *args)


def test_linear_shape_error_names_both_shapes():
    with pytest.raises(tg.ShapeError, match=r"input has 5 features.*\(3, 5\).*expects 7.*\(4, 7\)"):
        F.linear(tg.randn(3, 5), tg.randn(4, 7))


@pytest.mark.parametrize("ours, theirs", [
    (F.relu, TF.relu), (F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh),
    (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    (lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    (lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
])
def test_activations_match_torch(ours, theirs):
    assert_matches_torch(ours, theirs, randn(6, 5, scale=3))


@pytest.mark.parametrize("layer, torch_layer", [
    (nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)),
    (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    (nn.Flatten(), torch.nn.Flatten()), (nn.Identity(), torch.nn.Identity()),
])
def test_parameterless_layers_match_torch(layer, torch_layer):
    assert_matches_torch(layer, torch_layer, randn(4, 3, 2))
    assert repr(layer) == repr(torch_layer)


@pytest.mark.parametrize("layer, torch_layer", [
    (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)), (nn.ReLU(False), torch.nn.ReLU(False)),
    (nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, inplace=True)),
    (nn.LeakyReLU(inplace=False), torch.nn.LeakyReLU(inplace=False)),
    (nn.Dropout(0.3, inplace=True).eval(), torch.nn.Dropout(0.3, inplace=True).eval()),
    (nn.Dropout(p=0.3, inplace=False).eval(), torch.nn.Dropout(p=0.3, inplace=False).eval()),
])
def test_inplace_layers_take_torchs_argument_and_give_its_values_and_gradients(layer, torch_layer):
    assert repr(layer) == repr(torch_layer)
    # torch refuses an in-place op on a leaf that requires grad, hence the x * 1
    assert_matches_torch(layer, lambda x: torch_layer(x * 1), randn(4, 3, 2, scale=3))


def test_linear_layer_grads_match_torch_with_copied_weights():
    model = nn.Linear(6, 3).double()
    report = compare_with_torch(model, torch.nn.Linear(6, 3), randn(5, 6), rng.integers(0, 3, 5))
    assert report.ok, str(report)


def test_a_large_linear_layer_is_column_major_and_its_gradients_match_torch():
    big, small, widening = nn.Linear(600, 300).double(), nn.Linear(60, 30), nn.Linear(300, 600)
    assert big.weight.data.flags.f_contiguous and not big.weight.data.flags.c_contiguous
    assert small.weight.data.flags.c_contiguous
    assert widening.weight.data.flags.c_contiguous  # out > in: row-major multiplies faster
    assert nn.Linear(512, 512).weight.data.flags.c_contiguous  # as does out == in
    report = compare_with_torch(big, torch.nn.Linear(600, 300), randn(8, 600), rng.integers(0, 300, 8))
    assert report.ok, str(report)
    loss = (big(tg.tensor(randn(8, 600))) ** 2).sum()
    loss.backward()
    grad = big.weight.grad.data
    assert grad.flags.f_contiguous and grad.flags.owndata  # the weight's layout, no shared memory
    assert list(big.state_dict()["weight"].strides) == [600 * 8, 8]  # a plain row-major copy


def test_compare_with_torch_reports_a_mismatch():
    model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    wrong = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 3))
    report = compare_with_torch(model, wrong, randn(5, 6), rng.integers(0, 3, 5))
    assert not report.ok and not report  # so `assert compare_with_torch(...)` fails on a mismatch
    assert "MISMATCH" in str(report)


def test_compare_with_torch_passes_a_float32_model_and_a_frozen_parameter():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))  # float32, as by default
    model[0].bias.requires_grad_(False)
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    images = rng.random((32, 784)).astype(np.float32)
    report = compare_with_torch(model, theirs, images, rng.integers(0, 10, 32).astype(np.int32))
    assert report, str(report)
    assert report.rtol == 1.3e-6 and not theirs[0].bias.requires_grad


def test_assert_matches_torch_takes_float32_rounding_and_still_catches_errors():
    x = rng.standard_normal((64, 300)).astype(np.float32)
    w = rng.standard_normal((300, 200)).astype(np.float32)
    assert_matches_torch(lambda a, b: (a @ b).softmax(dim=1), lambda a, b: (a @ b).softmax(dim=1), x, w)
    with pytest.raises(AssertionError, match="mismatch"):
        assert_matches_torch(lambda a, b: (a @ b) * 1.0001, lambda a, b: a @ b, x, w)


# ---- dropout -----------------------------------------------------------------------------------

def test_dropout_zeroes_a_share_p_and_scales_the_rest():
    tg.manual_seed(1)
    drop = nn.Dropout(0.25)
    out = drop(tg.ones(200, 500)).data
    assert abs((out == 0).mean() - 0.25) < 0.01
    assert np.allclose(out[out != 0], 1 / 0.75)
    assert out.dtype == np.float32


def test_dropout_is_identity_in_eval_and_seeded_in_train():
    x = tg.randn(50, 40)
    drop = nn.Dropout(0.5)
    assert drop.eval()(x) is x
    drop.train()
    tg.manual_seed(3)
    a = drop(x).data
    tg.manual_seed(3)
    b = drop(x).data
    assert np.array_equal(a, b)


def test_dropout_gradient_uses_the_same_mask():
    x = tg.randn(30, 20, requires_grad=True)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, (out.data != 0) / 0.6, rtol=1e-6)


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


# ---- losses ------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_class_targets_match_torch(reduction, smoothing):
    y = rng.integers(0, 5, 8)
    assert_matches_torch(lambda x, y: F.cross_entropy(x, y, reduction=reduction, label_smoothing=smoothing),
                         lambda x, y: TF.cross_entropy(x, y, reduction=reduction, label_smoothing=smoothing),
                         randn(8, 5, scale=3), y)


@pytest.mark.parametrize("target, smoothing", [
    (np.array([0, 3, 1, 4], dtype=np.uint8), 0.1),   # unsigned indices
    ([0, 3, 1, 4], 0.1),                             # a list
    (np.array([0, 3, 1, 4]), 0),                     # smoothing as an int
    (np.array([0, 3, 1, 4]), np.float32(0.1)),       # smoothing as a NumPy float
])
def test_cross_entropy_unusual_but_valid_arguments_give_the_usual_result(target, smoothing):
    # These take the full checks rather than the one-test path; the result must not depend on that.
    x = tg.tensor(randn(4, 5), requires_grad=True)
    expected = F.cross_entropy(tg.tensor(x.detach().numpy()), np.array([0, 3, 1, 4]), label_smoothing=float(smoothing))
    got = F.cross_entropy(x, target, label_smoothing=smoothing)
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-6)
    got.backward()
    reference = torch.tensor(x.detach().numpy(), requires_grad=True)
    TF.cross_entropy(reference, torch.tensor([0, 3, 1, 4]), label_smoothing=float(smoothing)).backward()
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_match_torch(reduction):
    q = rng.random((6, 4))
    q /= q.sum(1, keepdims=True)
    assert_matches_torch(lambda x: F.cross_entropy(x, tg.Tensor(q), reduction=reduction, label_smoothing=0.2),
                         lambda x: TF.cross_entropy(x, torch.tensor(q), reduction=reduction, label_smoothing=0.2),
                         randn(6, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    x = (randn(4, 10) * 1e4).astype(dtype)
    y = rng.integers(0, 10, 4)
    tol = dict(rtol=1e-5, atol=1e-3) if dtype == np.float32 else {}
    assert_matches_torch(F.cross_entropy, TF.cross_entropy, x, y, **tol)


def test_cross_entropy_second_order_matches_torch():
    x, y = randn(5, 4), rng.integers(0, 4, 5)
    ours = tg.Tensor(x, requires_grad=True)
    (g,) = tg.grad(F.cross_entropy(ours, y), ours, create_graph=True)
    (g * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (tg_,) = torch.autograd.grad(TF.cross_entropy(theirs, torch.tensor(y)), theirs, create_graph=True)
    (tg_ * tg_).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("target, problem", [
    (np.array([0, 1, 2.0]), "class-index targets must be integers"),
    (np.array([0, 1]), r"expected 3 class indices"),
    (np.array([0, 1, 7]), "class index 7 is out of range for 4 classes"),
])
def test_cross_entropy_bad_targets_name_the_problem(target, problem):
    with pytest.raises((ValueError, TypeError), match=problem):
        F.cross_entropy(tg.randn(3, 4), target)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
@pytest.mark.parametrize("bad", [-1, -4, 4, 100])
def test_class_index_range_is_checked_for_every_integer_dtype(dtype, bad):
    if bad < 0 and np.dtype(dtype).kind == "u":
        bad = 200  # unsigned types have no negatives; a large value instead
    target = np.array([0, 3, bad, 1]).astype(dtype)
    with pytest.raises(ValueError, match=f"class index {bad} is out of range for 4 classes"):
        F.cross_entropy(tg.randn(4, 4), target)
    F.cross_entropy(tg.randn(4, 4), np.array([0, 3, 2, 1]).astype(dtype))  # in range: accepted


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_torch(reduction):
    assert_matches_torch(lambda x, y: F.nll_loss(x.log_softmax(1), y, reduction=reduction),
                         lambda x, y: TF.nll_loss(x.log_softmax(1), y, reduction=reduction),
                         randn(7, 3), rng.integers(0, 3, 7))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(reduction):
    target = randn(4, 3)
    assert_matches_torch(lambda x: F.mse_loss(x, tg.Tensor(target), reduction=reduction),
                         lambda x: TF.mse_loss(x, torch.tensor(target), reduction=reduction), randn(4, 3))
    assert_matches_torch(lambda x, t: F.mse_loss(x, t, reduction=reduction),  # the target's gradient too
                         lambda x, t: TF.mse_loss(x, t, reduction=reduction), randn(4, 3), randn(4, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_matches_torch_including_saturated_probabilities(reduction):
    p = np.array([[0.0, 0.3], [1.0, 0.999999], [0.5, 1e-12]])
    t = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    ours = F.binary_cross_entropy(tg.Tensor(p), tg.Tensor(t), reduction=reduction).data
    theirs = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction=reduction).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    inner = rng.uniform(0.05, 0.95, (3, 2))
    assert_matches_torch(lambda x: F.binary_cross_entropy(x, tg.Tensor(t), reduction=reduction),
                         lambda x: TF.binary_cross_entropy(x, torch.tensor(t), reduction=reduction), inner)


@pytest.mark.parametrize("scale", [1.0, 1e4])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch_for_large_inputs(scale, reduction):
    t = rng.integers(0, 2, (5, 3)).astype(np.float64)
    assert_matches_torch(lambda x: F.binary_cross_entropy_with_logits(x, tg.Tensor(t), reduction=reduction),
                         lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(t), reduction=reduction),
                         randn(5, 3, scale=scale))


@pytest.mark.parametrize("loss, torch_loss, target", [
    (nn.MSELoss(), torch.nn.MSELoss(), randn(4, 3)),
    (nn.CrossEntropyLoss(label_smoothing=0.05), torch.nn.CrossEntropyLoss(label_smoothing=0.05), rng.integers(0, 3, 4)),
    (nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum"), rng.integers(0, 3, 4)),
    (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), rng.integers(0, 2, (4, 3)).astype(float)),
])
def test_loss_modules_match_torch(loss, torch_loss, target):
    assert_matches_torch(lambda x: loss(x, tg.Tensor(target)),
                         lambda x: torch_loss(x, torch.tensor(target)), randn(4, 3))
    assert repr(loss) == repr(torch_loss)


def test_bce_loss_module_matches_torch():
    t = rng.integers(0, 2, (4, 3)).astype(float)
    assert_matches_torch(lambda x: nn.BCELoss()(x.sigmoid(), tg.Tensor(t)),
                         lambda x: torch.nn.BCELoss()(x.sigmoid(), torch.tensor(t)), randn(4, 3))


def test_loss_rejects_unknown_reduction_and_mismatched_shapes():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(tg.ShapeError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        F.mse_loss(tg.randn(4, 1), tg.randn(4))


def test_one_hot_matches_torch():
    y = rng.integers(0, 6, (3, 4))
    np.testing.assert_array_equal(F.one_hot(tg.Tensor(y), 7).data, TF.one_hot(torch.tensor(y), 7).numpy())
    np.testing.assert_array_equal(F.one_hot(tg.Tensor(y)).data, TF.one_hot(torch.tensor(y)).numpy())


@pytest.mark.parametrize("call", [
    lambda x, y: F.cross_entropy(x, y, np.ones(3, np.float32)),      # torch: weight
    lambda x, y: F.nll_loss(x.log_softmax(dim=1), y, None),          # torch: weight
    lambda x, y: nn.CrossEntropyLoss(np.ones(3, np.float32))(x, y),  # torch: weight
    lambda x, y: nn.MSELoss(True)(x, x),                             # torch: size_average
])
def test_loss_options_are_keyword_only_so_torchs_positional_weight_is_refused(call):
    x = tg.randn(4, 3)
    y = tg.tensor([0, 1, 2, 0])
    with pytest.raises(TypeError, match="positional argument"):
        call(x, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_gives_probability_targets_that_require_grad_their_gradient(reduction, smoothing):
    q = rng.random((5, 4))
    q /= q.sum(1, keepdims=True)
    assert_matches_torch(lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
                         lambda x, t: TF.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
                         randn(5, 4), q)


def test_calculate_gain_knows_torchs_nonlinearities_and_refuses_a_bool_slope():
    import torch.nn.init as tinit
    for name in ("linear", "conv1d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
                 "tanh", "relu", "selu", "leaky_relu"):
        assert nn.init.calculate_gain(name) == pytest.approx(tinit.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(tinit.calculate_gain("leaky_relu", 0.2))
    for lib in (nn.init, tinit):
        with pytest.raises(ValueError, match="not a valid number"):
            lib.calculate_gain("leaky_relu", True)
