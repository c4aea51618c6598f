"""Module registration, state_dict, repr and init, against torch."""
import copy
import inspect
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                               torch.nn.Linear(128, 10))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
        self.heads = nn.ModuleList([nn.Linear(3, 2), nn.Linear(3, 1, bias=False)])
        self.scale = nn.Parameter(np.ones(1))
        self.note = "not registered"

    def forward(self, x):
        h = self.encoder(x)
        return tg.cat([head(h) for head in self.heads], dim=1) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh())
        self.heads = torch.nn.ModuleList([torch.nn.Linear(3, 2), torch.nn.Linear(3, 1, bias=False)])
        self.scale = torch.nn.Parameter(torch.ones(1))


def test_repr_and_state_dict_keys_equal_torch():
    assert repr(mlp()) == repr(torch_mlp())
    assert list(mlp().state_dict()) == list(torch_mlp().state_dict())
    assert repr(Net()).replace("Net", "") == repr(TorchNet()).replace("TorchNet", "")
    assert [n for n, _ in Net().named_parameters()] == [n for n, _ in TorchNet().named_parameters()]


def test_state_dict_moves_both_ways_and_outputs_agree():
    ours, theirs = mlp().eval(), torch_mlp().eval()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_allclose(ours(tg.Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = mlp().eval()
    back.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(back(tg.Tensor(x)).data, ours(tg.Tensor(x)).data)


def test_load_state_dict_keeps_parameter_arrays_in_place():
    model = mlp()
    arrays = [p.data for p in model.parameters()]
    model.load_state_dict(mlp().state_dict())
    assert all(p.data is a for p, a in zip(model.parameters(), arrays))


def test_state_dict_shares_the_modules_memory_as_in_torch():
    weights = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    averaged = []
    for lib in (tg, torch):
        model, ema = lib.nn.Linear(3, 2, bias=False), lib.nn.Linear(3, 2, bias=False)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(weights))
            ema.weight.zero_()
            source = model.state_dict()
            for k, v in ema.state_dict().items():  # the usual EMA of weights
                v *= 0.5
                v += 0.5 * source[k]
        averaged.append(np.asarray(ema.weight.detach().numpy()))
    np.testing.assert_array_equal(averaged[0], averaged[1])
    np.testing.assert_array_equal(averaged[0], weights * 0.5)
    model = nn.Linear(784, 256)  # a column-major weight (see nn.Linear) is handed out as it is
    assert model.state_dict()["weight"] is model.weight.data


def test_load_state_dict_errors_name_the_keys_and_shapes():
    model = mlp()
    sd = model.state_dict()
    del sd["0.bias"]
    sd["extra.weight"] = np.zeros(3)
    sd["3.weight"] = np.zeros((10, 64))
    with pytest.raises(tg.ShapeError) as err:
        model.load_state_dict(sd)
    msg = str(err.value)
    assert "missing keys: 0.bias" in msg and "unexpected keys: extra.weight" in msg
    assert "3.weight: shape (10, 64) in the state_dict, (10, 128) in the model" in msg


def test_load_state_dict_non_strict_reports_keys():
    model = nn.Linear(3, 2)
    result = model.load_state_dict({"weight": np.ones((2, 3)), "other": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    assert np.all(model.weight.data == 1)


def test_train_eval_propagate_and_zero_grad():
    model = Net()
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(tg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_reassigning_and_deleting_attributes_updates_registration():
    model = Net()
    model.scale = None
    assert "scale" not in dict(model.named_parameters())
    del model.heads
    assert [n for n, _ in model.named_children()] == ["encoder"]


def _swap_net(lib, module):
    class SwapNet(module.Module):
        def __init__(self):
            super().__init__()
            self.fc = module.Linear(2, 2)
            self.act = module.ReLU()

        def forward(self, x):
            return self.act(self.fc(x))
    lib.manual_seed(0)
    return SwapNet()


def test_writing_into_the_registries_changes_what_forward_uses_as_in_torch():
    x = np.array([[-1.0, 2.0]], np.float32)
    results = []
    for lib, module in ((tg, nn), (torch, torch.nn)):
        net = _swap_net(lib, module)
        for name, child in list(net.named_children()):  # the usual "swap every ReLU"
            if isinstance(child, module.ReLU):
                net._modules[name] = module.Tanh()
        assert isinstance(net.act, module.Tanh)
        with lib.no_grad():
            net.fc.weight.copy_(lib.tensor([[2.0, 0.25], [-2.0, 0.25]]))
            net.fc.bias.copy_(lib.tensor([0.5, -0.5]))
        swapped = net(lib.tensor(x)).detach().numpy()
        zeros = module.Parameter(lib.zeros(2, 2))
        net.fc._parameters["weight"] = zeros
        assert net.fc.weight is zeros
        bias_only = net(lib.tensor(x)).detach().numpy()
        del net.fc._parameters["bias"]
        assert not hasattr(net.fc, "bias") and [n for n, _ in net.named_parameters()] == ["fc.weight"]
        running = lib.ones(3)
        net._buffers["running"] = running
        assert net.running is running and net.get_buffer("running") is running
        del net._buffers["running"]
        net._modules["extra"] = module.Identity()
        del net.extra  # a child put only in _modules, deleted as an attribute
        assert [n for n, _ in net.named_children()] == ["fc", "act"] and not hasattr(net, "extra")
        results.append((swapped, bias_only))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][0].min() < 0  # the Tanh ran, not the ReLU


def test_every_dict_operation_on_a_registry_reaches_the_attribute():
    net = _swap_net(tg, nn)
    tanh, sigmoid, identity = nn.Tanh(), nn.Sigmoid(), nn.Identity()
    net._modules.update(act=tanh)
    assert net.act is tanh
    net._modules |= {"act": sigmoid}
    assert net.act is sigmoid
    net._modules.setdefault("extra", identity)
    assert net.extra is identity
    assert net._modules.pop("extra") is identity and not hasattr(net, "extra")
    assert net._modules.pop("missing", None) is None
    assert net._modules.popitem() == ("act", sigmoid) and not hasattr(net, "act")
    net.fc._parameters.clear()
    assert not hasattr(net.fc, "weight") and not hasattr(net.fc, "bias") and list(net.parameters()) == []
    twin = copy.deepcopy(net)
    twin._modules["act"] = tanh
    assert twin.act is tanh and not hasattr(net, "act")
    # printed as torch's registries, which are dicts
    assert repr(nn.Sequential(nn.Tanh())._modules) == repr(torch.nn.Sequential(torch.nn.Tanh())._modules)


def test_a_shallow_copy_shares_the_registries_as_in_torch():
    seen = []
    for lib, module in ((tg, nn), (torch, torch.nn)):
        lin = module.Linear(2, 1)
        twin = copy.copy(lin)
        twin.weight = module.Parameter(lib.ones(1, 2) * 7)  # torch's registries are shared: both change
        net = module.Sequential(module.Linear(2, 2))
        other = copy.copy(net)
        other.extra = module.ReLU()
        del net.extra
        seen.append((twin.weight.tolist(), lin.weight.tolist(), hasattr(other, "extra"), len(other._modules),
                     twin.training))
    assert seen[0] == seen[1] == ([[7.0, 7.0]], [[7.0, 7.0]], False, 1, True)


def test_a_shallow_copy_is_freed_and_pickles_and_deep_copies_as_a_module_of_its_own():
    import gc
    import pickle
    import weakref
    lin = nn.Linear(2, 2)
    before = len(pickle.dumps(lin))
    twin = copy.copy(lin)
    gone = weakref.ref(twin)
    del twin
    gc.collect()
    assert gone() is None and len(pickle.dumps(lin)) == before  # the original does not keep its copies
    twin = copy.copy(lin)
    for restored in (pickle.loads(pickle.dumps(twin)), copy.deepcopy(twin)):
        restored.bias = None
        assert restored.bias is None and list(restored.state_dict()) == ["weight"]
    assert lin.bias is not None and twin.bias is not None


def test_replacing_a_layer_or_parameter_keeps_its_place_as_in_torch():
    ours = nn.Sequential(OrderedDict(fc1=nn.Linear(4, 4), act=nn.ReLU(), fc2=nn.Linear(4, 4)))
    theirs = torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(4, 4), act=torch.nn.ReLU(), fc2=torch.nn.Linear(4, 4)))
    ours.fc1, theirs.fc1 = nn.Linear(4, 4), torch.nn.Linear(4, 4)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(np.zeros((2, 2), np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_a_wrong_type_over_a_parameter_or_submodule_raises_and_none_keeps_the_slot_as_in_torch():
    for lib in (nn, torch.nn):
        layer = lib.Linear(2, 2)
        with pytest.raises(TypeError, match="as parameter 'weight' .*Parameter or None expected"):
            layer.weight = (tg.ones if lib is nn else torch.ones)(2, 2)
        with pytest.raises(TypeError, match="as parameter 'weight'"):
            layer.weight = lib.ReLU()
        assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
        layer.weight = None
        assert layer.weight is None and [n for n, _ in layer.named_parameters()] == ["bias"]
        layer.weight = lib.Parameter((tg.zeros if lib is nn else torch.zeros)(2, 2))
        assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
        model = lib.Sequential(lib.Linear(2, 2), lib.ReLU())
        with pytest.raises(TypeError, match="as child module '1' .*Module or None expected"):
            setattr(model, "1", "relu")
        setattr(model, "0", None)
        assert len(model) == 2 and [n for n, _ in model.named_modules()] == ["", "1"]
        assert list(model.state_dict()) == [] and repr(model).splitlines()[1] == "  (0): None"
        setattr(model, "0", lib.Linear(2, 2))
        assert list(model.state_dict()) == ["0.weight", "0.bias"]


@pytest.mark.parametrize("build, message", [
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.functional.relu), "cannot add 'function' as child module '1'"),
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU), "the class 'ReLU' \\(not an instance\\)"),
    (lambda: nn.ModuleList().append(3), "cannot add 'int' as child module '0'"),
    (lambda: nn.ModuleList([nn.ReLU(), "tanh"]), "cannot add 'str' as child module '1'"),
    (lambda: nn.Module().add_module("layer", 3), "cannot add 'int' as child module 'layer'"),
    (lambda: nn.Module().register_parameter("w", tg.ones(2)), "cannot register 'Tensor' as parameter 'w'"),
])
def test_containers_refuse_what_is_not_a_module_instead_of_skipping_it(build, message):
    with pytest.raises(TypeError, match=message):
        build()


def test_a_shared_parameter_is_listed_once_and_gets_both_gradients():
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    assert len(list(model.parameters())) == 2
    x = np.random.default_rng(1).standard_normal((4, 3))
    model.double()
    t_lin = torch.nn.Linear(3, 3).double()
    t_lin.load_state_dict({k: torch.tensor(v) for k, v in lin.state_dict().items()})
    model(tg.Tensor(x)).sum().backward()
    t_lin(torch.tanh(t_lin(torch.tensor(x)))).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.data, t_lin.weight.grad.numpy(), rtol=1e-10)


def tied(lib):
    model = lib.Module()
    model.a, model.b = lib.Linear(3, 3), lib.Linear(3, 3)
    model.b.weight = model.a.weight
    shared = lib.Linear(3, 2)
    model.c = lib.Sequential(shared, lib.ReLU(), shared)
    return model


def test_state_dict_keeps_every_name_of_a_tied_parameter_and_loads_torchs():
    ours, theirs = tied(nn), tied(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "a.weight", "a.bias", "b.weight", "b.bias", "c.0.weight", "c.0.bias", "c.2.weight", "c.2.bias"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == [
        "a.weight", "a.bias", "b.bias", "c.0.weight", "c.0.bias"]
    ours.load_state_dict(theirs.state_dict())
    assert ours.b.weight is ours.a.weight
    np.testing.assert_array_equal(ours.a.weight.data, theirs.a.weight.detach().numpy())
    np.testing.assert_array_equal(ours.c[2].bias.data, theirs.c[0].bias.detach().numpy())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in tied(nn).state_dict().items()})


def test_children_list_a_module_registered_twice_once_as_in_torch():
    names = []
    for lib in (nn, torch.nn):
        model = lib.Module()
        model.a = lib.Linear(2, 2)
        model.add_module("empty", None)
        model.b = lib.ReLU()
        model.c = model.a
        names.append([n for n, _ in model.named_children()])
        assert list(model.children()) == [model.a, model.b]
    assert names[0] == names[1] == ["a", "b"]


def test_sequential_indexing_slicing_and_iteration():
    model = mlp()
    assert len(model) == 4 and isinstance(model[0], nn.Linear) and isinstance(model[-1], nn.Linear)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Dropout", "Linear"]
    model.append(nn.Softmax(dim=1))
    assert len(model) == 5


def layout(container):
    return [(name, type(m).__name__) for name, m in container._modules.items()]


@pytest.mark.parametrize("container", ["Sequential", "ModuleList"])
def test_list_operations_renumber_the_children_as_in_torch(container):
    libs = (nn, torch.nn)
    seqs = [getattr(lib, container)([lib.Linear(2, 2), lib.ReLU(), lib.Tanh()]) if container == "ModuleList"
            else lib.Sequential(lib.Linear(2, 2), lib.ReLU(), lib.Tanh()) for lib in libs]
    steps = [
        lambda lib, s: s.__setitem__(-1, lib.Sigmoid()),
        lambda lib, s: s.insert(0, lib.Identity()),
        lambda lib, s: s.insert(2, lib.Tanh()),
        lambda lib, s: s.insert(len(s), lib.ReLU()),
        lambda lib, s: s.extend([lib.ReLU(), lib.Tanh()]),
        lambda lib, s: s.__delitem__(0),
        lambda lib, s: s.__delitem__(slice(1, 6, 2)),
        lambda lib, s: s.__delitem__(-1),
    ]
    for step in steps:
        for lib, s in zip(libs, seqs):
            step(lib, s)
        assert layout(seqs[0]) == layout(seqs[1])
    ours, theirs = seqs
    assert type(ours.pop(0)).__name__ == type(theirs.pop(0)).__name__
    assert layout(ours.pop(slice(0, 1))) == layout(theirs.pop(slice(0, 1))) and layout(ours) == layout(theirs)
    assert len(ours) == 1 and not hasattr(ours, "1") and all(getattr(ours, str(i)) is m for i, m in enumerate(ours))
    for lib, s in zip(libs, seqs):
        for bad in (lambda: s.__setitem__(5, lib.ReLU()), lambda: s.__delitem__(5), lambda: s.pop(-5)):
            with pytest.raises(IndexError, match="index -?5 is out of range"):
                bad()
    with pytest.raises(IndexError, match="insert: index 9 is out of range"):
        ours.insert(9, nn.ReLU())
    with pytest.raises(TypeError, match="cannot add 'int' as child module '0'"):
        ours.insert(-1, 3)
    with pytest.raises(TypeError, match="expected an iterable of Modules, got 'int'"):
        ours.extend(3)
    assert layout(ours) == layout(theirs)


def test_a_sequential_keeps_running_its_layers_in_order_after_list_operations():
    model = nn.Sequential(OrderedDict(fc1=nn.Linear(3, 4), act=nn.ReLU(), fc2=nn.Linear(4, 2)))
    theirs = torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(3, 4), act=torch.nn.ReLU(), fc2=torch.nn.Linear(4, 2)))
    for s, lib in ((model, nn), (theirs, torch.nn)):
        del s[1]
        s.insert(1, lib.Tanh())
        s.append(lib.Sigmoid())
    assert list(model.state_dict()) == list(theirs.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(model(tg.Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_module_list_starts_empty_from_none_and_grows_with_plus_equals():
    for lib in (nn, torch.nn):
        modules = lib.ModuleList(None)
        same = modules
        modules += [lib.ReLU(), lib.Tanh()]
        assert modules is same and layout(modules) == [("0", "ReLU"), ("1", "Tanh")]
        assert len(lib.ModuleList()) == 0


def test_to_double_runs_the_model_in_float64():
    model = mlp().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(tg.randn(2, 784, dtype=tg.float64)).dtype == np.float64
    assert all(p.dtype == np.float32 for p in model.float().parameters())


def test_to_takes_the_cpu_device_and_floating_dtypes_and_names_anything_else():
    model = nn.Linear(2, 2)
    assert model.to("cpu") is model and model.weight.dtype == np.float32
    assert model.to("cpu", np.float64).weight.dtype == np.float64
    assert model.to(dtype=np.float16).weight.dtype == np.float16 and model.to(np.float32).weight.dtype == np.float32
    for args, error, message in [
        ((np.int64,), TypeError, "only be converted to floating-point dtypes, got int64"),
        ((torch.float64,), TypeError, "^Module.to: torch.float64 is torch's dtype; .*: use tg.float64$"),
        (("cuda",), ValueError, "the only device is 'cpu', got 'cuda'"),
        (("mps:0",), ValueError, "the only device is 'cpu', got 'mps:0'"),
        (("cuda", np.float64), ValueError, "the only device is 'cpu', got 'cuda'"),
    ]:
        with pytest.raises(error, match=message):
            model.to(*args)
    assert model.weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        torch.nn.Linear(2, 2).to(torch.int64)


def test_apply_visits_children_first_then_self_as_in_torch():
    def build(lib):
        model = lib.Module()
        model.first = lib.Linear(1, 1)
        model.seq = lib.Sequential(lib.ReLU(), model.first)
        return model

    visits = [[], []]
    for lib, seen in zip((nn, torch.nn), visits):
        model = build(lib)
        assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert visits[0] == visits[1] == ["Linear", "ReLU", "Linear", "Sequential", "Module"]
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert not model[0].weight.data.any()


def test_requires_grad_freezes_and_unfreezes_every_parameter():
    model = Net()
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model.heads.requires_grad_()
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["heads.0.weight", "heads.0.bias", "heads.1.weight"]


def test_module_without_super_init_gets_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_parameter_repr_and_grad():
    p = nn.Parameter(np.zeros(2, dtype=np.float32))
    assert p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\nTensor(")


def _manual_sgd(lib, layer, x, steps: int = 3) -> None:
    """The hand-written update of tutorials: p.data = p.data - lr * p.grad."""
    for _ in range(steps):
        layer.zero_grad()
        lib.tanh(layer(x)).sum().backward()
        for p in layer.parameters():
            p.data = p.data - 0.1 * p.grad


def test_a_tensor_assigned_to_a_parameters_data_is_taken_as_in_torch():
    w = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal(3).astype(np.float32)
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    ours, theirs = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    for layer, lib, tensor in ((ours, tg, tg.tensor), (theirs, torch, torch.tensor)):
        layer.weight.data, layer.bias.data = tensor(w), tensor(b)
        _manual_sgd(lib, layer, tensor(x))
    for mine, torchs in zip(ours.parameters(), theirs.parameters()):
        assert isinstance(mine, nn.Parameter) and type(mine.data) is np.ndarray
        np.testing.assert_allclose(mine.data, torchs.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_a_parameter_shares_the_array_of_the_tensor_assigned_to_its_data_as_in_torch():
    for lib, p in ((tg, nn.Parameter(np.zeros(2, np.float32))), (torch, torch.nn.Parameter(torch.zeros(2)))):
        t = lib.ones(3)
        p.data = t
        assert lib is torch or type(p.data) is np.ndarray
        with lib.no_grad():
            t.add_(1)  # the parameter sees the change, and takes the new shape
        assert p.shape == (3,) and p.requires_grad and p.is_leaf
        np.testing.assert_array_equal(p.detach().numpy(), [2, 2, 2])
    array = np.arange(3.0, dtype=np.float32)
    p = nn.Parameter(np.zeros(2, np.float32))
    p.data = array  # an ndarray is taken as it is, as before
    assert p.data is array


@pytest.mark.parametrize("value", [[1.0, 2.0], 3.0, None])
def test_a_parameters_data_refuses_what_is_not_an_array_or_tensor_as_torch(value):
    with pytest.raises(TypeError):
        torch.nn.Parameter(torch.zeros(2)).data = value
    p = nn.Parameter(np.zeros(2, np.float32))
    with pytest.raises(TypeError, match=f"Parameter.data: expected a Tensor or a NumPy array, got {type(value).__name__}"):
        p.data = value
    np.testing.assert_array_equal(p.data, [0, 0])  # left as it was

# ---- init ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def _fans(shape):
    return shape[1], shape[0]


@pytest.mark.parametrize("shape", [(300, 784), (500, 200), (64, 1000)])
def test_uniform_inits_have_torchs_bounds(shape):
    fan_in, fan_out = _fans(shape)
    t = tg.zeros(*shape)
    cases = [
        (lambda: nn.init.xavier_uniform_(t, gain=2.0), 2.0 * math.sqrt(6 / (fan_in + fan_out))),
        (lambda: nn.init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2) * math.sqrt(3 / fan_in)),
        (lambda: nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2) * math.sqrt(3 / fan_out)),
        (lambda: nn.init.uniform_(t, -0.3, 0.3), 0.3),
    ]
    for fill, bound in cases:
        fill()
        assert np.abs(t.data).max() <= bound
        assert np.abs(t.data).max() > 0.98 * bound
        assert abs(t.data.mean()) < 0.02 * bound
        assert t.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


@pytest.mark.parametrize("shape", [(300, 784), (500, 200)])
def test_normal_inits_have_torchs_std(shape):
    fan_in, fan_out = _fans(shape)
    t = tg.zeros(*shape)
    for fill, std in [
        (lambda: nn.init.xavier_normal_(t), math.sqrt(2 / (fan_in + fan_out))),
        (lambda: nn.init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / fan_in)),
        (lambda: nn.init.kaiming_normal_(t, a=0.1, mode="fan_out"), math.sqrt(2 / (1 + 0.01)) / math.sqrt(fan_out)),
        (lambda: nn.init.normal_(t, 1.0, 0.5), 0.5),
    ]:
        fill()
        assert t.data.std() == pytest.approx(std, rel=0.03)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, 0.47, 0.6), (0.0, 1.0, 1.0, 3.0),
                                          (0.0, 1.0, 5.0, 6.0), (1.0, 0.5, -2.5, -2.0)])  # far in the tails too
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")  # torch's, for the tails
def test_trunc_normal_draws_torchs_truncated_normal(mean, std, a, b):
    ours = nn.init.trunc_normal_(tg.zeros(200, 250), mean, std, a, b, generator=0).data.ravel()
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.zeros(200, 250, dtype=torch.float64), mean, std, a, b).numpy().ravel()
    assert ours.dtype == np.float32 and a <= ours.min() and ours.max() <= b
    np.testing.assert_allclose(np.quantile(ours, [0.05, 0.25, 0.5, 0.75, 0.95]),
                               np.quantile(theirs, [0.05, 0.25, 0.5, 0.75, 0.95]), atol=0.03 * std)
    with pytest.raises(ValueError, match=r"trunc_normal_: the interval \[a, b\] must not be empty, got a=1.0, b=0.0"):
        nn.init.trunc_normal_(tg.zeros(2), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="trunc_normal_: std must be > 0, got 0"):
        nn.init.trunc_normal_(tg.zeros(2), std=0)
    with pytest.raises(ValueError, match=r"trunc_normal_: \[40.0, 41.0\] is too far out in the tails of N\(0.0, 1.0"):
        nn.init.trunc_normal_(tg.zeros(2), a=40.0, b=41.0)  # no float holds its share of the distribution


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns_as_torchs(shape):
    for lib, init in ((tg, nn.init), (torch, torch.nn.init)):
        flat = init.orthogonal_(lib.zeros(*shape), gain=2.0).numpy().reshape(shape[0], -1).astype(np.float64)
        small = min(flat.shape)
        gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
        np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="orthogonal_: only tensors with 2 or more dimensions are supported"):
        nn.init.orthogonal_(tg.zeros(3))


def test_eye_fills_the_identity_as_torchs():
    for shape in ((3, 5), (4, 2)):
        np.testing.assert_array_equal(nn.init.eye_(tg.ones(*shape)).data,
                                      torch.nn.init.eye_(torch.ones(*shape)).numpy())
    with pytest.raises(ValueError, match="eye_: only tensors with 2 dimensions are supported, got shape"):
        nn.init.eye_(tg.zeros(2, 2, 2))


def test_constant_inits_and_dtype_is_kept():
    t = tg.zeros(3, 4)
    assert np.all(nn.init.ones_(t).data == 1) and t.dtype == np.float32
    assert np.all(nn.init.constant_(t, 0.5).data == 0.5)
    assert np.all(nn.init.constant_(tensor=t, val=0.25).data == 0.25)
    assert np.all(nn.init.zeros_(t).data == 0)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_",
                                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "calculate_gain",
                                  "trunc_normal_", "orthogonal_", "eye_"])
def test_init_functions_take_torchs_argument_names(name):
    theirs = list(inspect.signature(getattr(torch.nn.init, name)).parameters)
    assert list(inspect.signature(getattr(nn.init, name)).parameters) == theirs


RANDOM_INITS = {"uniform_": (-0.5, 2.0), "normal_": (1.0, 0.5), "xavier_uniform_": (2.0,), "xavier_normal_": (),
                "kaiming_uniform_": (0.1, "fan_out"), "kaiming_normal_": (0.0, "fan_in", "relu"),
                "trunc_normal_": (0.5, 2.0, 0.0, 3.0), "orthogonal_": (2.0,)}


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_random_inits_take_a_generator_and_leave_the_global_one_alone(name):
    fill = getattr(nn.init, name)
    args = RANDOM_INITS[name]
    tg.manual_seed(0)
    drawn = [fill(tg.zeros(4, 5), *args, generator=np.random.default_rng(7)).data for _ in range(2)]
    seeded = fill(tg.zeros(4, 5), *args, generator=7).data
    after = tg.rand(3).data
    tg.manual_seed(0)
    np.testing.assert_array_equal(after, tg.rand(3).data)  # the global generator did not move
    np.testing.assert_array_equal(drawn[0], drawn[1])
    np.testing.assert_array_equal(drawn[0], seeded)
    tg.manual_seed(8)
    assert not np.array_equal(drawn[0], fill(tg.zeros(4, 5), *args).data)  # None: the global generator
    torch_fill = getattr(torch.nn.init, name)
    torch_fill(torch.zeros(4, 5), *args, generator=torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match=rf"{name}: generator must be a np.random.Generator or an integer seed"):
        fill(tg.zeros(4, 5), *args, generator=torch.Generator())


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", RANDOM_INITS)
def test_random_inits_refuse_integer_tensors_as_torchs(name, dtype):
    """torch has no random kernels for them; the constant inits fill them."""
    t = tg.zeros(3, 4, dtype=getattr(tg, dtype))
    with pytest.raises(tg.DTypeError, match=rf"{name}: random values need a floating-point tensor, got {dtype}"):
        getattr(nn.init, name)(t, *RANDOM_INITS[name])
    assert not t.data.any()
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.init, name)(torch.zeros(3, 4, dtype=getattr(torch, dtype)), *RANDOM_INITS[name])
    for lib, zeros in ((nn, tg.zeros(3, 4, dtype=getattr(tg, dtype))),
                       (torch.nn, torch.zeros(3, 4, dtype=getattr(torch, dtype)))):
        assert lib.init.ones_(zeros).tolist() == [[1] * 4] * 3
    with pytest.warns(UserWarning, match="zero-element"):  # checked after the kaiming functions' no-op, as torch
        nn.init.kaiming_uniform_(tg.zeros(0, 4, dtype=getattr(tg, dtype)))


def test_linear_default_init_matches_torch_bounds():
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.95 * bound
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def test_init_is_seeded():
    tg.manual_seed(5)
    a = nn.Linear(10, 10).weight.data.copy()
    tg.manual_seed(5)
    assert np.array_equal(a, nn.Linear(10, 10).weight.data)


def test_init_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(tg.zeros(5))
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.kaiming_uniform_(tg.zeros(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


def test_train_mode_must_be_a_bool_as_in_torch():
    for module in (tg.nn.Linear(2, 2), torch.nn.Linear(2, 2)):
        with pytest.raises((TypeError, ValueError), match="training mode is expected to be"):
            module.train("no")


def _norm_net(lib):
    """A model with buffers of every kind (persistent, non-persistent, None, integer) at two depths."""
    class Norm(lib.nn.Module if lib is torch else nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = (torch.nn if lib is torch else nn).Linear(3, 3)
            self.register_buffer("mean", lib.zeros(3))
            self.register_buffer("scratch", lib.ones(2), persistent=False)
            self.register_buffer("missing", None)
            self.register_buffer("count", lib.tensor(0))

        def forward(self, x):
            return self.fc(x - self.mean)

    outer = (torch.nn if lib is torch else nn).Sequential(Norm(), Norm())
    outer.register_buffer("step", lib.tensor(5))
    return outer


def test_buffers_are_named_saved_and_loaded_as_in_torch():
    ours, theirs = _norm_net(tg), _norm_net(torch)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_buffers(prefix="p", recurse=False)] == ["p.step"]
    assert len(list(ours.buffers())) == len(list(theirs.buffers())) == 7
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(not b.requires_grad for b in ours.buffers())
    theirs.get_submodule("1").mean.fill_(2.0)
    theirs.get_submodule("1").count.fill_(7)
    mean = ours[1].mean.data
    ours.load_state_dict(theirs.state_dict())
    assert ours[1].mean.data is mean
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, theirs.state_dict()[name].numpy(), err_msg=name)
    assert ours[1].count.data.dtype == np.int64
    partial = {"0.mean": np.ones(3, np.float32), "0.scratch": np.ones(2, np.float32),
               "1.fc.weight": np.ones((3, 3))}
    ours_result = ours.load_state_dict(partial, strict=False)
    theirs_result = theirs.load_state_dict({k: torch.tensor(v) for k, v in partial.items()}, strict=False)
    assert ours_result.missing_keys == theirs_result.missing_keys
    assert ours_result.unexpected_keys == theirs_result.unexpected_keys == ["0.scratch"]
    with pytest.raises(ValueError, match="missing keys: step, 0.count, 0.fc.weight, 0.fc.bias, 1.mean"):
        ours.load_state_dict(partial)


def test_assigning_over_a_buffer_updates_it_as_in_torch():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        m = module.Linear(2, 2)
        m.register_buffer("mean", lib.zeros(2))
        m.register_buffer("tmp", lib.zeros(1), persistent=False)
        m.mean, m.tmp = lib.ones(2), lib.ones(3)
        assert m.mean is m._buffers["mean"] and m.mean.shape == (2,) and m.tmp.shape == (3,)
        assert list(m.state_dict()) == ["weight", "bias", "mean"]  # tmp stays non-persistent
        with pytest.raises(TypeError, match="as buffer 'mean'"):
            m.mean = 3
        m.mean = None
        assert [n for n, _ in m.named_buffers()] == ["tmp"] and "mean" in m._buffers
        assert list(m.state_dict()) == ["weight", "bias"]
        m.mean = lib.zeros(2)
        assert list(m.state_dict()) == ["weight", "bias", "mean"]
        m.mean = module.Parameter(lib.zeros(2))
        m.tmp = module.ReLU()
        assert list(m._buffers) == [] and [n for n, _ in m.named_parameters()] == ["weight", "bias", "mean"]
        assert [n for n, _ in m.named_children()] == ["tmp"]
        m.register_buffer("extra", lib.zeros(1), persistent=False)
        del m.extra
        m.register_buffer("extra", lib.zeros(1))
        assert list(m.state_dict()) == ["weight", "bias", "mean", "extra"]
        with pytest.raises(AttributeError):
            del m.absent


@pytest.mark.parametrize("name, value, error", [
    (3, "zeros", TypeError), ("a.b", "zeros", KeyError), ("", "zeros", KeyError),
    ("weight", "zeros", KeyError), ("forward", "zeros", KeyError), ("training", "zeros", KeyError),
    ("plain", "zeros", KeyError), ("x", 3, TypeError), ("x", [1.0], TypeError),
])
def test_register_buffer_refuses_what_torch_refuses(name, value, error):
    for lib, module in ((tg, nn), (torch, torch.nn)):
        m = module.Linear(2, 2)
        m.plain = 1
        with pytest.raises(error):
            m.register_buffer(name, lib.zeros(1) if value == "zeros" else value)
        assert list(m.state_dict()) == ["weight", "bias"]


def test_register_parameter_and_add_module_refuse_names_torch_refuses():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        m = module.Linear(2, 2)
        m.register_buffer("mean", lib.zeros(2))
        with pytest.raises(KeyError):
            m.register_parameter("mean", module.Parameter(lib.zeros(2)))
        with pytest.raises(KeyError):
            m.add_module("weight", module.ReLU())
        with pytest.raises(KeyError):
            m.add_module("a.b", module.ReLU())
        with pytest.raises(KeyError):
            module.Sequential(OrderedDict(forward=module.ReLU()))
        with pytest.raises(TypeError):
            m.register_parameter(1, None)
        m.note = "plain"
        m.note = module.Parameter(lib.zeros(1))  # assignment takes the name over, as in torch
        assert [n for n, _ in m.named_parameters()] == ["weight", "bias", "note"]


def test_register_buffer_before_super_init_is_an_attribute_error_as_in_torch():
    for base, lib in ((nn.Module, tg), (torch.nn.Module, torch)):
        class Early(base):
            def __init__(self):
                self.register_buffer("x", lib.ones(1))
        with pytest.raises(AttributeError, match="before"):
            Early()


def test_buffers_follow_to_but_not_requires_grad_or_zero_grad_and_keep_what_was_registered():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        model = _norm_net(lib)
        model.double()
        assert model[0].mean.dtype == model[0].scratch.dtype == model[0].fc.weight.dtype == lib.float64
        assert model[0].count.dtype == lib.int64
        model.requires_grad_(True)
        assert not any(b.requires_grad for b in model.buffers())
        model(lib.ones(1, 3, dtype=lib.float64)).sum().backward()
        model.zero_grad(set_to_none=False)
        assert all(b.grad is None for b in model.buffers())
        tracked = lib.zeros(2, requires_grad=True)
        m = module.Module()
        m.register_buffer("t", tracked)
        assert m.t is tracked and m.t.requires_grad  # torch registers the tensor as it is
        assert list(m.parameters()) == []
    assert "mean" not in repr(_norm_net(tg)) and repr(_norm_net(tg)) == repr(_norm_net(torch))


def test_a_shared_buffer_is_listed_once_but_saved_under_each_name_as_in_torch():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        shared = lib.zeros(2)
        a, b = module.Module(), module.Module()
        a.register_buffer("s", shared)
        b.register_buffer("s", shared)
        both = module.ModuleList([a, b])
        assert [n for n, _ in both.named_buffers()] == ["0.s"]
        assert [n for n, _ in both.named_buffers(remove_duplicate=False)] == ["0.s", "1.s"]
        assert list(both.state_dict()) == ["0.s", "1.s"]


def _dict_pair():
    def build(module):
        return module.ModuleDict({"b": module.Linear(2, 3), "a": module.ReLU()})
    return build(nn), build(torch.nn)


def test_module_dict_works_as_torchs():
    ours, theirs = _dict_pair()
    assert list(ours) == list(theirs) == ["b", "a"] and len(ours) == len(theirs) == 2
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    for container, module in ((ours, nn), (theirs, torch.nn)):
        assert "a" in container and "z" not in container and isinstance(container["b"], module.Linear)
        container["c"] = module.Tanh()
        container.update([("d", module.Linear(3, 1)), ["b", module.Linear(2, 2)]])
        container.update(OrderedDict(e=module.Sigmoid()))
        assert isinstance(container.pop("a"), module.ReLU)
        del container["e"]
        with pytest.raises(KeyError):
            container["a"]
        with pytest.raises(KeyError):
            del container["a"]
    assert list(ours.keys()) == list(theirs.keys()) == ["b", "c", "d"]
    assert [type(m).__name__ for m in ours.values()] == [type(m).__name__ for m in theirs.values()]
    assert [k for k, _ in ours.items()] == [k for k, _ in theirs.items()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs) and not hasattr(ours, "a")
    copy = nn.ModuleDict(ours)
    assert list(copy) == ["b", "c", "d"] and copy["b"] is ours["b"]
    ours.clear()
    theirs.clear()
    assert len(ours) == 0 and list(ours.parameters()) == [] and repr(ours) == repr(theirs) == "ModuleDict()"


@pytest.mark.parametrize("make_bad, error", [
    (lambda module: 3, TypeError), (lambda module: [3], TypeError), (lambda module: [("a",)], ValueError),
    (lambda module: {"keys": module.ReLU()}, KeyError), (lambda module: {"a": "relu"}, TypeError),
    (lambda module: {"a.b": module.ReLU()}, KeyError),
])
def test_module_dict_refuses_what_torch_refuses(make_bad, error):
    for module in (nn, torch.nn):
        with pytest.raises(error):
            module.ModuleDict(make_bad(module))


def test_a_module_dict_inside_a_model_registers_its_modules_as_in_torch():
    for module in (nn, torch.nn):
        model = module.Sequential(module.ModuleDict({"enc": module.Linear(2, 2)}), module.Linear(2, 1))
        assert list(model.state_dict()) == ["0.enc.weight", "0.enc.bias", "1.weight", "1.bias"]
    assert repr(nn.Sequential(nn.ModuleDict({"enc": nn.Linear(2, 2)}))) == repr(
        torch.nn.Sequential(torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 2)})))


def _parameter_list(lib, module):
    double = module.Parameter(lib.zeros(1, dtype=lib.float64))
    return module.ParameterList([lib.ones(2, 3), double, lib.tensor(1.0)])


def test_parameter_list_works_as_torchs():
    ours, theirs = _parameter_list(tg, nn), _parameter_list(torch, torch.nn)
    assert repr(ours) == repr(theirs)
    for container, lib, module in ((ours, tg, nn), (theirs, torch, torch.nn)):
        raw = lib.full((2,), 3.0)
        container.append(raw)
        assert isinstance(container[3], module.Parameter) and container[3].requires_grad
        (raw.data if lib is tg else raw.detach())[0] = 4.0
        assert container[3].tolist() == [4.0, 3.0]  # the Parameter shares the Tensor's data
        container.extend([lib.zeros(4)])
        container += [lib.zeros(5)]
        container[0] = lib.zeros(1)
        assert container[-1].shape == (5,) and container[0].shape == (1,)
        with pytest.raises(IndexError):
            container[6]
        with pytest.raises(TypeError):
            container.extend(3)
        with pytest.raises(TypeError):
            container.extend(lib.zeros(2))
        with pytest.raises(RuntimeError, match="should not be called"):
            container(1)
    assert len(ours) == len(theirs) == 6
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    assert [tuple(p.shape) for p in ours[1:5:2]] == [tuple(p.shape) for p in theirs[1:5:2]]
    assert type(ours[1:3]) is nn.ParameterList and ours[1:3][0] is ours[1]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    model, torch_model = nn.Sequential(ours), torch.nn.Sequential(theirs)
    assert list(model.state_dict()) == list(torch_model.state_dict()) and repr(model) == repr(torch_model)
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())


def test_parameter_list_holds_a_shared_array_and_gets_gradients():
    raw = tg.ones(3)
    plist = nn.ParameterList([raw])
    assert plist[0].data is raw.data and not raw.requires_grad
    (plist[0] * 2).sum().backward()
    np.testing.assert_array_equal(plist[0].grad.data, [2, 2, 2])


def _parameter_dict(lib, module):
    return module.ParameterDict({"b": module.Parameter(lib.ones(2)), "a": lib.zeros(3, 2, dtype=lib.float64)})


def test_parameter_dict_works_as_torchs():
    ours, theirs = _parameter_dict(tg, nn), _parameter_dict(torch, torch.nn)
    assert list(ours) == list(theirs) == ["a", "b"]  # torch sorts a plain dict's keys
    assert repr(ours) == repr(theirs)
    for container, lib, module in ((ours, tg, nn), (theirs, torch, torch.nn)):
        container["d"] = lib.zeros(1)
        container.update([("c", lib.ones(1)), ("a", lib.ones(4))])
        container.update(OrderedDict(f=lib.ones(1), e=lib.ones(1)))
        assert isinstance(container["d"], module.Parameter) and container["a"].shape == (4,)
        assert container.get("z") is None and container.get("z", 5) == 5 and "c" in container
        assert container.setdefault("g", lib.ones(2)).shape == (2,) and container.setdefault("g").shape == (2,)
        assert container.pop("c").shape == (1,) and container.popitem()[0] == "g"
        with pytest.raises(TypeError):
            module.ParameterDict()[3] = lib.ones(1)
        with pytest.raises(AttributeError):
            container["z"]
        with pytest.raises(KeyError):
            del container["z"]
        with pytest.raises(RuntimeError, match="should not be called"):
            container(1)
    assert list(ours.keys()) == list(theirs.keys()) and list(reversed(ours)) == list(reversed(theirs))
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]
    assert [k for k, _ in ours.items()] == [k for k, _ in theirs.items()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs) and len(ours) == len(theirs)
    copy = ours.copy()
    assert list(copy) == list(ours) and copy["a"] is ours["a"]
    merged, torch_merged = ours | nn.ParameterDict({"z": tg.ones(1)}), theirs | torch.nn.ParameterDict(
        {"z": torch.ones(1)})
    assert list(merged) == list(torch_merged) and list(ours) == list(theirs)
    ours |= nn.ParameterDict({"y": tg.ones(1)})
    theirs |= torch.nn.ParameterDict({"y": torch.ones(1)})
    assert list(ours) == list(theirs)
    assert list(ours.fromkeys(["p", "q"], tg.ones(1))) == list(theirs.fromkeys(["p", "q"], torch.ones(1)))
    model, torch_model = nn.Sequential(ours), torch.nn.Sequential(theirs)
    assert list(model.state_dict()) == list(torch_model.state_dict()) and repr(model) == repr(torch_model)
    ours.clear()
    theirs.clear()
    assert len(ours) == 0 and list(ours.parameters()) == [] and repr(ours) == repr(theirs)
    one, torch_one = nn.ParameterDict({"w": tg.ones(1)}), torch.nn.ParameterDict({"w": torch.ones(1)})
    assert repr(one) == repr(torch_one) and repr(nn.Sequential(one)) == repr(torch.nn.Sequential(torch_one))


def test_module_zero_grad_zeroes_in_place_as_torch_and_the_optimizer():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        layer = module.Linear(2, 1)
        layer(lib.ones(1, 2)).sum().backward()
        grad = layer.weight.grad
        layer.zero_grad(set_to_none=False)
        assert layer.weight.grad is grad
        np.testing.assert_array_equal(np.asarray(grad.detach() if lib is torch else grad.data), [[0.0, 0.0]])
        layer(lib.ones(1, 2)).sum().backward()
        np.testing.assert_array_equal(np.asarray(layer.weight.grad.detach() if lib is torch else
                                                 layer.weight.grad.data), [[1.0, 1.0]])


def test_module_zero_grad_in_place_of_a_grad_an_op_used_is_an_error_at_that_backward():
    for lib, module in ((torch, torch.nn), (tg, nn)):
        layer = module.Linear(3, 1, bias=False)
        layer(lib.ones(1, 3)).sum().backward()
        v = lib.ones(1, 3, requires_grad=True)
        uses_grad = (v * layer.weight.grad).sum()  # Mul saved the gradient
        layer.zero_grad(set_to_none=False)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|changed in place.*zero_grad"):
            uses_grad.backward()


def test_module_zero_grad_replaces_a_gradient_with_a_graph_as_the_optimizer_does():
    from tinygrad_mnist import optim
    results = []
    for zero in (lambda layer: layer.zero_grad(set_to_none=False),
                 lambda layer: optim.SGD(layer.parameters()).zero_grad(set_to_none=False)):
        layer = nn.Linear(2, 1)
        (layer(tg.ones(1, 2)) ** 2).sum().backward(create_graph=True)
        grad = layer.weight.grad
        zero(layer)
        new = layer.weight.grad
        results.append((new is grad, new.requires_grad, new.data.tolist()))
    assert results[0] == results[1] == (False, False, [[0.0, 0.0]])


def test_loss_weights_are_buffers_as_in_torch():
    loss = nn.CrossEntropyLoss(tg.ones(3))
    assert list(loss.state_dict()) == list(torch.nn.CrossEntropyLoss(torch.ones(3)).state_dict()) == ["weight"]
    assert loss.double().weight.dtype == tg.float64
    assert list(nn.BCEWithLogitsLoss(pos_weight=tg.ones(2)).state_dict()) == ["pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_load_state_dict_takes_another_models_parameters_as_torch():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(dict(a.named_parameters()))  # Parameters require grad; their values are read
    np.testing.assert_array_equal(b.weight.detach().numpy(), a.weight.detach().numpy())


def test_load_state_dict_takes_torch_parameters_that_require_grad_as_torch():
    source = torch.nn.Linear(3, 2)
    for state in (source.state_dict(keep_vars=True), dict(source.named_parameters())):
        for model in (nn.Linear(3, 2), torch.nn.Linear(3, 2)):
            model.load_state_dict(state)
            np.testing.assert_array_equal(model.weight.detach().numpy(), source.weight.detach().numpy())
        model = nn.Linear(3, 2)
        model.load_state_dict(state, assign=True)
        assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
        np.testing.assert_array_equal(model.bias.detach().numpy(), source.bias.detach().numpy())


def test_popitem_of_an_empty_parameter_dict_is_a_key_error_as_in_torch():
    for lib in (nn, torch.nn):
        with pytest.raises(KeyError):
            lib.ParameterDict().popitem()


def _with_buffer(net):
    net.encoder[0].register_buffer("steps", (torch if isinstance(net, torch.nn.Module) else tg).zeros(2))
    return net


def test_get_submodule_parameter_and_buffer_find_what_torch_finds():
    ours, theirs = _with_buffer(Net()), _with_buffer(TorchNet())
    theirs.note = ours.note
    assert ours.get_submodule("") is ours and theirs.get_submodule("") is theirs
    assert ours.get_submodule("heads.1") is ours.heads[1]
    assert repr(ours.get_submodule("encoder.0")) == repr(theirs.get_submodule("encoder.0"))
    assert ours.get_parameter("heads.1.weight") is ours.heads[1].weight
    assert ours.get_parameter("scale").shape == tuple(theirs.get_parameter("scale").shape)
    assert ours.get_buffer("encoder.0.steps") is ours.encoder[0].steps
    for method, target in [("get_submodule", "encoder.5"), ("get_submodule", "nothing.0"),
                           ("get_submodule", "note"), ("get_submodule", "scale"),
                           ("get_parameter", "encoder.0.in_features"), ("get_parameter", "encoder.0.nothing"),
                           ("get_parameter", "encoder.0.steps"), ("get_parameter", "heads.2.weight"),
                           ("get_buffer", "scale"), ("get_buffer", "encoder.0.weight"), ("get_buffer", "encoder.x")]:
        with pytest.raises(AttributeError) as theirs_error:
            getattr(theirs, method)(target)
        with pytest.raises(AttributeError, match=f"{method}: .*") as ours_error:
            getattr(ours, method)(target)
        assert str(ours_error.value).endswith(str(theirs_error.value).replace("TorchNet", "Net")), (method, target)


def test_register_module_is_add_module_as_in_torch():
    for lib in (nn, torch.nn):
        model = lib.Sequential(lib.ReLU())
        model.register_module("extra", lib.Identity())
        assert layout(model) == [("0", "ReLU"), ("extra", "Identity")]
        with pytest.raises(KeyError):
            model.register_module("a.b", lib.Identity())


def test_sequentials_add_into_a_new_one_and_module_lists_with_any_iterable_as_in_torch():
    for lib in (nn, torch.nn):
        first, second = lib.Sequential(lib.ReLU(), lib.Tanh()), lib.Sequential(lib.Linear(2, 2))
        both = first + second
        assert type(both) is lib.Sequential and len(first) == 2 and len(second) == 1
        assert layout(both) == [("0", "ReLU"), ("1", "Tanh"), ("2", "Linear")] and both[2] is second[0]
        with pytest.raises(ValueError, match="Sequential"):
            first + lib.ModuleList([lib.ReLU()])
        listed = lib.ModuleList([lib.ReLU()]) + [lib.Tanh(), lib.Sigmoid()]
        assert type(listed) is lib.ModuleList and layout(listed) == [("0", "ReLU"), ("1", "Tanh"), ("2", "Sigmoid")]
    assert repr(nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Linear(3, 1))) == repr(
        torch.nn.Sequential(torch.nn.ReLU()) + torch.nn.Sequential(torch.nn.Linear(3, 1)))


def test_cpu_and_half_convert_as_torchs():
    ours, theirs = _with_buffer(Net()), _with_buffer(TorchNet())
    assert ours.cpu() is ours and theirs.cpu() is theirs
    assert ours.half() is ours and theirs.half() is theirs
    assert [str(t.dtype) for t in ours.state_dict().values()] == \
        [str(t.dtype).removeprefix("torch.") for t in theirs.state_dict().values()] == ["float16"] * 7


@pytest.mark.parametrize("args", [(), (0,), ("cuda:1",), (None,)], ids=repr)
def test_cuda_is_refused_as_tensor_cuda_is_and_leaves_the_module_as_it_was(args):
    ours, theirs = _with_buffer(Net()), _with_buffer(TorchNet())
    before = {k: v.copy() for k, v in ours.state_dict().items()}
    with pytest.raises((AssertionError, RuntimeError)):  # "Torch not compiled with CUDA enabled"
        theirs.cuda(*args)
    with pytest.raises(tg.errors.ConfigError, match="^Module.cuda: the only device is 'cpu', got 'cuda'$"):
        ours.cuda(*args)
    for key, value in ours.state_dict().items():
        assert value.dtype == before[key].dtype and np.array_equal(value, before[key]), key
    assert ours.cpu() is ours and theirs.cpu() is theirs


def test_state_dict_takes_prefix_keep_vars_and_destination_as_torchs():
    ours, theirs = _with_buffer(Net()), _with_buffer(TorchNet())
    assert list(ours.state_dict(prefix="model.")) == list(theirs.state_dict(prefix="model."))
    assert list(ours.state_dict(prefix="model."))[0] == "model.scale"
    kept = ours.state_dict(keep_vars=True)
    assert kept["heads.1.weight"] is ours.heads[1].weight and kept["encoder.0.steps"] is ours.encoder[0].steps
    assert type(theirs.state_dict(keep_vars=True)["heads.1.weight"]) is torch.nn.Parameter
    assert all(a is t.data for a, t in zip(ours.state_dict().values(), kept.values()))  # shared, not copied
    destination = OrderedDict(first=1)
    assert ours.state_dict(destination=destination, prefix="n.") is destination
    assert list(destination) == list(theirs.state_dict(destination=OrderedDict(first=1), prefix="n."))
    _with_buffer(Net()).load_state_dict(kept)


def test_load_state_dict_with_assign_takes_the_state_dicts_arrays_as_torch_takes_its_tensors():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.bias.requires_grad_(False)
    theirs.bias.requires_grad_(False)
    weight, bias = np.arange(6.0).reshape(2, 3), np.ones(2)
    old_weight = ours.weight
    ours.load_state_dict({"weight": weight, "bias": bias}, assign=True)
    theirs.load_state_dict({"weight": torch.from_numpy(weight), "bias": torch.from_numpy(bias)}, assign=True)
    assert ours.weight is not old_weight and ours.weight.data is weight and ours.bias.data is bias
    for name in ("weight", "bias"):
        mine, torchs = getattr(ours, name), getattr(theirs, name)
        assert type(mine) is nn.Parameter and type(torchs) is torch.nn.Parameter
        assert mine.dtype == np.float64 and torchs.dtype == torch.float64  # the state_dict's dtype
        assert mine.requires_grad == torchs.requires_grad  # the module's
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(ours(tg.ones(1, 3, dtype=tg.float64)).data, [[4.0, 13.0]])
    given = nn.Parameter(np.zeros((2, 3)), requires_grad=False)
    ours.load_state_dict({"weight": given, "bias": bias}, assign=True)
    assert ours.weight is given and given.requires_grad  # the module's requires_grad, as torch's
    model = _with_buffer(Net())
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    model.load_state_dict(state, assign=True)
    assert model.encoder[0].steps.data is state["encoder.0.steps"]
    assert type(model.encoder[0].steps) is tg.Tensor and model.get_buffer("encoder.0.steps") is model.encoder[0].steps
    with pytest.raises(tg.ShapeError, match="weight: dtype int64 in the state_dict cannot require grad"):
        nn.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 3), dtype=np.int64), "bias": bias}, assign=True)
    frozen = nn.Linear(3, 2).requires_grad_(False)
    frozen.load_state_dict({"weight": np.zeros((2, 3), dtype=np.int64), "bias": bias}, assign=True)
    assert frozen.weight.dtype == np.int64


def test_linear_takes_the_cpu_device_and_identity_any_arguments_as_torchs():
    assert nn.Linear(2, 3, device="cpu").in_features == torch.nn.Linear(2, 3, device="cpu").in_features == 2
    assert nn.Linear(2, 3, True, "cpu", np.float64).weight.dtype == np.float64
    assert nn.Linear(2, 3).weight.dtype == np.float32
    with pytest.raises(ValueError, match="Linear: the only device is 'cpu', got 'cuda'"):
        nn.Linear(2, 3, device="cuda")
    assert repr(nn.Identity(54, unused_kwarg=1)) == repr(torch.nn.Identity(54, unused_kwarg=1)) == "Identity()"


@pytest.mark.parametrize("in_features, out_features", [(0, 3), (3, 0), (0, 0)])
def test_linear_with_zero_features_works_as_torchs(in_features, out_features):
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        ours = nn.Linear(in_features, out_features)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        theirs = torch.nn.Linear(in_features, out_features)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(ours.bias.data, theirs.bias.detach().numpy())  # U(0, 0) without inputs
    x, tx = tg.ones(2, in_features, requires_grad=True), torch.ones(2, in_features, requires_grad=True)
    ours(x).sum().backward()
    theirs(tx).sum().backward()
    for mine, torchs in [(x.grad, tx.grad), (ours.weight.grad, theirs.weight.grad), (ours.bias.grad, theirs.bias.grad)]:
        np.testing.assert_array_equal(mine.data, torchs.numpy())


def test_linear_with_negative_features_is_named():
    with pytest.raises(ValueError, match=r"Linear: out_features must be >= 0, got -1"):
        nn.Linear(3, -1)
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.nn.Linear(3, -1)


@pytest.mark.parametrize("build", [
    lambda lib: lib.ModuleList([lib.Linear(2, 2) for _ in range(3)] + [lib.ReLU()]),
    lambda lib: lib.ModuleList(),
    lambda lib: lib.ModuleList([lib.ReLU()]),
    lambda lib: lib.ModuleList([lib.ReLU(), lib.Tanh(), lib.ReLU(), lib.ReLU(), lib.Linear(2, 3), lib.Linear(3, 2)]),
    lambda lib: lib.ModuleList([lib.Sequential(lib.Linear(4, 4), lib.ReLU()) for _ in range(2)] + [lib.Identity()]),
    lambda lib: lib.Sequential(lib.ModuleList([lib.ReLU()] * 2), lib.ModuleList([lib.ModuleList([lib.Tanh()])] * 3)),
    lambda lib: lib.Sequential(lib.ReLU(), lib.ReLU()),  # only a ModuleList collapses
], ids=["linears-relu", "empty", "one", "runs", "blocks", "nested", "sequential"])
def test_module_list_repr_collapses_runs_of_equal_modules_as_torchs(build):
    assert repr(build(nn)) == repr(build(torch.nn))


def test_a_module_list_subclass_repr_has_its_own_name_as_torchs():
    reprs = [repr(type("Blocks", (lib.ModuleList,), {})([lib.ReLU()] * 2)) for lib in (nn, torch.nn)]
    assert reprs[0] == reprs[1] == "Blocks(\n  (0-1): 2 x ReLU()\n)"


def test_to_takes_non_blocking_and_a_tensor_as_torchs():
    for lib, module, double in ((tg, nn, np.float64), (torch, torch.nn, torch.float64)):
        model = module.Linear(2, 2)
        assert model.to("cpu", non_blocking=True) is model
        assert model.to(device="cpu", non_blocking=True) is model
        assert model.to(double, True).weight.dtype == double
        assert model.to("cpu", lib.float32, True).weight.dtype == lib.float32
        assert model.to(lib.zeros(1, dtype=lib.float16), True).weight.dtype == lib.float16
    with pytest.raises(TypeError, match="non_blocking must be True or False, got 'x'"):
        nn.Linear(2, 2).to("cpu", non_blocking="x")


def test_to_converts_the_gradients_with_the_parameters_so_a_step_after_it_updates_as_torchs():
    weights = []
    for lib, module, optim in ((tg, nn, tg.optim), (torch, torch.nn, torch.optim)):
        lin = module.Linear(2, 1, bias=False)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1.0, 2.0]]))
        opt = optim.SGD(lin.parameters(), lr=0.5)
        lin(lib.ones(1, 2)).sum().backward()
        lin.double()
        assert lin.weight.grad.dtype == lin.weight.dtype == lib.float64
        opt.step()
        weights.append(lin.weight.detach().numpy())
    np.testing.assert_array_equal(weights[0], weights[1])
    np.testing.assert_array_equal(weights[0], [[0.5, 1.5]])


def test_deepcopy_of_a_module_leaves_the_gradients_behind_as_torchs():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        lin = module.Linear(2, 1)
        lin(lib.ones(1, 2)).sum().backward()
        twin = copy.deepcopy(lin)
        assert twin.weight.grad is None and twin.weight.requires_grad
        np.testing.assert_array_equal(twin.weight.detach().numpy(), lin.weight.detach().numpy())


def _hooked_pair(lib, module):
    class Scale(module.Module):
        def forward(self, x, factor=1.0):
            return x * factor
    calls = []

    def pre(mod, args):
        calls.append(("pre", type(mod).__name__, len(args)))
        return args[0] + 1  # one value: forward gets it as its only positional argument

    def pre_kwargs(mod, args, kwargs):
        calls.append(("pre_kwargs", sorted(kwargs)))
        return args, {**kwargs, "factor": kwargs.get("factor", 1.0) * 2}

    def post(mod, args, output):
        calls.append(("post", len(args)))
        return output - 1

    def post_kwargs(mod, args, kwargs, output):
        calls.append(("post_kwargs", sorted(kwargs)))

    def first(mod, args, output):
        calls.append(("first",))
    return Scale(), calls, pre, pre_kwargs, post, post_kwargs, first


def test_forward_hooks_run_change_arguments_and_output_and_come_off_as_torchs():
    results = []
    for lib, module in ((tg, nn), (torch, torch.nn)):
        m, calls, pre, pre_kwargs, post, post_kwargs, first = _hooked_pair(lib, module)
        handles = [m.register_forward_pre_hook(pre), m.register_forward_pre_hook(pre_kwargs, with_kwargs=True),
                   m.register_forward_hook(post), m.register_forward_hook(post_kwargs, with_kwargs=True),
                   m.register_forward_hook(first, prepend=True)]
        out = [m(lib.ones(2), factor=3.0).tolist()]
        handles[0].remove()
        handles[0].remove()  # a second remove() changes nothing
        with handles[2]:
            out.append(m(lib.ones(2)).tolist())
        out.append(m(lib.ones(2)).tolist())
        for handle in handles:
            handle.remove()
        out.append(m(lib.ones(2)).tolist())
        results.append((out, calls))
    assert results[0] == results[1]


def test_a_forward_pre_hook_with_kwargs_must_return_args_and_kwargs_as_torchs():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        m = module.Identity()
        m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
        with pytest.raises(RuntimeError, match="must return None or a tuple of"):
            m(lib.ones(1))
    with pytest.raises(TypeError, match="register_forward_hook: hook must be callable, got int"):
        nn.Identity().register_forward_hook(3)


def test_forward_hooks_see_each_layer_of_a_sequential_and_follow_a_deepcopy_as_torchs():
    for lib, module in ((tg, nn), (torch, torch.nn)):
        lib.manual_seed(0)
        model = module.Sequential(module.Linear(3, 4), module.ReLU(), module.Linear(4, 2))
        shapes = []
        for layer in model:
            layer.register_forward_hook(lambda mod, args, output: shapes.append(tuple(output.shape)))
        model(lib.ones(5, 3))
        copy.deepcopy(model)(lib.ones(1, 3))
        assert shapes == [(5, 4), (5, 4), (5, 2), (1, 4), (1, 4), (1, 2)]
