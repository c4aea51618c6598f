"""models: every preset builds and runs, each init draws from its stated distribution, MLP equals torch."""
import math

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import models, nn
from tinygrad_mnist.errors import ConfigError
from tinygrad_mnist.tensor import Tensor


@pytest.mark.parametrize("name", sorted(models.PRESETS))
def test_every_preset_builds_and_maps_a_batch_to_its_outputs(name):
    tg.manual_seed(0)
    model = models.build(name)
    spec = models.PRESETS[name]
    out = model(Tensor(np.random.default_rng(0).random((5, 784), dtype=np.float32)))
    assert out.shape == (5, spec["sizes"][-1])
    assert np.isfinite(out.data).all()
    linears = [m for m in model.layers if isinstance(m, nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == list(zip(spec["sizes"][:-1], spec["sizes"][1:]))
    n_params = sum(p.data.size for p in model.parameters())
    assert n_params == sum(a * b + b for a, b in zip(spec["sizes"][:-1], spec["sizes"][1:]))
    if spec.get("output") == "softmax":
        np.testing.assert_allclose(out.data.sum(axis=1), 1.0, rtol=1e-5)
    if spec.get("output") == "sigmoid":
        assert ((out.data > 0) & (out.data < 1)).all()


def test_the_seed_architectures_are_the_reported_ones():
    assert models.PRESETS["seed000"]["sizes"] == [784, 500, 500, 10]
    assert models.PRESETS["seed000-textbook"]["sizes"] == [784, 50, 10]
    assert models.PRESETS["seed001-binary"]["sizes"] == [784, 128, 64, 1]
    assert models.PRESETS["seed001-binary-deep"]["sizes"] == [784, 128, 64, 32, 1]
    assert models.PRESETS["seed001-multiclass"]["sizes"] == [784, 128, 64, 32, 10]
    assert models.PRESETS["seed001-compact"]["sizes"] == [784, 32, 16, 10]
    assert models.PRESETS["seed003-v1"]["activation"] == "tanh"
    assert models.PRESETS["seed004"]["sizes"] == [784, 256, 10]


def test_layer_order_dropout_after_each_hidden_activation_and_output_last():
    model = models.MLP([784, 20, 10, 10], activation="tanh", output="softmax", dropout=0.2)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear", "Softmax"]


def _weights(model):
    return [m.weight.data for m in model.layers if isinstance(m, nn.Linear)]


def _biases(model):
    return [m.bias.data for m in model.layers if isinstance(m, nn.Linear)]


def test_normal_init_std_and_zero_biases():
    tg.manual_seed(0)
    model = models.MLP([784, 500, 10], init="normal", init_scale=0.1)
    w = _weights(model)[0]
    assert abs(w.std() - 0.1) < 0.002 and abs(w.mean()) < 0.002
    assert all((b == 0).all() for b in _biases(model))
    assert models.MLP([784, 10], init="normal").init_scale == 0.05  # Keras' RandomNormal default


def test_uniform_init_fills_weights_and_biases_within_the_bound():
    tg.manual_seed(0)
    model = models.MLP([784, 300, 10], init="uniform", init_scale=0.5)
    w, b = _weights(model)[0], _biases(model)[0]
    assert w.min() >= -0.5 and w.max() <= 0.5 and w.max() > 0.49 and w.min() < -0.49
    assert b.min() >= -0.5 and b.max() <= 0.5 and b.std() > 0.2
    assert abs(w.std() - 0.5 / math.sqrt(3)) < 0.005


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_keras_initializers_ignore_the_activation(activation):
    tg.manual_seed(0)
    glorot = _weights(models.MLP([784, 400, 10], activation=activation, init="glorot_uniform"))[0]
    bound = math.sqrt(6 / (784 + 400))
    assert glorot.max() <= bound and glorot.max() > 0.99 * bound
    he = _weights(models.MLP([784, 400, 10], activation=activation, init="he_normal"))[0]
    assert abs(he.std() - math.sqrt(2 / 784)) < 0.001


def test_torch_style_inits_take_the_activation_gain():
    tg.manual_seed(0)
    tanh = _weights(models.MLP([784, 400, 10], activation="tanh", init="xavier_uniform"))[0]
    assert tanh.max() > 0.99 * (5 / 3) * math.sqrt(6 / (784 + 400))
    sig = _weights(models.MLP([784, 400, 10], activation="sigmoid", init="kaiming_normal"))[0]
    assert abs(sig.std() - 1 / math.sqrt(784)) < 0.001
    selu = _weights(models.MLP([784, 400, 10], activation="selu", init="kaiming_normal"))[0]
    assert abs(selu.std() - 0.75 / math.sqrt(784)) < 0.001  # torch's calculate_gain("selu") = 3/4


def test_config_rebuilds_the_same_architecture():
    model = models.build("seed000")
    again = models.MLP(**model.config())
    assert again.config() == model.config()
    assert list(again.state_dict()) == list(model.state_dict())
    assert model.config()["init_scale"] == 0.1


def test_explicit_arguments_override_the_preset():
    model = models.build("seed003-v2", dropout=0.5, sizes=[784, 128, 10], activation=None)
    assert model.sizes == [784, 128, 10] and model.dropout == 0.5 and model.activation == "relu"


def test_forward_equals_torch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    model = models.MLP([784, 30, 20, 10], activation="sigmoid", output="softmax", init="glorot_uniform")
    layers = []
    for m in model.layers:
        if isinstance(m, nn.Linear):
            lin = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
            lin.weight.data = torch.tensor(m.weight.data, dtype=torch.float64)
            lin.bias.data = torch.tensor(m.bias.data, dtype=torch.float64)
            layers += [lin, torch.nn.Sigmoid()]
    torch_model = torch.nn.Sequential(*layers[:-1], torch.nn.Softmax(dim=1))
    x = np.random.default_rng(1).random((8, 784)).astype(np.float32)
    ours = model(Tensor(x)).data
    theirs = torch_model(torch.tensor(x, dtype=torch.float64)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation, torch_name", [("gelu", "GELU"), ("silu", "SiLU"), ("elu", "ELU"), ("selu", "SELU"),
                                                     ("mish", "Mish"), ("hardswish", "Hardswish")])
def test_the_newer_activations_build_the_torch_layers_and_compute_as_torch(activation, torch_name):
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    model = models.MLP([784, 30, 20, 10], activation=activation, init="he_normal")
    layers = []
    for m in model.layers:
        assert isinstance(m, (nn.Linear, getattr(nn, torch_name)))
        if isinstance(m, nn.Linear):
            lin = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
            lin.weight.data = torch.tensor(m.weight.data, dtype=torch.float64)
            lin.bias.data = torch.tensor(m.bias.data, dtype=torch.float64)
            layers += [lin, getattr(torch.nn, torch_name)()]
    torch_model = torch.nn.Sequential(*layers[:-1])
    x = np.random.default_rng(1).random((8, 784)).astype(np.float32)
    np.testing.assert_allclose(model(Tensor(x)).data, torch_model(torch.tensor(x, dtype=torch.float64)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sizes=[784, 10], activation="gelu", init="xavier_uniform"),
     "init 'xavier_uniform' scales by the activation's gain, which torch's calculate_gain does not give for 'gelu'"),
    (dict(sizes=[784, 10], activation="silu", init="kaiming_normal"), "does not give for 'silu'"),
    (dict(sizes=[784]), "at least input and output sizes"),
    (dict(sizes=[784, 0, 10]), "all >= 1"),
    (dict(sizes=[784, 10], activation="swish"), "unknown activation 'swish'"),
    (dict(sizes=[784, 10], init="lecun"), "unknown init 'lecun'"),
    (dict(sizes=[784, 10], output="tanh"), "unknown output 'tanh'"),
    (dict(sizes=[784, 10, 10], dropout=1.0), "dropout must be in [0, 1)"),
    (dict(sizes=[784, 10], init="normal", init_scale=0.0), "init_scale must be > 0"),
])
def test_bad_arguments_name_the_problem(kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(")", r"\)").replace("(", r"\(")):
        models.MLP(**kwargs)


def test_build_needs_a_preset_or_sizes():
    with pytest.raises(ConfigError, match="unknown model preset 'nope'"):
        models.build("nope")
    with pytest.raises(ConfigError, match="give a preset or sizes"):
        models.build(None, activation="relu")


# ---- norm: batch or layer normalization after each hidden Linear ----------------------------------

@pytest.mark.parametrize("norm, kind", [("batch", "BatchNorm1d"), ("layer", "LayerNorm")])
def test_a_norm_goes_after_each_hidden_linear_before_its_activation(norm, kind):
    model = models.MLP([784, 20, 12, 10], activation="tanh", output="softmax", dropout=0.2, norm=norm)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", kind, "Tanh", "Dropout", "Linear", kind, "Tanh", "Dropout", "Linear", "Softmax"]
    norms = [m for m in model.layers if type(m).__name__ == kind]
    widths = [m.num_features for m in norms] if norm == "batch" else [m.normalized_shape for m in norms]
    assert widths == ([20, 12] if norm == "batch" else [(20,), (12,)])
    assert [type(m).__name__ for m in models.MLP([784, 10], norm=norm).layers] == ["Linear"]  # no hidden layer


def test_without_norm_the_model_is_as_before():
    model = models.MLP([784, 20, 10])
    assert model.norm is None and [type(m).__name__ for m in model.layers] == ["Linear", "ReLU", "Linear"]
    assert all(m.norm is None for m in map(models.build, models.PRESETS))


def _torch_copy(torch, model, activation):
    """A torch.nn.Sequential with model's layers and weights (BatchNorm1d's buffers too), in float64."""
    layers = []
    for m in model.layers:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
        elif isinstance(m, nn.BatchNorm1d):
            t = torch.nn.BatchNorm1d(m.num_features, dtype=torch.float64)
        elif isinstance(m, nn.LayerNorm):
            t = torch.nn.LayerNorm(m.normalized_shape, dtype=torch.float64)
        else:
            assert type(m).__name__ == activation
            layers.append(getattr(torch.nn, activation)())
            continue
        t.load_state_dict({k: torch.tensor(v, dtype=torch.float64 if v.dtype.kind == "f" else torch.int64)
                           for k, v in m.state_dict().items()})
        layers.append(t)
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_a_model_with_norm_computes_as_torch_in_training_and_in_eval(norm):
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    model = models.MLP([784, 30, 20, 10], activation="sigmoid", norm=norm)
    gen = np.random.default_rng(1)
    for m in model.layers:  # a learned scale and shift other than the initial ones and zeros
        if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)):
            m.weight.data[...] = gen.uniform(0.5, 1.5, m.weight.shape)
            m.bias.data[...] = gen.uniform(-0.5, 0.5, m.bias.shape)
    theirs = _torch_copy(torch, model, "Sigmoid")
    for step in range(2):  # two training steps, so that the running statistics are no longer the initial ones
        x = gen.random((8, 784)).astype(np.float32)
        ours = model(Tensor(x))
        out = theirs(torch.tensor(x, dtype=torch.float64))
        np.testing.assert_allclose(ours.data, out.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=f"step {step}")
        (ours * ours).sum().backward()
        (out * out).sum().backward()
        for (name, p), (_, q) in zip(model.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    buffers = dict(model.named_buffers())
    assert len(buffers) == (6 if norm == "batch" else 0)  # running_mean, running_var, num_batches_tracked x 2
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(buffers["layers." + name].data, b.numpy(), rtol=1e-5, atol=1e-7, err_msg=name)
    model.eval()
    theirs.eval()
    x = gen.random((5, 784)).astype(np.float32)
    np.testing.assert_allclose(model(Tensor(x)).data, theirs(torch.tensor(x, dtype=torch.float64)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    if norm == "batch":  # in eval, a sample's output does not depend on the others of its batch
        np.testing.assert_allclose(model(Tensor(x[:1])).data, model(Tensor(x)).data[:1], rtol=1e-6)


@pytest.mark.parametrize("norm", ["batch", "layer", None])
def test_config_with_norm_rebuilds_the_same_model(norm):
    model = models.build("seed003-v2", norm=norm)
    assert model.config()["norm"] == norm and model.config()["dropout"] == 0.2
    again = models.MLP(**model.config())
    assert again.config() == model.config() and list(again.state_dict()) == list(model.state_dict())
    if norm == "batch":
        buffers = {"layers.1.running_mean", "layers.1.running_var", "layers.1.num_batches_tracked"}
        assert buffers <= set(model.state_dict())


def test_a_model_config_saved_before_norm_existed_builds_the_model_without_it():
    saved = {k: v for k, v in models.build("default").config().items() if k != "norm"}
    model = models.MLP(**saved)
    assert model.norm is None and list(model.state_dict()) == list(models.build("default").state_dict())


def test_an_unknown_norm_names_the_choices():
    with pytest.raises(ConfigError, match="unknown norm 'group'; expected one of batch, layer"):
        models.MLP([784, 10, 10], norm="group")
