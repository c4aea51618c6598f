"""A hand-written float32 NumPy MLP: the forward pass, the backward pass and the optimizer step
spelled out, for the benchmark configs.

It is the speed bar for the framework and a readable account of what the autograd computes for
the same model: compare `_backward` with `Linear.backward` and `CrossEntropy.backward` in
tinygrad_mnist/nn/functional.py, and the optimizers here with tinygrad_mnist/optim.

Shapes: a batch x is (n, d_in); a weight W is (d_out, d_in) as in torch.nn.Linear; a bias b is
(d_out,). A layer computes z = x @ W.T + b; hidden layers then apply the activation.
"""
from __future__ import annotations

import math

import numpy as np

from .configs import Config


class NumpyMLP:
    """Linear layers with a hidden activation, trained one batch at a time by manual backprop."""

    def __init__(self, config: Config, weights: list[np.ndarray]):
        """Start from [W0, b0, W1, b1, ...] (copied) with config's activation, loss and optimizer."""
        self.config = config
        self.W = [w.copy() for w in weights[0::2]]
        self.b = [b.copy() for b in weights[1::2]]
        self.activate, self.activation_grad = ACTIVATIONS[config.activation]
        self.loss_and_grad = LOSSES[config.loss]
        params = self.parameters()
        # Gradients, activations and their gradients are written into the same arrays every
        # step: freeing and re-allocating arrays of hundreds of kB each step makes glibc hand the
        # memory back to the OS and fault it in again, which costs up to a third of the step.
        self.grads = [np.empty_like(p) for p in params]
        self._buffers: dict[tuple, np.ndarray] = {}
        self.optimizer = SGD(config.lr) if config.optimizer == "sgd" else Adam(params, config.lr)

    def parameters(self) -> list[np.ndarray]:
        """[W0, b0, W1, b1, ...], the arrays the optimizer updates in place."""
        return [p for pair in zip(self.W, self.b) for p in pair]

    def _buffer(self, name: str, layer: int, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 work array kept from step to step (one per name, layer and shape)."""
        key = (name, layer, shape)
        if key not in self._buffers:
            self._buffers[key] = np.empty(shape, dtype=np.float32)
        return self._buffers[key]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output, input first: [x, h1, ..., logits] (hidden ones after activation).
        They live in reused buffers, valid until the next forward."""
        outputs = [x]
        last = len(self.W) - 1
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            a = outputs[-1]
            z = np.matmul(a, W.T, out=self._buffer("z", i, (len(a), len(W))))  # z = a @ W.T
            z += b
            if i < last:
                self.activate(z)
            outputs.append(z)
        return outputs

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One forward, backward and update on a batch (y: class indices); returns the batch loss."""
        outputs = self.forward(x)
        loss, grad_logits = self.loss_and_grad(outputs[-1], y)
        self.optimizer.step(self.parameters(), self._backward(outputs, grad_logits))
        return loss

    def _backward(self, outputs: list[np.ndarray], g: np.ndarray) -> list[np.ndarray]:
        """Gradients [dW0, db0, dW1, db1, ...] from g = d loss / d logits, layer by layer
        backwards. Overwrites the hidden outputs, which nothing needs afterwards."""
        grads = self.grads
        for i in reversed(range(len(self.W))):
            a = outputs[i]
            np.matmul(g.T, a, out=grads[2 * i])     # z = a @ W.T + b  =>  dW = g.T @ a
            np.sum(g, axis=0, out=grads[2 * i + 1])  # db = g summed over the batch
            if i > 0:                               # the images need no gradient
                g = np.matmul(g, self.W[i], out=self._buffer("da", i, a.shape))  # da = g @ W
                self.activation_grad(g, a)          # dz = da * f'(z), f' read from a = f(z)
        return grads

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The predicted class of each row of x."""
        return self.forward(x)[-1].argmax(axis=1)


# ---- activations: in place on z, and their gradient from the activation's output -------------

def sigmoid_(z: np.ndarray) -> None:
    """z <- 1 / (1 + exp(-z)); where exp overflows to inf the result is the right limit, 0."""
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)


def sigmoid_grad_(g: np.ndarray, s: np.ndarray) -> None:
    """g <- g * s * (1 - s), sigmoid's derivative written with its output s (s is overwritten)."""
    g *= s
    s -= 1
    g *= s
    np.negative(g, out=g)


def relu_(z: np.ndarray) -> None:
    np.maximum(z, 0, out=z)


def relu_grad_(g: np.ndarray, h: np.ndarray) -> None:
    """g <- g where the ReLU was active (h > 0), else 0."""
    np.multiply(g, h > 0, out=g)


ACTIVATIONS = {"sigmoid": (sigmoid_, sigmoid_grad_), "relu": (relu_, relu_grad_)}


# ---- losses: (mean loss, d loss / d logits) ---------------------------------------------------

def _softmax_parts(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """shifted = logits - row max (so exp cannot overflow), exp(shifted), and its row sums."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return shifted, exp, exp.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """mean_i -log softmax(logits_i)[y_i]; its gradient is (softmax - onehot(y)) / n."""
    n = len(y)
    rows = np.arange(n)
    shifted, exp, total = _softmax_parts(logits)
    loss = np.log(total[:, 0]) - shifted[rows, y]
    grad = exp / total
    grad[rows, y] -= 1
    grad /= n
    return float(loss.mean()), grad


def softmax_mse(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """p = softmax(logits); mean over all n*k entries of (p - onehot(y))^2 (seed 000's loss).
    d/dp = 2 (p - onehot) / (n k), then through the softmax: dz = p * (dp - sum_k(dp * p))."""
    n, k = logits.shape
    _, exp, total = _softmax_parts(logits)
    p = exp / total
    diff = p.copy()
    diff[np.arange(n), y] -= 1
    loss = float(np.mean(diff * diff))
    dp = diff
    dp *= 2 / (n * k)
    grad = dp - (dp * p).sum(axis=1, keepdims=True)
    grad *= p
    return loss, grad


# log_softmax then NLL is cross-entropy, the same function of the logits with the same gradient
LOSSES = {"cross_entropy": cross_entropy, "softmax_mse": softmax_mse, "log_softmax_nll": cross_entropy}


# ---- optimizers: torch.optim's update equations, in place -----------------------------------

class SGD:
    """p <- p - lr * grad."""

    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads):
            g *= -self.lr  # the gradient buffers are rewritten next step, so scale them in place
            p += g


class Adam:
    """m <- m + (1 - beta1)(g - m); v <- beta2 v + (1 - beta2) g^2;
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""

    def __init__(self, params: list[np.ndarray], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]  # so that a step allocates nothing

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        beta1, beta2 = self.beta1, self.beta2
        step_size = self.lr / (1 - beta1 ** self.t)
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** self.t)
        for p, g, m, v, tmp in zip(params, grads, self.m, self.v, self.scratch):
            np.subtract(g, m, out=tmp)
            tmp *= 1 - beta1
            m += tmp                        # m.lerp_(g, 1 - beta1)
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp                        # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            np.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += self.eps                 # denom
            np.divide(m, tmp, out=tmp)
            tmp *= -step_size
            p += tmp                        # p.addcdiv_(m, denom, value=-step_size)
