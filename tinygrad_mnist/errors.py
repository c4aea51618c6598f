"""The project's error types: subclasses of the built-in ones, so `except ValueError` still works."""


class ShapeError(ValueError):
    """Shapes that do not fit an op; the message names the op and the shapes."""


class DTypeError(TypeError):
    """A dtype an op or argument cannot take; the message names what came and what was expected."""


class DataError(ValueError):
    """A data file that is missing, corrupt, truncated or not what it claims; the message names it."""


class ConfigError(ValueError):
    """A model, training or experiment setting that is unknown or out of range."""


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, say); the message says when and what was kept."""
