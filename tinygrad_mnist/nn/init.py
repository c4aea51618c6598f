"""Weight initialisation in place, with torch.nn.init's formulas, from the seeded global generator or the one
given as generator= (a np.random.Generator or a seed)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import autograd, rng
from ..tensor import Tensor

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
          "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (leaky_relu takes its negative slope as param)."""
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, (int, float))):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                         f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _fans(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dims, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t)
    return fan_in if mode == "fan_in" else fan_out


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    t.data[...] = values
    autograd.record_change(t.data, "an nn.init function")
    return t


def _fill_random(owner: str, tensor: Tensor, generator, distribution: str, *params: float) -> Tensor:
    """Fill with generator's distribution(*params) (see rng.random_values)."""
    return _fill(tensor, rng.random_values(owner, tensor, generator, distribution, *params))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    return _fill_random("uniform_", tensor, generator, "uniform", a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    return _fill_random("normal_", tensor, generator, "normal", mean, std)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill_random("xavier_uniform_", tensor, generator, "uniform", -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return _fill_random("xavier_normal_", tensor, generator, "normal", 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _no_elements(tensor: Tensor) -> bool:
    """Whether tensor has no elements, which torch's kaiming functions leave as they are, with a
    warning, before checking anything else (a fan would be 0)."""
    if 0 not in tensor.shape:
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return True


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan)."""
    if _no_elements(tensor):
        return tensor
    bound = math.sqrt(3.0) * (calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))  # torch's order
    return _fill_random("kaiming_uniform_", tensor, generator, "uniform", -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    if _no_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _fill_random("kaiming_normal_", tensor, generator, "normal", 0.0, std)


_REDRAW_SHARE = 0.05  # below this share of the distribution in [a, b], redrawing would take too many rounds


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """Fill with N(mean, std^2) truncated to [a, b] (absolute bounds, as torch's): by redrawing the
    values that fall outside, or, when [a, b] holds little of the distribution, by the inverse of
    the normal CDF, taken in the lower tail, where it keeps its precision (torch's takes it in
    float, and warns that it may be off far in the tails)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: the interval [a, b] must not be empty, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std}")
    generator = rng.filling_generator("trunc_normal_", tensor, generator)
    low, high = (a - mean) / std, (b - mean) / std
    flipped = low > 0  # the upper tail, drawn as the mirror image of the lower one
    if flipped:
        low, high = -high, -low
    below, above = (0.5 * math.erfc(-z / math.sqrt(2)) for z in (low, high))
    if above - below <= 0:
        raise ValueError(f"trunc_normal_: [{a}, {b}] is too far out in the tails of N({mean}, {std}^2) to draw from")
    if above - below < _REDRAW_SHARE:
        from statistics import NormalDist  # here: its import (with decimal, fractions and random) costs 5 ms
        inverse = NormalDist().inv_cdf
        share = generator.uniform(below, above, tensor.data.size).clip(np.nextafter(0, 1))
        z = np.array([inverse(p) for p in share])
        return _fill(tensor, (mean + std * (-z if flipped else z)).reshape(tensor.shape))
    values = np.empty(tensor.data.size)
    filled = 0
    while filled < values.size:  # each round draws enough to fill the rest, most likely
        missing = values.size - filled
        drawn = generator.normal(mean, std, min(int(missing / (above - below) * 1.1) + 16, 1 << 24))
        kept = drawn[(drawn >= a) & (drawn <= b)][:missing]
        values[filled:filled + kept.size] = kept
        filled += kept.size
    return _fill(tensor, values.reshape(tensor.shape))


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times gain: the Q of a Gaussian matrix's QR decomposition,
    with signs fixed as torch fixes them, over the tensor flattened to (shape[0], -1)."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
                         f"{tensor.shape}")
    generator = rng.filling_generator("orthogonal_", tensor, generator)
    if tensor.data.size == 0:  # nothing to fill, as torch
        return tensor
    rows = tensor.shape[0]
    flat = generator.normal(0.0, 1.0, (rows, tensor.data.size // rows))
    wide = rows < flat.shape[1]
    q, r = np.linalg.qr(flat.T if wide else flat)
    q *= np.sign(np.diag(r))
    return _fill(tensor, (gain * (q.T if wide else q)).reshape(tensor.shape))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))
