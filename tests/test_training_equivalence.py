"""The headline test: the same MLP, initial weights and 200 batches, trained here and in PyTorch
(float64), ends with the same weights."""
import numpy as np
import pytest
import torch

from tinygrad_mnist import nn, optim
from tinygrad_mnist.tensor import Tensor

STEPS, BATCH = 200, 32


def batches(seed=0):
    gen = np.random.default_rng(seed)
    x = gen.random((STEPS * BATCH, 784))
    y = gen.integers(0, 10, STEPS * BATCH)
    return [(x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]) for i in range(STEPS)]


def models():
    ours = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64),
                                 torch.nn.ReLU(), torch.nn.Linear(64, 10)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4)),
    (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    (lambda p: optim.Adam(p, lr=1e-3, weight_decay=1e-4), lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-4)),
], ids=["sgd-momentum", "sgd-nesterov", "adam"])
def test_two_hundred_steps_end_with_the_same_weights_as_torch(make_ours, make_theirs):
    ours, theirs = models()
    start = {k: v.copy() for k, v in ours.state_dict().items()}  # a snapshot: state_dict shares memory
    opt, topt = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for x, y in batches():
        loss = loss_fn(ours(Tensor(x)), Tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = tloss_fn(theirs(torch.tensor(x)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-9)
    for name, tp in theirs.state_dict().items():
        final = ours.state_dict()[name]
        assert not np.allclose(final, start[name])  # the weights really moved
        np.testing.assert_allclose(final, tp.numpy(), rtol=0, atol=1e-8, err_msg=name)
