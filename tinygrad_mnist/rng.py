"""The one seeded random generator behind randn, rand, init, dropout and shuffling."""
from __future__ import annotations

import numpy as np

from .errors import DTypeError, OutOfRangeError

_generator = None  # made on first use: importing numpy.random costs ~13 ms of every import


def manual_seed(seed: int) -> None:
    """Reseed the global generator: same seed, same numbers."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The global generator (replaced by manual_seed, so fetch it each time)."""
    global _generator
    if _generator is None:
        _generator = np.random.default_rng()
    return _generator


def get_state() -> dict:
    """The generator's state, for checkpoints."""
    return generator().bit_generator.state


def set_state(state: dict) -> None:
    """Restore a state returned by get_state."""
    generator().bit_generator.state = state


def checked_generator(generator, owner: str) -> np.random.Generator | None:
    """A generator argument as given (None, or a np.random.Generator) or made from an integer seed
    >= 0; anything else is a DTypeError naming owner."""
    if isinstance(generator, np.random.Generator) or generator is None:
        return generator
    if isinstance(generator, (bool, np.bool_)) or not isinstance(generator, (int, np.integer)) or generator < 0:
        raise DTypeError(f"{owner}: generator must be a np.random.Generator or an integer seed >= 0, "
                         f"got {generator!r}")
    return np.random.default_rng(generator)


def filling_generator(owner: str, tensor, given) -> np.random.Generator:
    """The generator to fill tensor from: given (a generator or seed as checked_generator takes),
    or the global one if None. As in torch, which has no random kernels for them, integer and bool
    tensors are refused."""
    if tensor.dtype.kind != "f":
        raise DTypeError(f"{owner}: random values need a floating-point tensor, got {tensor.dtype}")
    given = checked_generator(given, owner)
    return generator() if given is None else given


def random_values(owner: str, tensor, given, distribution: str, *params: float) -> np.ndarray:
    """Values for tensor's shape from distribution(*params) of filling_generator(owner, tensor, given);
    a uniform distribution's bounds checked as torch's uniform_ checks them."""
    source = filling_generator(owner, tensor, given)
    if distribution == "uniform":
        _check_uniform_bounds(owner, tensor.dtype, *params)
    return getattr(source, distribution)(*params, tensor.shape)


def _check_uniform_bounds(owner: str, dtype: np.dtype, low, high) -> None:
    """Raise unless U(low, high) fits dtype: each bound a number within its range, low <= high, and
    high - low within the range too."""
    largest = float(np.finfo(dtype).max)  # (a float32 max would take a bound such as 1e39 as a float32: inf)
    for name, value in (("from", low), ("to", high)):
        if not -largest <= value <= largest:  # NaN fails too
            raise OutOfRangeError(f"{owner}: {name}={value} is out of bounds for {dtype} (from {-largest} to "
                                  f"{largest}), as in torch")
    if low > high:
        raise OutOfRangeError(f"{owner} expects to return a [from, to) range, but found from={low} > to={high}")
    if float(high) - float(low) > largest:
        raise OutOfRangeError(f"{owner}: to - from = {float(high) - float(low)} is more than {dtype} holds "
                              f"({largest}), as torch checks")
