"""In-place ops (add_, sub_, mul_, div_, clamp_, copy_, fill_, zero_, masked_fill_, the unary ones such as
exp_, uniform_ and normal_, the augmented assignments and index assignment) against torch: values, dtypes,
aliasing, and when they are refused."""
import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn, optim
from tinygrad_mnist.errors import DTypeError, ShapeError

UPDATES = {
    "iadd": lambda t, o: t.__iadd__(o), "isub": lambda t, o: t.__isub__(o),
    "imul": lambda t, o: t.__imul__(o), "itruediv": lambda t, o: t.__itruediv__(o),
    "add_alpha": lambda t, o: t.add_(o, alpha=0.5), "sub_alpha": lambda t, o: t.sub_(o, alpha=2),
    "mul_": lambda t, o: t.mul_(o), "div_": lambda t, o: t.div_(o),
    "copy_": lambda t, o: t.copy_(o),
    "masked_fill_": lambda t, o: t.masked_fill_(t > 2, o if isinstance(o, (int, float)) else o.sum()),
}
OTHERS = {"number": lambda lib: 3, "row": lambda lib: lib.tensor([1.0, 2.0, 4.0]),
          "same shape": lambda lib: lib.tensor([[1.0, -2.0, 4.0], [0.5, 3.0, -1.0]])}


CASES = [pytest.param(update, other, id=f"{u}-{o}") for u, update in UPDATES.items() for o, other in OTHERS.items()
         if not (u == "copy_" and o == "number")]  # copy_ takes a tensor, in torch too


@pytest.mark.parametrize("update, other", CASES)
def test_in_place_updates_write_into_the_tensors_own_array_as_in_torch(update, other):
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    ours, theirs = tg.tensor(values), torch.tensor(values)
    alias, alias_theirs = ours[0], theirs[0]  # a view sees the update in both libraries
    result, expected = update(ours, other(tg)), update(theirs, other(torch))
    assert result is ours and expected is theirs
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(alias.numpy(), alias_theirs.numpy())
    assert ours.dtype == tg.float32


def test_a_hand_written_sgd_step_under_no_grad_updates_the_model():
    torch_model = torch.nn.Linear(3, 2)
    model = nn.Linear(3, 2)
    model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    for lib, m in ((tg, model), (torch, torch_model)):
        m(lib.tensor(x)).sum().backward()
        with lib.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
    for ours, theirs in zip(model.parameters(), torch_model.parameters()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
        assert ours.requires_grad and ours.is_leaf


def test_index_assignment_matches_torch():
    ours, theirs = tg.zeros(3, 4), torch.zeros(3, 4)
    for lib, t in ((tg, ours), (torch, theirs)):
        t[0] = 5
        t[t > 2] += 1
        t[:, [0, 2]] = lib.tensor([7.0, 8.0])
        t[1:, -1] = lib.tensor([[-1.0], [-2.0]])[:, 0]
        t[2, [1, 1]] = 9.0
        t[[1, 0], True, 1] = lib.tensor([3.0, 4.0])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


SETITEM_CASES = {  # index, value; each as torch: a value of another dtype is cast, but not by index_put
    "int, float tensor": (lambda L: 0, lambda L: L.tensor([7.6, 8.9, 1.2, 3.5])),
    "slice, float tensor": (lambda L: slice(0, 2), lambda L: L.tensor(7.6)),
    "0-d int tensor, float tensor": (lambda L: L.tensor(1), lambda L: L.tensor([7.6])),
    "tensor, number": (lambda L: L.tensor([0, 2]), lambda L: 7.6),
    "list, number": (lambda L: [0, 2], lambda L: 8.9),
    "mask, one-element float tensor": (lambda L: L.tensor([True, False, True]), lambda L: L.tensor([7.6])),
    "mask and slice, 0-d float tensor": (lambda L: (L.tensor([True, False, True]), slice(1, None)),
                                         lambda L: L.tensor(7.6)),
    "tensor, int64 tensor": (lambda L: L.tensor([0, 2]), lambda L: L.tensor([7, 8, 9, 10])),
    "Python True, float tensor": (lambda L: True, lambda L: L.tensor([7.6])),
}


@pytest.mark.parametrize("index, value", SETITEM_CASES.values(), ids=SETITEM_CASES.keys())
def test_assigning_values_of_another_dtype_into_an_integer_tensor_matches_torch(index, value):
    ours, theirs = tg.zeros(3, 4, dtype=tg.int64), torch.zeros(3, 4, dtype=torch.int64)
    ours[index(tg)] = value(tg)
    theirs[index(torch)] = value(torch)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


INDEX_PUT_MISMATCHES = {  # index, destination dtype, value
    "tensor, float into int": (lambda L: L.tensor([0, 2]), "int64", lambda L: L.tensor([7.6, 8.9, 1.2, 3.5])),
    "list, 0-d float into int": (lambda L: [0, 2], "int64", lambda L: L.tensor(7.6)),
    "int and list, int32 into int64": (lambda L: (0, [1, 2]), "int64", lambda L: L.tensor([7, 8], dtype=L.int32)),
    "tensor, float64 into float32": (lambda L: L.tensor([0, 2]), "float32", lambda L: L.tensor([1.5], dtype=L.float64)),
    "mask, several floats into int": (lambda L: L.tensor([True, False, True]), "int64", lambda L: L.ones(2, 4) * 1.5),
    "0-d mask, floats into int": (lambda L: L.tensor(True), "int64", lambda L: L.ones(3, 4) * 1.5),
}


@pytest.mark.parametrize("index, dtype, value", INDEX_PUT_MISMATCHES.values(), ids=INDEX_PUT_MISMATCHES.keys())
def test_assigning_through_an_advanced_index_needs_the_tensors_dtype_as_in_torch(index, dtype, value):
    theirs = torch.zeros(3, 4, dtype=getattr(torch, dtype))
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        theirs[index(torch)] = value(torch)
    ours = tg.zeros(3, 4, dtype=getattr(tg, dtype))
    with pytest.raises(DTypeError, match=rf"index assignment: the value has dtype \w+ and this tensor {dtype}.*"
                                         rf"\.to\(tg\.{dtype}\)"):
        ours[index(tg)] = value(tg)
    assert not ours.numpy().any()


def test_an_in_place_result_that_does_not_fit_is_refused():
    with pytest.raises(DTypeError, match="can't be cast"):
        tg.arange(4).div_(2)  # torch: result type Float can't be cast to the desired output type Long
    with pytest.raises(RuntimeError):
        torch.arange(4).div_(2)
    with pytest.raises(ShapeError, match="does not fit"):
        tg.zeros(3).add_(tg.ones(2, 3))
    with pytest.raises(RuntimeError):
        torch.zeros(3).add_(torch.ones(2, 3))


@pytest.mark.parametrize("update", [lambda t: t.add_(1), lambda t: t.__imul__(2), lambda t: t.zero_(),
                                    lambda t: t.__setitem__(0, 1.0), lambda t: t.copy_(tg.ones(3))],
                         ids=["add_", "imul", "zero_", "setitem", "copy_"])
def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_recording_as_in_torch(update):
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        update(w)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.ones(3, requires_grad=True).add_(1)
    with tg.no_grad():
        update(w)


GRAPH_UPDATES = {
    "iadd": lambda h, w, lib: h.__iadd__(w), "imul": lambda h, w, lib: h.__imul__(w * 2),
    "sub_alpha": lambda h, w, lib: h.sub_(w, alpha=3), "div_": lambda h, w, lib: h.div_(w + 4),
    "pow_": lambda h, w, lib: h.pow_(2), "clamp_": lambda h, w, lib: h.clamp_(-1.0, 2.0),
    "zero_": lambda h, w, lib: h.zero_(), "fill_": lambda h, w, lib: h.fill_(3.0),
    "copy_": lambda h, w, lib: h.copy_(w[0]),
    "setitem-int": lambda h, w, lib: h.__setitem__(1, w[0] * 5),
    "setitem-mask": lambda h, w, lib: h.__setitem__(h > 1, 0.0),
    "masked_fill_": lambda h, w, lib: h.masked_fill_(lib.tensor([True, False, True]), 2.0),
    "masked_fill_-tensor": lambda h, w, lib: h.masked_fill_(h < 0, w[0, 1] * 3),
    "setitem-array": lambda h, w, lib: h.__setitem__((slice(None), lib.tensor([2, 0])), w[:, :2] * w[:, 1:]),
}


@pytest.mark.parametrize("update", GRAPH_UPDATES.values(), ids=GRAPH_UPDATES.keys())
def test_in_place_ops_in_a_graph_are_recorded_as_torch_records_them(update):
    values = np.array([[0.5, -1.5, 2.0], [1.0, 3.0, -0.25]])
    grads = []
    for lib in (tg, torch):
        w = lib.tensor(values, requires_grad=True)
        h = w * 1.5 - 0.25  # a non-leaf in the graph
        total = lib.zeros(())
        update(h, w, lib)
        total += (h * h).sum()  # a tensor outside the graph joins it, as in torch
        total.backward()
        grads.append((h.detach().numpy(), total.item(), w.grad.numpy()))
    (h_ours, total_ours, g_ours), (h_theirs, total_theirs, g_theirs) = grads
    np.testing.assert_allclose(h_ours, h_theirs, rtol=1e-12)
    assert total_ours == pytest.approx(total_theirs, rel=1e-12)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-12)


UNARY_IN_PLACE = ["exp_", "log_", "sqrt_", "square_", "abs_", "neg_", "sigmoid_", "tanh_"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", UNARY_IN_PLACE)
def test_unary_in_place_ops_write_into_the_tensors_own_array_as_in_torch(name, dtype):
    values = np.array([[0.5, 2.0, 3.0], [4.0, 1.5, 0.25]], dtype=dtype) * (1 if name in ("log_", "sqrt_") else -1)
    ours, theirs = tg.tensor(values), torch.tensor(values)
    alias, alias_theirs = ours[0], theirs[0]
    assert getattr(ours, name)() is ours and getattr(theirs, name)() is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    np.testing.assert_allclose(alias.numpy(), alias_theirs.numpy(), rtol=1e-6)
    assert ours.dtype == dtype


@pytest.mark.parametrize("name", ["exp_", "log_", "sqrt_", "sigmoid_", "tanh_"])
def test_float_valued_in_place_ops_on_an_integer_tensor_are_refused_as_in_torch(name):
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(torch.tensor([1, 2]), name)()
    with pytest.raises(DTypeError, match="can't be cast"):
        getattr(tg.tensor([1, 2]), name)()


def test_integer_in_place_ops_keep_the_dtype_and_wrap_around_as_in_torch():
    for lib in (tg, torch):
        assert lib.tensor([-3, 2]).abs_().tolist() == [3, 2]
        assert lib.tensor([1, 0], dtype=lib.uint8).neg_().tolist() == [255, 0]
        assert lib.tensor([300], dtype=lib.int16).square_().tolist() == [24464]
        assert lib.tensor([0.5, 3.0]).clip_(max=1.0).tolist() == [0.5, 1.0]
        with pytest.raises((RuntimeError, DTypeError)):
            lib.tensor([True]).square_()  # int64 does not go into bool


@pytest.mark.parametrize("name", UNARY_IN_PLACE + ["uniform_", "normal_"])
def test_unary_and_random_in_place_ops_on_a_leaf_that_requires_grad_are_refused_as_in_torch(name):
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(torch.ones(3, requires_grad=True), name)()
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        getattr(w, name)()
    with tg.no_grad():
        getattr(w, name)()


@pytest.mark.parametrize("name", UNARY_IN_PLACE)
def test_unary_in_place_ops_in_a_graph_are_recorded_as_torch_records_them(name):
    values = np.array([[0.5, -1.5, 2.0], [1.0, 3.0, -0.25]])
    results = []
    for lib in (tg, torch):
        w = lib.tensor(values, requires_grad=True)
        h = (w * 1.5 - 0.25).abs() if name in ("log_", "sqrt_") else w * 1.5 - 0.25
        getattr(h, name)()
        (h * h).sum().backward()
        results.append((h.detach().numpy(), w.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_uniform_and_normal_in_a_graph_replace_the_values_and_pass_no_gradient_back_as_in_torch():
    for lib in (tg, torch):
        w = lib.ones(4, dtype=lib.float64, requires_grad=True)
        h, k = w * 2, w * 3
        h.uniform_(-1, 1)
        k.normal_()
        (h * h + k).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), np.zeros(4))
        assert (h.detach().abs() < 1).all()


def test_in_place_in_a_graph_on_memory_held_elsewhere_is_refused_rather_than_left_unseen():
    w = tg.ones(2, 3, requires_grad=True)
    h = w * 2
    view = h[0]
    for target in (view, h):  # h's memory is viewed; the view's belongs to h
        with pytest.raises(RuntimeError, match="memory is also held elsewhere"):
            target += w[0] if target is view else w
    array = np.zeros((2, 3))
    wrapped = tg.Tensor(array)  # shares array's memory
    with pytest.raises(RuntimeError, match="memory is also held elsewhere"):
        wrapped += w
    a = w * 1
    b = a * 3  # Mul saved a for backward; torch would refuse at backward
    with pytest.raises(RuntimeError, match="saved for backward"):
        a += 1


def test_a_recorded_in_place_op_keeps_a_retained_gradient_on_the_new_version():
    results = []
    for lib in (tg, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = w * 3
        h.retain_grad()
        h += 1
        h.sum().backward()
        results.append((h.retains_grad, h.grad.numpy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_a_value_that_requires_grad_written_into_an_integer_tensor_is_not_recorded_as_torch():
    w = tg.tensor([2.7, 3.2], requires_grad=True)
    a = tg.zeros(2, dtype=tg.int64)
    a[0] = w[0]
    assert not a.requires_grad and a.tolist() == [2, 0]
    t = torch.zeros(2, dtype=torch.int64)
    t[0] = torch.tensor([2.7, 3.2], requires_grad=True)[0]
    assert not t.requires_grad and t.tolist() == [2, 0]


def test_recorded_index_assignment_of_0_d_and_broadcast_values_matches_torch():
    grads = []
    for lib in (tg, torch):
        w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        h = w * 2
        h[0] = w[1:] * 5  # a (1, 3) value into a (3,) row
        s = (w * 1).sum()
        s.zero_()  # a 0-d tensor: its gradient comes as a NumPy scalar
        (h.sum() + s * 3).backward()
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_an_in_place_op_on_a_read_only_array_says_so():
    v = tg.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="read-only .*clone"):
        v.add_(1)
    with pytest.raises(RuntimeError, match="read-only"):
        v[0, 0] = 5


@pytest.mark.parametrize("op", ["//=", "%=", "**=", "&=", "|=", "^="])
def test_every_augmented_assignment_works_in_place_as_in_torch(op):
    values = np.array([7, 9, 12], dtype=np.int64)
    other = 3 if op != "**=" else 2
    results = []
    for lib in (tg, torch):
        x = lib.tensor(values)
        alias = x[:]
        exec(f"x {op} other", {"x": x, "other": other})
        results.append((x.numpy(), alias.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])  # the alias sees it: in place


def test_integer_results_cast_into_a_smaller_integer_dtype_in_place_as_in_torch():
    ours, theirs = tg.tensor(np.array([15, 25, 23], np.uint8)), torch.tensor(np.array([15, 25, 23], np.uint8))
    ours -= tg.tensor([1, 2, 3])
    theirs -= torch.tensor([1, 2, 3])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == tg.uint8


def test_backward_through_an_array_an_in_place_op_changed_is_refused():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with tg.no_grad():
        w.mul_(3)
    with pytest.raises(RuntimeError, match=r"changed in place \(by mul_\)"):
        loss.backward()


def test_an_optimizer_sees_a_hand_written_change_of_its_parameter():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    (w * w).sum().backward()
    with tg.no_grad():
        w.add_(10)  # the optimizer's array is the tensor's own: no copy to fall out of step
    opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), [11.0 - 1.0, 12.0 - 2.0])


def test_detach_in_place_cuts_the_tensor_from_its_graph():
    w = tg.ones(2, requires_grad=True)
    h = w * 2
    assert h.detach_() is h
    assert not h.requires_grad and h.is_leaf and h.grad_fn is None
    t = (torch.ones(2, requires_grad=True) * 2).detach_()
    assert not t.requires_grad and t.is_leaf


@pytest.mark.parametrize("build, uses_x", [
    (lambda lib, w, x: (w * 3).sum(), False),
    (lambda lib, w, x: (x @ w).sum(), True),
    (lambda lib, w, x: (lib.nn.functional.linear(x, w.T) if lib is torch else nn.functional.linear(x, w.T)).sum(),
     True),
], ids=["mul", "matmul", "linear"])
def test_a_saved_value_no_wanted_gradient_reads_may_change_before_backward_as_in_torch(build, uses_x):
    grads = []
    for lib in (tg, torch):
        w = lib.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
        x = lib.tensor(np.ones((4, 3)))  # needs no gradient, so no gradient reads w's value
        loss = build(lib, w, x)
        with lib.no_grad():
            w.mul_(0.5)
        loss.backward()
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(*grads)
    if uses_x:  # once x wants its gradient, which reads w, the change is an error again
        w = tg.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
        loss = build(tg, w, tg.tensor(np.ones((4, 3)), requires_grad=True))
        with tg.no_grad():
            w.mul_(0.5)
        with pytest.raises(RuntimeError, match="changed in place"):
            loss.backward()


def test_an_element_indexed_by_integers_is_a_view_as_in_torch():
    results = []
    for lib in (tg, torch):
        a = lib.zeros(2, 3)
        a[0, 1].fill_(-1)
        a[1, 2].add_(100)
        counts = lib.zeros(3)
        for c in [0, 2, 2]:
            counts[c] += 1
        v = lib.zeros(4)
        element = v[2]
        v.fill_(9)
        results.append((a.numpy().copy(), counts.numpy().copy(), float(element)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2] == 9


def test_a_one_element_value_goes_into_a_one_element_slot_as_in_torch():
    results = []
    for lib in (tg, torch):
        preds, grid = lib.zeros(3), lib.zeros(2, 3)
        preds[1] = lib.tensor([5.0])
        grid[0, 1] = lib.tensor([[7.0]])
        w = lib.tensor([2.0], requires_grad=True)
        buf = w * 0 + lib.zeros(3)  # in the graph: recorded as an index put
        buf[1] = w * 3
        buf.sum().backward()
        results.append((preds.numpy(), grid.numpy(), buf.detach().numpy(), w.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("change", ["y[0] *= 3", "y[1] += y[0]", "y[0] = y[0] * 3", "first = y[0]; y[1] = 7.0"])
def test_an_element_of_a_tensor_in_a_graph_can_be_changed_as_in_torch(change):
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        scope = {"y": y}
        exec(change, scope)
        (y.sum() + scope.get("first", 0)).backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("change", [lambda e: e.fill_(0), lambda e: e.add_(1), lambda e: e.zero_(),
                                    lambda e: e.copy_(tg.tensor(5.0, dtype=tg.float64))],
                         ids=["fill_", "add_", "zero_", "copy_"])
def test_an_in_place_method_on_an_element_of_a_tensor_in_a_graph_says_to_assign_instead(change):
    # torch writes into y through its view tracking; here the element is a copy, so a silent no-op is refused
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"on an element of a tensor in a graph .* assign instead: y\[i\] ="):
        change(y[0])
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 4.0, 6.0])


@pytest.mark.parametrize("change", [lambda e: e.fill_(0), lambda e: e.add_(10)], ids=["fill_", "add_"])
@pytest.mark.parametrize("shape, index", [((2, 2), (0, 1)), ((3,), 0)], ids=["w[0, 1]", "b[0]"])
def test_an_in_place_method_under_no_grad_on_an_element_taken_in_a_graph_says_to_assign_instead(change, shape, index):
    # torch changes w through its view; here an element taken with grad mode on is a copy
    w = tg.ones(*shape, requires_grad=True)
    element = w[index]
    with tg.no_grad(), pytest.raises(RuntimeError, match=r"element of a tensor in a graph .* assign instead: y\[i\] ="):
        change(element)
    assert (w.detach().numpy() == 1).all()


@pytest.mark.parametrize("lib", [tg, torch])
def test_an_element_taken_under_no_grad_and_a_row_are_views_that_in_place_methods_write_through_as_torch(lib):
    w = lib.ones(2, 2, requires_grad=True)
    with lib.no_grad():
        w[0, 1].fill_(0)
        w[1, 0].add_(2)
    row = w[1]  # a row is a view even when taken in a graph
    with lib.no_grad():
        row.mul_(2)
    assert w.tolist() == [[1.0, 0.0], [6.0, 2.0]]
