"""nn layers, losses and functional against torch (float64, same inputs and weights)."""
import re

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.errors import DTypeError, OutOfRangeError, ShapeError
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch, compare_with_torch

from test_tensor_api import same  # equal values, NaNs and signs of zeros, and dtype

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


@pytest.mark.parametrize("x_shape", [(5, 7), (2, 3, 7), (7,)])
def test_linear_with_a_1d_weight_is_a_dot_product_per_row_and_its_gradients_match_torch(x_shape):
    assert_matches_torch(F.linear, TF.linear, randn(*x_shape), randn(7))
    assert_matches_torch(F.linear, TF.linear, randn(7), randn(7), randn())  # a bias, as torch, for a 1-D input


def test_linear_with_a_1d_weight_and_a_bias_takes_only_a_1d_input_as_torch():
    for lib, fn in ((tg, F.linear), (torch, TF.linear)):
        with pytest.raises(RuntimeError):  # torch: mat2 must be a matrix
            fn(lib.ones(2, 3), lib.ones(3), lib.ones(2))
    with pytest.raises(tg.ShapeError, match=r"linear: a 1-D weight with a bias takes only a 1-D input .* got input "
                                           r"shape \(2, 3\)"):
        F.linear(tg.ones(2, 3), tg.ones(3), tg.ones(()))


def test_linear_of_integers_computes_as_torch_and_an_integer_input_to_a_float_weight_is_refused():
    ours = F.linear(tg.arange(6).reshape(2, 3), tg.arange(6).reshape(2, 3))
    theirs = TF.linear(torch.arange(6).reshape(2, 3), torch.arange(6).reshape(2, 3))
    assert ours.tolist() == theirs.tolist() and ours.dtype == tg.int64
    same(F.linear(tg.arange(3), tg.arange(3)), TF.linear(torch.arange(3), torch.arange(3)))  # a 1-D weight too
    with pytest.raises(tg.DTypeError, match="linear: input must be floating point, got dtype int64"):
        F.linear(tg.ones(4, 3, dtype=tg.int64), tg.ones(2, 3))
    with pytest.raises(tg.DTypeError, match=r"cast the input \(x.to\(tg.float64\)\) or the model \(model.to\(tg.float32"):
        F.linear(tg.ones(4, 3), tg.ones(2, 3, dtype=tg.float64))


@pytest.mark.parametrize("bias_dtype", ["float64", "float16", "int64", "bool"])
@pytest.mark.parametrize("x_shape", [(5, 7), (2, 3, 7), (7,)])
def test_linear_and_a_linear_layer_refuse_a_bias_of_another_dtype_as_torch(x_shape, bias_dtype):
    for lib, fn in ((tg, F.linear), (torch, TF.linear)):
        with pytest.raises(RuntimeError):  # torch: self and mat2 must have the same dtype
            fn(lib.ones(*x_shape), lib.ones(4, 7), lib.ones(4, dtype=getattr(lib, bias_dtype)))
    with pytest.raises(tg.DTypeError, match=rf"linear: the bias is {bias_dtype} but the input and weight float32, "
                                           r"which torch refuses too; cast the bias \(bias.to\(tg.float32\)\)"):
        F.linear(tg.ones(*x_shape), tg.ones(4, 7), tg.ones(4, dtype=getattr(tg, bias_dtype)))
    ours, theirs = nn.Linear(7, 4), torch.nn.Linear(7, 4)
    ours.bias = nn.Parameter(tg.zeros(4, dtype=getattr(tg, bias_dtype)), requires_grad=False)
    theirs.bias = torch.nn.Parameter(torch.zeros(4, dtype=getattr(torch, bias_dtype)), requires_grad=False)
    with pytest.raises(RuntimeError):
        theirs(torch.ones(*x_shape))
    with pytest.raises(tg.DTypeError, match=f"linear: the bias is {bias_dtype}"):
        ours(tg.ones(*x_shape))


@pytest.mark.parametrize("bias", [np.array(0.1), np.array(3), np.array(True)], ids=repr)
@pytest.mark.parametrize("x_shape, w_shape", [((7,), (4, 7)), ((2, 3, 7), (4, 7)), ((7,), (7,))], ids=repr)
def test_linear_takes_a_0d_bias_of_another_dtype_as_torch_except_with_a_2d_input(x_shape, w_shape, bias):
    # torch multiplies a 2-D input with addmm, which refuses it; other inputs get it added in place
    ints = np.random.default_rng(1).integers
    x, w = (ints(-3, 4, shape).astype(np.float32) for shape in (x_shape, w_shape))  # exact sums
    grad = bias.dtype.kind == "f"
    ours = [tg.tensor(x), tg.tensor(w), tg.tensor(bias, requires_grad=grad)]
    theirs = [torch.tensor(x), torch.tensor(w), torch.tensor(bias, requires_grad=grad)]
    out, expected = F.linear(*ours), TF.linear(*theirs)
    same(out, expected)
    if grad:  # the bias's gradient in its own dtype
        out.sum().backward()
        expected.sum().backward()
        same(ours[2].grad, theirs[2].grad)
    for lib, fn in ((tg, F.linear), (torch, TF.linear)):
        with pytest.raises(RuntimeError):
            fn(lib.ones(2, 7), lib.ones(4, 7), lib.tensor(bias))
    with pytest.raises(tg.DTypeError, match=f"linear: the bias is {bias.dtype} but the input and weight float32"):
        F.linear(tg.ones(2, 7), tg.ones(4, 7), tg.tensor(bias))


def test_linear_of_integers_refuses_a_0d_float_bias_it_cannot_add_in_place_as_torch():
    for lib, fn in ((tg, F.linear), (torch, TF.linear)):
        with pytest.raises(RuntimeError):  # torch: result type Float can't be cast to the desired output type Long
            fn(lib.ones(2, 3, 7, dtype=lib.int64), lib.ones(4, 7, dtype=lib.int64), lib.tensor(0.5))
    with pytest.raises(tg.DTypeError, match="linear: the bias is float32 but the input and weight int64"):
        F.linear(tg.ones(2, 3, 7, dtype=tg.int64), tg.ones(4, 7, dtype=tg.int64), tg.tensor(0.5))
    same(F.linear(tg.ones(2, 3, 7, dtype=tg.int64), tg.ones(4, 7, dtype=tg.int64), tg.tensor(2, dtype=tg.int32)),
         TF.linear(torch.ones(2, 3, 7, dtype=torch.int64), torch.ones(4, 7, dtype=torch.int64),
                   torch.tensor(2, dtype=torch.int32)))


@pytest.mark.parametrize("x_shape, w_shape, bias", [((2, 3), (4, 3), False), ((2, 3), (4, 3), True),
                                                    ((2, 2, 3), (4, 3), True), ((3,), (3,), False)], ids=repr)
def test_linear_of_bool_tensors_is_refused_as_in_torch(x_shape, w_shape, bias):
    for lib, fn in ((tg, F.linear), (torch, TF.linear)):  # torch: "addmm_impl_cpu_" not implemented for 'Bool'
        with pytest.raises(RuntimeError):
            fn(lib.ones(*x_shape, dtype=lib.bool), lib.ones(*w_shape, dtype=lib.bool),
               *[lib.ones(4, dtype=lib.bool)] * bias)
    with pytest.raises(tg.DTypeError, match=r"linear: bool tensors have no matrix product \(torch refuses them too\)"):
        F.linear(tg.ones(*x_shape, dtype=tg.bool), tg.ones(*w_shape, dtype=tg.bool), *[tg.ones(4, dtype=tg.bool)] * bias)


def test_linear_refuses_a_weight_that_is_not_1d_or_2d():
    for weight in (tg.randn(2, 3, 1), tg.tensor(1.0)):
        with pytest.raises(tg.ShapeError, match=r"linear: weight must be \(out_features, in_features\) or "
                                               r"\(in_features,\), got shape"):
            F.linear(tg.randn(4, 3), weight)


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
    assert_matches_torch(lambda x: layer(x * 1), lambda x: torch_layer(x * 1), randn(4, 3, 2, scale=3))


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
    assert big.state_dict()["weight"] is big.weight.data  # shared, in its own layout, as torch shares storage


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
    # Logits of unit size: at sqrt(300) the nearly one-hot softmax's gradient amplifies the float32
    # rounding of the product, which OpenBLAS's kernels (they vary by CPU) and torch's sum in
    # different orders, past torch.testing's tolerance (seen on an AVX-512 machine).
    x = (rng.standard_normal((64, 300)) / np.sqrt(300)).astype(np.float32)
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

@pytest.mark.parametrize("index, classes", [(3, 3), (-1, 3), (0, 0), (-2, -1)], ids=repr)
def test_one_hot_of_an_index_out_of_range_is_refused_as_in_torch(index, classes):
    with pytest.raises(RuntimeError):  # torch: Class values must be smaller than num_classes (or non-negative)
        TF.one_hot(torch.tensor([0, index, 1]), classes)
    expected = 2 if classes == -1 else classes  # -1: the largest index's count
    which = f"expected 0 to {expected - 1}" if expected else "there is none"
    with pytest.raises(OutOfRangeError, match=rf"^one_hot: class index {index} is out of range for {expected} "
                                              rf"classes \({which}\)$"):
        F.one_hot(tg.tensor([0, index, 1]), classes)


@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "float32", "float64", "bool"])
def test_one_hot_takes_only_int64_indices_as_torch(dtype):
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor"):
        TF.one_hot(torch.tensor([0, 1]).to(getattr(torch, dtype)), 3)
    for num_classes in (3, -1):
        with pytest.raises(DTypeError, match=rf"^one_hot: class indices must be int64 \(torch's LongTensor\), as in "
                                             rf"torch, got {dtype}; cast them with \.long\(\)$"):
            F.one_hot(tg.tensor([0, 1]).to(getattr(tg, dtype)), num_classes)
    same(F.one_hot(tg.tensor([0, 1]).to(getattr(tg, dtype)).long(), 3), TF.one_hot(torch.tensor([0, 1]), 3))


def test_one_hot_refuses_what_torch_refuses_of_num_classes():
    for lib, errors in ((torch, RuntimeError), (tg, (ShapeError, OutOfRangeError))):
        functional = TF if lib is torch else F
        with pytest.raises(errors, match="(?i)infer"):
            functional.one_hot(lib.tensor([], dtype=lib.int64), -1)
        with pytest.raises(errors):
            functional.one_hot(lib.tensor([0, 1]), -2)
    with pytest.raises(OutOfRangeError, match=r"^one_hot: num_classes must be -1 .* or at least 0, as in torch, got -2"):
        F.one_hot(tg.tensor([0, 1]), -2)
    assert F.one_hot(tg.tensor([], dtype=tg.int64), 3).shape == TF.one_hot(torch.tensor([], dtype=torch.int64), 3).shape


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("layout", ["rows", "transposed"])
def test_cross_entropy_class_targets_match_torch(reduction, smoothing, layout):
    y = rng.integers(0, 5, 8)
    logits = randn(8, 5, scale=3) if layout == "rows" else randn(5, 8, scale=3).T  # e.g. a CLIP-style loss
    assert_matches_torch(lambda x, y: F.cross_entropy(x, y, reduction=reduction, label_smoothing=smoothing),
                         lambda x, y: TF.cross_entropy(x, y, reduction=reduction, label_smoothing=smoothing),
                         logits, y)


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


@pytest.mark.parametrize("dtype", [np.int64, np.uint8])
@pytest.mark.parametrize("bad", [-1, -4, 4, 100])
def test_class_index_range_is_checked_for_both_class_index_dtypes(dtype, bad):
    if bad < 0 and np.dtype(dtype).kind == "u":
        bad = 200  # unsigned types have no negatives; a large value instead
    target = np.array([0, 3, bad, 1]).astype(dtype)
    with pytest.raises(ValueError, match=f"class index {bad} is out of range for 4 classes"):
        F.cross_entropy(tg.randn(4, 4), target)
    F.cross_entropy(tg.randn(4, 4), np.array([0, 3, 2, 1]).astype(dtype))  # in range: accepted


TARGET_DTYPES = ["int64", "uint8", "int32", "int16", "int8", "uint16", "uint32", "uint64", "bool"]
CLASS_INDEX_CALLS = {  # logits' shape and keywords: the one-test path, the full checks, (C,) and extra dimensions
    "usual": ((5, 3), {}), "ignore_index": ((5, 3), {"ignore_index": 1}),
    "weight": ((5, 3), {"weight": tg.ones(3, dtype=tg.float64)}),
    "unbatched": ((3,), {}), "extra dims": ((2, 3, 4), {}), "extra dims, none": ((2, 3, 4, 2), {"reduction": "none"}),
}


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape, kw", CLASS_INDEX_CALLS.values(), ids=CLASS_INDEX_CALLS)
@pytest.mark.parametrize("dtype", TARGET_DTYPES)
def test_class_index_targets_take_the_dtypes_torch_takes(loss, shape, kw, dtype):
    x, y = randn(*shape), rng.integers(0, 2, shape[:1] + shape[2:] if len(shape) > 1 else ())
    their_kw = {k: torch.tensor(v.numpy()) if isinstance(v, tg.Tensor) else v for k, v in kw.items()}
    try:
        theirs = getattr(TF, loss)(torch.tensor(x), torch.tensor(y).to(getattr(torch, dtype)), **their_kw)
    except RuntimeError as err:  # int64 (Long), and uint8 (Byte) for logits (N, C) or (C,) only
        assert re.search("expected target dtype to be Long or Byte|expected scalar type Long but found Byte", str(err))
        theirs = None
    for target in (tg.tensor(y).to(np.dtype(dtype)), y.astype(dtype)):
        if theirs is not None:
            ours = getattr(F, loss)(tg.tensor(x), target, **kw)
            assert ours.dtype == np.float64 and ours.shape == tuple(theirs.shape)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
            continue
        with pytest.raises(DTypeError, match=rf"^{loss}: class-index targets (for logits \(N, C, d1, \.\.\.\) )?must "
                                             rf"be int64( or uint8)?, as in torch, got dtype {dtype}; cast them with "
                                             rf"target\.long\(\) \(or \.to\(tg\.int64\)\)$"):
            getattr(F, loss)(tg.tensor(x), target, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(7, 3), (1, 1), (5, 1), (2, 6)])
@pytest.mark.parametrize("target_dtype", [np.int64, np.uint8])
def test_nll_loss_matches_torch(dtype, reduction, shape, target_dtype):
    y = rng.integers(0, shape[1], shape[0]).astype(target_dtype)
    assert_matches_torch(lambda x: F.nll_loss(x.log_softmax(1), y, reduction=reduction),
                         lambda x: TF.nll_loss(x.log_softmax(1), torch.tensor(y.astype(np.int64)), reduction=reduction),
                         randn(*shape).astype(dtype))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_is_one_node_on_the_log_probabilities_and_passes_gradcheck(reduction):
    x = tg.Tensor(randn(6, 4), requires_grad=True)
    log_probs = x.log_softmax(1)
    loss = F.nll_loss(log_probs, np.array([0, 3, 1, 2, 1, 0]), reduction=reduction)
    assert loss._ctx.next == [log_probs._ctx]
    assert tg.gradcheck(lambda x: F.nll_loss(x, np.array([0, 3, 1, 2, 1, 0]), reduction=reduction), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index, y", [
    (7, [0, 7, 3, 7, 1]),      # out of range, present
    (7, [0, 2, 3, 1, 1]),      # out of range, absent
    (-1, [0, -1, 3, -1, 1]),   # negative, present
    (2, [0, 2, 3, 2, 1]),      # a class
])
def test_nll_loss_ignore_index_in_and_out_of_range_matches_torch(reduction, ignore_index, y):
    y = np.array(y)
    assert_matches_torch(lambda x: F.nll_loss(x, y, ignore_index=ignore_index, reduction=reduction),
                         lambda x: TF.nll_loss(x, torch.tensor(y), ignore_index=ignore_index, reduction=reduction),
                         randn(5, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_ignored_rows_count_for_nothing_even_where_the_input_is_not_finite(reduction, weighted):
    # torch skips an ignored target; this library used to multiply its row's first entry by 0 (-inf * 0 = NaN)
    x = randn(3, 3)
    x[1] = [-np.inf, np.nan, 0.0]
    y = np.array([2, -100, 0])
    w = np.array([0.5, 2.0, 1.5]) if weighted else None
    ours = tg.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    got = F.nll_loss(ours, y, None if w is None else tg.Tensor(w), reduction=reduction)
    expected = TF.nll_loss(theirs, torch.tensor(y), None if w is None else torch.tensor(w), reduction=reduction)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted, ignore_index", [(False, -100), (True, -100), (False, 1), (True, 1)])
def test_nll_loss_first_gradient_requires_grad_and_its_second_order_matches_torch(dtype, reduction, weighted,
                                                                                  ignore_index):
    # torch's gradient is a function of the input (with derivative 0), so under create_graph it requires grad
    x, y = randn(8, 4).astype(dtype), _class_targets(ignore_index)
    w = np.array([0.5, 2.0, 1.5, 3.0], dtype) if weighted else None
    ours = tg.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    v = randn(8).astype(dtype) if reduction == "none" else np.array(1.3, dtype)
    ours_v, theirs_v = tg.Tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    loss = F.nll_loss(ours, y, None if w is None else tg.Tensor(w), ignore_index=ignore_index, reduction=reduction)
    (g,) = tg.grad(loss, ours, ours_v, create_graph=True)
    torch_loss = TF.nll_loss(theirs, torch.tensor(y), None if w is None else torch.tensor(w),
                             ignore_index=ignore_index, reduction=reduction)
    (g_theirs,) = torch.autograd.grad(torch_loss, theirs, theirs_v, create_graph=True)
    assert g.requires_grad and g_theirs.requires_grad
    np.testing.assert_allclose(g.data, g_theirs.detach().numpy(), rtol=1e-6)
    u = randn(8, 4).astype(dtype)
    second = tg.grad((g * tg.Tensor(u)).sum(), [ours, ours_v])
    second_theirs = torch.autograd.grad((g_theirs * torch.tensor(u)).sum(), [theirs, theirs_v])
    # (the one for ours_v is a weighted sum of 32 terms of about 1: its float32 rounding depends on the order)
    atol = 1e-6 if dtype == np.float32 else 1e-14
    for a, b in zip(second, second_theirs):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-6, atol=atol)
    assert not second[0].data.any()  # constant in the input


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


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_binary_losses_refuse_integer_and_bool_targets_as_torch(loss, dtype):
    p, t = rng.uniform(0.1, 0.9, 4), np.array([0, 1, 1, 0])
    with pytest.raises(RuntimeError):
        getattr(TF, loss)(torch.tensor(p), torch.tensor(t).to(getattr(torch, dtype)))
    with pytest.raises(DTypeError, match=rf"^{loss}: target must be floating point .*got dtype {dtype}; cast it with "
                                         r"target\.float\(\)$"):
        getattr(F, loss)(tg.tensor(p), tg.tensor(t.astype(dtype)))
    getattr(F, loss)(tg.tensor(p), tg.tensor(t).float())  # the cast the message names is taken


def test_loss_rejects_unknown_reduction_and_mismatched_shapes():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(tg.ShapeError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        F.mse_loss(tg.randn(4, 1), tg.randn(4))


def test_one_hot_matches_torch():
    y = rng.integers(0, 6, (3, 4))
    np.testing.assert_array_equal(F.one_hot(tg.Tensor(y), 7).data, TF.one_hot(torch.tensor(y), 7).numpy())
    np.testing.assert_array_equal(F.one_hot(tg.Tensor(y)).data, TF.one_hot(torch.tensor(y)).numpy())


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


# ---- loss weights, ignore_index, pos_weight --------------------------------------------------------

def _class_targets(ignore_index):
    """Targets for (8, 4) logits with two ignore_index entries (when it is given) and every class present."""
    y = np.array([0, 3, 1, 2, 1, 0, 3, 2])
    if ignore_index is not None:
        y[[2, 5]] = ignore_index
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [None, -100, -1, 2, 7])
def test_cross_entropy_with_class_weights_and_ignored_targets_matches_torch(dtype, reduction, smoothing,
                                                                             weighted, ignore_index):
    y = _class_targets(ignore_index)
    w = np.array([0.5, 2.0, 1.5, 3.0], dtype) if weighted else None
    options = dict(reduction=reduction, label_smoothing=smoothing)
    if ignore_index is not None:
        options["ignore_index"] = ignore_index
    assert_matches_torch(
        lambda x: F.cross_entropy(x, y, None if w is None else tg.Tensor(w), **options),
        lambda x: TF.cross_entropy(x, torch.tensor(y), None if w is None else torch.tensor(w), **options),
        randn(8, 4, scale=2).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [None, -100, 1])
def test_nll_loss_with_class_weights_and_ignored_targets_matches_torch(dtype, reduction, weighted, ignore_index):
    y = _class_targets(ignore_index)
    w = np.array([0.5, 2.0, 1.5, 3.0], dtype) if weighted else None
    options = dict(reduction=reduction)
    if ignore_index is not None:
        options["ignore_index"] = ignore_index
    ours_w, theirs_w = (None, None) if w is None else (tg.Tensor(w), torch.tensor(w))
    assert_matches_torch(
        lambda x: F.nll_loss(x.log_softmax(1), y, ours_w, **options),
        lambda x: TF.nll_loss(x.log_softmax(1), torch.tensor(y), theirs_w, **options),
        randn(8, 4, scale=2).astype(dtype))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_modules_take_torchs_weight_and_ignore_index(reduction, weighted):
    y = _class_targets(-3)
    w = np.array([0.5, 2.0, 1.5, 3.0]) if weighted else None
    pairs = [(nn.CrossEntropyLoss(None if w is None else tg.Tensor(w), ignore_index=-3, reduction=reduction,
                                  label_smoothing=0.1),
              torch.nn.CrossEntropyLoss(None if w is None else torch.tensor(w), ignore_index=-3,
                                        reduction=reduction, label_smoothing=0.1)),
             (nn.NLLLoss(None if w is None else tg.Tensor(w), ignore_index=-3, reduction=reduction),
              torch.nn.NLLLoss(None if w is None else torch.tensor(w), ignore_index=-3, reduction=reduction))]
    for loss, torch_loss in pairs:
        assert_matches_torch(lambda x: loss(x, tg.Tensor(y)), lambda x: torch_loss(x, torch.tensor(y)),
                             randn(8, 4))
        assert loss.ignore_index == torch_loss.ignore_index == -3
        assert repr(loss) == repr(torch_loss)
    default = nn.CrossEntropyLoss()
    assert default.weight is None and default.ignore_index == -100


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_second_order_with_weights_and_ignored_targets_matches_torch(smoothing, weighted):
    x, y = randn(6, 4), _class_targets(-100)[:6]
    w = np.array([0.5, 2.0, 1.5, 3.0]) if weighted else None
    ours = tg.Tensor(x, requires_grad=True)
    (g,) = tg.grad(F.cross_entropy(ours, y, None if w is None else tg.Tensor(w), label_smoothing=smoothing),
                   ours, create_graph=True)
    (g * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    loss = TF.cross_entropy(theirs, torch.tensor(y), None if w is None else torch.tensor(w),
                            label_smoothing=smoothing)
    (g_theirs,) = torch.autograd.grad(loss, theirs, create_graph=True)
    (g_theirs * g_theirs).sum().backward()
    np.testing.assert_allclose(g.data, g_theirs.detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_all_ignored_or_zero_weight_targets_give_torchs_nan_mean_and_gradients(smoothing, loss):
    # torch: the mean is 0/0 = NaN; ignored rows get a zero gradient, counted rows of weight 0 NaN.
    for y, w in (([-100, -100, -100], None), ([0, 0, -100], [0.0, 1.0, 1.0])):
        ours = tg.Tensor(randn(3, 3), requires_grad=True)
        theirs = torch.tensor(ours.detach().numpy(), requires_grad=True)
        weights = (None, None) if w is None else (tg.Tensor(np.array(w)), torch.tensor(w, dtype=torch.float64))
        options = dict(label_smoothing=smoothing) if loss == "cross_entropy" else {}
        if loss == "nll_loss" and smoothing:
            continue
        with np.errstate(all="raise"):  # no NumPy warnings either
            got = getattr(F, loss)(ours, np.array(y), weights[0], **options)
            got.backward()
        expected = getattr(TF, loss)(theirs, torch.tensor(y), weights[1], **options)
        expected.backward()
        assert np.isnan(got.item()) and np.isnan(expected.item())
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probability_targets_with_class_weights_match_torch(dtype, reduction, smoothing):
    q = rng.random((6, 4))
    q = (q / q.sum(1, keepdims=True)).astype(dtype)
    w = np.array([0.5, 2.0, 1.5, 3.0], dtype)
    options = dict(reduction=reduction, label_smoothing=smoothing)
    assert_matches_torch(lambda x: F.cross_entropy(x, tg.Tensor(q), tg.Tensor(w), **options),
                         lambda x: TF.cross_entropy(x, torch.tensor(q), torch.tensor(w), **options),
                         randn(6, 4).astype(dtype))
    # a target that requires grad gets its gradient, weighted
    assert_matches_torch(lambda x, t: F.cross_entropy(x, t, tg.Tensor(w), **options),
                         lambda x, t: TF.cross_entropy(x, t, torch.tensor(w), **options),
                         randn(6, 4).astype(dtype), q)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("target", [1, 2])
def test_cross_entropy_and_nll_loss_take_unbatched_logits_as_torch(reduction, ignore_index, target):
    w = np.array([0.5, 2.0, 1.5])
    options = dict(reduction=reduction, ignore_index=ignore_index)
    options = dict(options, label_smoothing=0.1)
    assert_matches_torch(lambda x: F.cross_entropy(x, np.array(target), tg.Tensor(w), **options),
                         lambda x: TF.cross_entropy(x, torch.tensor(target), torch.tensor(w), **options), randn(3))
    del options["label_smoothing"]
    assert_matches_torch(lambda x: F.nll_loss(x, np.array(target), **options),
                         lambda x: TF.nll_loss(x, torch.tensor(target), **options), randn(3))
    q = np.array([0.2, 0.5, 0.3])
    assert_matches_torch(lambda x: F.cross_entropy(x, tg.Tensor(q), reduction=reduction),
                         lambda x: TF.cross_entropy(x, torch.tensor(q), reduction=reduction), randn(3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_loss_take_torchs_extra_dimensions(reduction):
    y = rng.integers(0, 3, (2, 5, 4))
    y[0, 1, 2] = -100
    w = np.array([0.5, 2.0, 1.5])
    assert_matches_torch(lambda x: F.cross_entropy(x, y, tg.Tensor(w), reduction=reduction, label_smoothing=0.1),
                         lambda x: TF.cross_entropy(x, torch.tensor(y), torch.tensor(w), reduction=reduction,
                                                    label_smoothing=0.1), randn(2, 3, 5, 4))
    assert_matches_torch(lambda x: F.nll_loss(x, y, reduction=reduction),
                         lambda x: TF.nll_loss(x, torch.tensor(y), reduction=reduction), randn(2, 3, 5, 4))
    q = rng.random((2, 3, 5))
    q /= q.sum(1, keepdims=True)
    assert_matches_torch(lambda x: F.cross_entropy(x, tg.Tensor(q), reduction=reduction),
                         lambda x: TF.cross_entropy(x, torch.tensor(q), reduction=reduction), randn(2, 3, 5))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("kwargs, error, problem", [
    (dict(weight=tg.ones(3)), ValueError, r"weight must have one value per class, shape \(4,\), got \(3,\)"),
    (dict(weight=tg.ones(1, 4)), ValueError, r"shape \(4,\), got \(1, 4\)"),
    (dict(weight=tg.ones(4).double()), TypeError, "weight must have the input's dtype float32, got float64"),
    (dict(weight=tg.tensor([1, 2, 3, 4])), TypeError, "weight must have the input's dtype float32, got int64"),
    (dict(weight=np.ones(4, np.float32)), TypeError, "weight must be a Tensor, got ndarray"),
    (dict(weight=tg.ones(4, requires_grad=True)), RuntimeError, "not differentiable with respect to its weight"),
    (dict(ignore_index=1.0), TypeError, "ignore_index must be an int, got 1.0"),
    (dict(ignore_index=True), TypeError, "ignore_index must be an int, got True"),
])
def test_bad_class_weights_and_ignore_index_name_the_problem(loss, kwargs, error, problem):
    x = tg.randn(3, 4)
    with pytest.raises(error, match=problem):
        loss(x, np.array([0, 1, 2]), **kwargs)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("target, ignore_index, bad", [
    ([0, -1, 2], -100, -1),     # a negative index other than ignore_index is out of range, as in torch
    ([0, -100, 4], -100, 4),    # an ignored target does not excuse another out of range
    ([0, 5, 2], -1, 5),
    ([0, -1, 2], 5, -1),
])
def test_targets_out_of_range_are_refused_unless_they_are_the_ignore_index(loss, target, ignore_index, bad):
    with pytest.raises(ValueError, match=rf"class index {bad} is out of range for 4 classes \(expected 0 to 3\) "
                                         rf"and is not the ignore_index \({ignore_index}\)"):
        loss(tg.randn(3, 4), np.array(target), ignore_index=ignore_index)
    with pytest.raises(IndexError):  # torch refuses them too
        getattr(TF, loss.__name__)(torch.randn(3, 4), torch.tensor(target), ignore_index=ignore_index)


def test_ignore_index_is_refused_with_probability_targets_as_torch_does():
    q = tg.Tensor(np.full((2, 3), 1 / 3, np.float32))
    with pytest.raises(ValueError, match="ignore_index is not supported for probability"):
        F.cross_entropy(tg.randn(2, 3), q, ignore_index=0)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        TF.cross_entropy(torch.randn(2, 3), torch.tensor(q.numpy()), ignore_index=0)
    F.cross_entropy(tg.randn(2, 3), q, ignore_index=-1)  # torch too takes a negative one, which changes nothing


def test_positional_weight_is_torchs_and_the_deprecated_positional_options_are_refused():
    x, y, w = randn(4, 3), np.array([0, 1, 2, 0]), np.array([1.0, 2.0, 0.5])
    assert_matches_torch(lambda x: F.cross_entropy(x, y, tg.Tensor(w)),
                         lambda x: TF.cross_entropy(x, torch.tensor(y), torch.tensor(w)), x)
    assert_matches_torch(lambda x: nn.NLLLoss(tg.Tensor(w))(x, tg.Tensor(y)),
                         lambda x: torch.nn.NLLLoss(torch.tensor(w))(x, torch.tensor(y)), x)
    for call in (lambda: F.cross_entropy(tg.Tensor(x), y, None, None),             # torch: size_average
                 lambda: F.nll_loss(tg.Tensor(x), y, None, None, -100),            # torch: ignore_index 5th
                 lambda: nn.CrossEntropyLoss(None, None),
                 lambda: nn.BCEWithLogitsLoss(None, None),
                 lambda: F.binary_cross_entropy(tg.Tensor(x).sigmoid(), tg.Tensor(x).sigmoid(), None, None),
                 lambda: nn.MSELoss(True)):                                        # torch: size_average
        with pytest.raises(TypeError, match="positional argument"):
            call()


def test_the_usual_cross_entropy_call_takes_the_one_test_path(monkeypatch):
    # Plain class indices, no weight and the default ignore_index: one test and the range check,
    # never the full checks, which look for ignored targets in further passes over them.
    def refuse(*args, **kwargs):
        raise AssertionError("the usual call took the full checks")
    monkeypatch.setattr(F, "_checked_cross_entropy", refuse)
    x = tg.randn(16, 10, requires_grad=True)
    targets = rng.integers(0, 10, 16)
    for y in (targets, targets.astype(np.uint8), tg.tensor(targets)):
        F.cross_entropy(x, y, label_smoothing=0.1).backward()
        nn.CrossEntropyLoss(reduction="sum")(x, y).backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape, pos_weight_shape", [
    (None, (3,)), ((3,), None), ((4, 1), (3,)), ((), (4, 1)), ((4, 3), (4, 3)), (None, ()),
])
def test_bce_with_logits_weight_and_pos_weight_match_torch(dtype, reduction, weight_shape, pos_weight_shape):
    t = rng.random((4, 3)).round(1).astype(dtype)
    w = None if weight_shape is None else rng.uniform(0.2, 3, weight_shape).astype(dtype)
    pw = None if pos_weight_shape is None else rng.uniform(0.2, 3, pos_weight_shape).astype(dtype)

    def options(make):
        return dict(weight=None if w is None else make(w), pos_weight=None if pw is None else make(pw),
                    reduction=reduction)
    # the target's gradient too
    assert_matches_torch(lambda x, t: F.binary_cross_entropy_with_logits(x, t, **options(tg.Tensor)),
                         lambda x, t: TF.binary_cross_entropy_with_logits(x, t, **options(torch.tensor)),
                         randn(4, 3, scale=3).astype(dtype), t)
    big = (randn(4, 3) * 1e4).astype(dtype)  # stable for saturated logits
    assert_matches_torch(lambda x: F.binary_cross_entropy_with_logits(x, tg.Tensor(t), **options(tg.Tensor)),
                         lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(t),
                                                                       **options(torch.tensor)),
                         big)
    module = nn.BCEWithLogitsLoss(**options(tg.Tensor))
    torch_module = torch.nn.BCEWithLogitsLoss(**options(torch.tensor))
    assert_matches_torch(lambda x: module(x, tg.Tensor(t)), lambda x: torch_module(x, torch.tensor(t)),
                         randn(4, 3).astype(dtype))
    assert repr(module) == repr(torch_module)


def test_bce_with_logits_pos_weight_second_order_matches_torch():
    x, t, pw, w = randn(4, 3), rng.random((4, 3)), rng.uniform(0.2, 3, 3), rng.uniform(0.2, 3, (4, 1))
    ours = tg.Tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(ours, tg.Tensor(t), tg.Tensor(w), pos_weight=tg.Tensor(pw))
    (g,) = tg.grad(loss, ours, create_graph=True)
    (g * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    loss = TF.binary_cross_entropy_with_logits(theirs, torch.tensor(t), torch.tensor(w),
                                               pos_weight=torch.tensor(pw))
    (g_theirs,) = torch.autograd.grad(loss, theirs, create_graph=True)
    (g_theirs * g_theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", [(3,), (4, 1), (), (4, 3)])
def test_bce_weight_matches_torch(dtype, reduction, weight_shape):
    t = rng.random((4, 3)).round(1).astype(dtype)
    w = rng.uniform(0.2, 3, weight_shape).astype(dtype)
    assert_matches_torch(lambda p, t: F.binary_cross_entropy(p, t, tg.Tensor(w), reduction=reduction),
                         lambda p, t: TF.binary_cross_entropy(p, t, torch.tensor(w), reduction=reduction),
                         rng.uniform(0.05, 0.95, (4, 3)).astype(dtype), t)
    module, torch_module = nn.BCELoss(tg.Tensor(w), reduction=reduction), torch.nn.BCELoss(torch.tensor(w),
                                                                                          reduction=reduction)
    assert_matches_torch(lambda x: module(x.sigmoid(), tg.Tensor(t)),
                         lambda x: torch_module(x.sigmoid(), torch.tensor(t)), randn(4, 3).astype(dtype))


def test_bce_weights_of_another_dtype_are_cast_to_the_inputs_as_torch():
    p, t = rng.uniform(0.05, 0.95, (4, 3)), rng.random((4, 3))
    for weight in (np.arange(1, 4), np.ones(3, np.float32)):
        ours = F.binary_cross_entropy(tg.Tensor(p), tg.Tensor(t), tg.Tensor(weight))
        theirs = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t), torch.tensor(weight))
        assert ours.dtype == np.float64 and theirs.dtype == torch.float64
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
        ours = F.binary_cross_entropy_with_logits(tg.Tensor(p).float(), tg.Tensor(t).float(),
                                                  pos_weight=tg.Tensor(weight).double())
        theirs = TF.binary_cross_entropy_with_logits(torch.tensor(p).float(), torch.tensor(t).float(),
                                                     pos_weight=torch.tensor(weight).double())
        assert ours.dtype == np.float32 and theirs.dtype == torch.float32
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)


@pytest.mark.parametrize("name", ["weight", "pos_weight"])
@pytest.mark.parametrize("shape", [(4,), (2, 4, 3), (3, 3)])
def test_bce_weights_that_do_not_broadcast_to_the_input_are_refused(name, shape):
    import re
    x, t = tg.randn(4, 3), tg.rand(4, 3)
    problem = rf"{name} of shape {re.escape(str(shape))} does not broadcast to the input's shape \(4, 3\)"
    with pytest.raises(ValueError, match=problem):
        F.binary_cross_entropy_with_logits(x, t, **{name: tg.ones(*shape)})
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy_with_logits(torch.randn(4, 3), torch.rand(4, 3), **{name: torch.ones(*shape)})
    if name == "weight":
        with pytest.raises(ValueError, match=r"weight of shape .* does not broadcast"):
            F.binary_cross_entropy(x.sigmoid(), t, tg.ones(*shape))


@pytest.mark.parametrize("call", [
    lambda w: F.binary_cross_entropy(tg.rand(2, 3), tg.rand(2, 3), w),
    lambda w: F.binary_cross_entropy_with_logits(tg.randn(2, 3), tg.rand(2, 3), w),
    lambda w: F.binary_cross_entropy_with_logits(tg.randn(2, 3), tg.rand(2, 3), pos_weight=w),
])
def test_bce_weights_must_be_constant_numeric_tensors(call):
    with pytest.raises(RuntimeError, match="not differentiable with respect to its (pos_)?weight"):
        call(tg.ones(3, requires_grad=True))
    with pytest.raises(TypeError, match="weight must be a Tensor, got list"):
        call([1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="weight must be numeric, got dtype"):
        call(tg.Tensor(np.array(["a", "b", "c"], dtype=object)))


def test_extra_dimension_and_unbatched_target_shapes_are_checked():
    with pytest.raises(ValueError, match=r"class-index targets for logits of shape \(2, 3, 5\) must have shape "
                                         r"\(2, 5\), got \(2, 3\)"):
        F.cross_entropy(tg.randn(2, 3, 5), np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match=r"probability targets for logits of shape \(2, 3, 5\) must have shape "
                                         r"\(2, 3, 5\), got \(2, 5, 3\)"):
        F.cross_entropy(tg.randn(2, 3, 5), np.full((2, 5, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"unbatched log-probabilities \(C,\) take a 0-d class index, got target "
                                         r"shape \(2,\)"):
        F.nll_loss(tg.randn(3), np.array([0, 1]))
    with pytest.raises(ValueError, match="1D target must have size 1"):
        TF.nll_loss(torch.randn(3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"with C >= 1 classes, got \(2, 0, 3\)"):
        F.cross_entropy(tg.randn(2, 0, 3), np.zeros((2, 3), np.int64))


# ---- init on zero-element tensors --------------------------------------------------------------

@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("shape, options", [
    ((3, 0), dict(mode="fan_in")), ((0, 3), dict(mode="fan_out")), ((0,), {}), ((2, 3, 0), dict(mode="fan_out")),
    ((0, 3), dict(mode="bad")), ((3, 0), dict(nonlinearity="bad")),
])
def test_kaiming_on_a_zero_element_tensor_warns_and_returns_it_unchanged_as_torch(fn, shape, options):
    ours = tg.zeros(*shape)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op") as ours_warnings:
        assert getattr(nn.init, fn)(ours, **options) is ours
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        getattr(torch.nn.init, fn)(torch.zeros(*shape), **options)
    assert ours.shape == shape and ours_warnings[0].filename == __file__  # the warning points at the caller


def test_kaiming_still_refuses_a_1d_tensor_and_a_bad_mode_on_a_non_empty_one():
    for lib, tensor in ((nn.init, tg.zeros(3)), (torch.nn.init, torch.zeros(3))):
        with pytest.raises(ValueError, match="(?i)fan in and fan out"):
            lib.kaiming_uniform_(tensor)
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.kaiming_normal_(tg.zeros(2, 3), mode="bad")


# ---- nn.utils ----------------------------------------------------------------------------------

def _two_layer_grads(lib, scale):
    """A Linear(3, 2) and a bias-free Linear(2, 1) of both libraries with the same weights and gradients."""
    torch.manual_seed(0)
    reference = [torch.nn.Linear(3, 2), torch.nn.Linear(2, 1, bias=False)]
    layers = [lib.nn.Linear(3, 2), lib.nn.Linear(2, 1, bias=False)] if lib is tg else reference
    if lib is tg:
        for ours, theirs in zip(layers, reference):
            ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3) * scale)
    (layers[1](layers[0](x)) ** 2).sum().backward()
    return [p for layer in layers for p in layer.parameters()]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _two_layer_grads(tg, 3.0), _two_layer_grads(torch, 3.0)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    assert total.dtype == np.float32
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_of_one_tensor_and_of_no_gradients_and_a_nonfinite_norm():
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()  # grad (6, 8): norm 10
    assert nn.utils.clip_grad_norm_(w, 5.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 4.0], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([tg.ones(2, requires_grad=True)], 1.0).item() == 0.0
    w.grad.fill_(float("nan"))
    with pytest.raises(RuntimeError, match="total norm .* is nan"):
        nn.utils.clip_grad_norm_(w, 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="expected Tensors .* got ndarray at position 0"):
        nn.utils.clip_grad_norm_([np.ones(2)], 1.0)


def test_clip_grad_value_matches_torch():
    ours, theirs = _two_layer_grads(tg, 3.0), _two_layer_grads(torch, 3.0)
    nn.utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)  # (float32 products' rounding)
    assert max(np.abs(p.grad.numpy()).max() for p in ours) == np.float32(0.7)  # some were clipped


def test_inplace_activations_and_dropout_write_into_their_input_as_in_torch():
    values = np.array([[-1.0, 2.0], [0.5, -3.0]])
    cases = [(lambda lib, x: lib.nn.functional.relu(x, inplace=True)),
             (lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2, inplace=True)),
             (lambda lib, x: lib.nn.ReLU(inplace=True)(x)),
             (lambda lib, x: lib.nn.LeakyReLU(0.2, inplace=True)(x)),
             (lambda lib, x: lib.nn.functional.dropout(x, 0.5, training=False, inplace=True))]
    for case in cases:
        results = []
        for lib in (tg, torch):
            w = lib.tensor(values, requires_grad=True)
            h = w * 1
            out = case(lib, h)
            assert out is h  # the input itself, changed
            (h * lib.tensor(values)).sum().backward()
            results.append((h.detach().numpy(), w.grad.numpy()))
        for ours, theirs in zip(*results):
            np.testing.assert_array_equal(ours, theirs)
    x = tg.ones(1000)
    assert F.dropout(x, 0.5, inplace=True) is x and 0 < (x.numpy() == 0).sum() < 1000  # zeroed in place
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        F.relu(tg.ones(2, requires_grad=True), inplace=True)  # as torch



@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_softmax_without_a_dim_takes_torchs_implicit_dim_with_its_warning(ndim):
    x = rng.standard_normal((2, 3, 4, 5)[:ndim])
    for ours, theirs in [(nn.Softmax(), torch.nn.Softmax()), (nn.LogSoftmax(), torch.nn.LogSoftmax()),
                         (F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)]:
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            got = ours(tg.tensor(x))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            expected = theirs(torch.tensor(x))
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    assert repr(nn.Softmax()) == repr(torch.nn.Softmax()) == "Softmax(dim=None)"


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float16", "float16"), ("float32", "float32")])
def test_clip_grad_norm_computes_in_torchs_dtypes(dtypes):
    grads = [np.array([-0.53, 0.21, 1.1]), np.array([2.4, -1.7, 3.3])]
    results = []
    for lib in (tg, torch):
        params = []
        for g, name in zip(grads, dtypes):
            p = lib.zeros(3, dtype=getattr(lib, name), requires_grad=True)
            p.grad = lib.tensor(g, dtype=getattr(lib, name))
            params.append(p)
        total = (nn.utils if lib is tg else torch.nn.utils).clip_grad_norm_(params, 1.0)
        results.append((str(total.dtype).removeprefix("torch."), total.item(), [p.grad.tolist() for p in params]))
    assert results[0][0] == results[1][0]
    assert results[0][1] == pytest.approx(results[1][1], rel=1e-6)
    for ours, theirs in zip(results[0][2], results[1][2]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-3 if dtypes[0] == "float16" else 1e-6)


@pytest.mark.parametrize("loss, theirs, target", [
    (F.mse_loss, TF.mse_loss, "values"),
    (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, "values"),
    (F.cross_entropy, TF.cross_entropy, "probabilities"),
], ids=["mse", "bce-with-logits", "cross-entropy"])
@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float16, np.float32), (np.float64, np.float32)])
def test_a_loss_computes_in_the_wider_float_dtype_of_input_and_target_as_torch(loss, theirs, target, dtypes):
    x = rng.standard_normal((4, 3)).astype(dtypes[0])
    t = rng.random((4, 3))
    t = (t / t.sum(1, keepdims=True) if target == "probabilities" else t).astype(dtypes[1])
    xt = torch.tensor(x, requires_grad=True)
    expected = theirs(xt, torch.tensor(t))
    expected.backward()
    ours = tg.tensor(x, requires_grad=True)
    got = loss(ours, tg.tensor(t))
    got.backward()
    assert got.dtype == np.promote_types(*dtypes) and ours.grad.dtype == x.dtype
    # torch's BCE with logits rounds to a narrower target's dtype (its in-place ops on the target
    # keep that dtype), against its own type promotion, which its other losses follow
    if not (loss is F.binary_cross_entropy_with_logits and np.dtype(dtypes[1]) < np.dtype(dtypes[0])):
        assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-3 if np.float16 in dtypes else 1e-6)
    np.testing.assert_allclose(ours.grad.data, xt.grad.numpy(), rtol=1e-2 if np.float16 in dtypes else 1e-5,
                               atol=1e-3 if np.float16 in dtypes else 1e-7)


def test_parameters_to_vector_and_back_as_torchs():
    for lib in (tg, torch):
        lib.manual_seed(0)
        layer = (nn if lib is tg else torch.nn).Linear(3, 2)
        utils = nn.utils if lib is tg else torch.nn.utils
        vec = utils.parameters_to_vector(layer.parameters())
        assert vec.shape == (8,) and vec.requires_grad
        np.testing.assert_array_equal(vec.detach().numpy()[:6], layer.weight.detach().numpy().ravel())
        vec.sum().backward()  # the vector is made from the parameters, in the graph
        np.testing.assert_array_equal(layer.weight.grad.numpy(), np.ones((2, 3)))
        new = lib.arange(8, dtype=lib.float64)
        utils.vector_to_parameters(new, layer.parameters())
        assert layer.weight.dtype == layer.bias.dtype == lib.float64
        np.testing.assert_array_equal(layer.bias.detach().numpy(), [6, 7])
        new[7] = -1  # the parameters now view the vector
        assert layer.bias.detach().numpy()[1] == -1
    with pytest.raises(TypeError, match="vector_to_parameters: expected a Tensor as vec, got ndarray"):
        nn.utils.vector_to_parameters(np.zeros(8), nn.Linear(3, 2).parameters())
    with pytest.raises(tg.ShapeError, match=r"vector_to_parameters: vec has 7 elements, the parameters 8"):
        nn.utils.vector_to_parameters(tg.zeros(7), nn.Linear(3, 2).parameters())
    for lib, module in ((tg, nn), (torch, torch.nn)):  # an integer vector cannot hold parameters that require grad
        with pytest.raises(RuntimeError, match="floating point"):
            module.utils.vector_to_parameters(lib.arange(8), module.Linear(3, 2).parameters())


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf")])
def test_get_total_norm_and_clip_grads_with_norm_make_clip_grad_norm_as_torchs(norm_type):
    ours, theirs = _two_layer_grads(tg, 3.0), _two_layer_grads(torch, 3.0)
    total = nn.utils.get_total_norm([p.grad for p in ours], norm_type)
    expected = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
    assert total.dtype == np.float32 and total.item() == pytest.approx(expected.item(), rel=1e-6)
    nn.utils.clip_grads_with_norm_(ours, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, expected)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="get_total_norm: the total norm of order 2.0 is nan"):
        nn.utils.get_total_norm(tg.tensor([np.nan]), error_if_nonfinite=True)
