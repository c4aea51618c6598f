"""The project's error types: subclasses of the built-in ones, so `except ValueError` still works."""


class ShapeError(ValueError):
    """Shapes that do not fit an op; the message names the op and the shapes."""


class DTypeError(TypeError):
    """A dtype an op or argument cannot take; the message names what came and what was expected."""
