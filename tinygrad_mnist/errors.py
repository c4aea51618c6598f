"""The project's error types: subclasses of the built-in ones, so `except ValueError` still works,
and so does torch code's `except` of the type torch raises in the same case."""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op, or a state dict that does not fit a model; the message names the
    op and the shapes (or keys). Also a RuntimeError, as torch's shape mismatches and
    load_state_dict's are (its ValueErrors for a loss's target shape are caught as ValueError)."""


class DTypeError(TypeError, RuntimeError):
    """A dtype (or Python type) an op or argument cannot take; the message names what came and what
    was expected. Also a RuntimeError, as torch's dtype mismatches are (its TypeErrors for an
    argument of the wrong Python type are caught as TypeError)."""


class DataError(ValueError):
    """Data that is missing, corrupt or out of range: a file or state dict that is truncated or not
    what it claims, or values (class indices, targets, probabilities) outside what a function
    accepts; the message names it."""


class OutOfRangeError(DataError, RuntimeError):
    """A value outside the range its dtype or argument takes (256 for a uint8 tensor, say); the
    message names the value and the range. Also a RuntimeError, as torch's."""


class ClassIndexError(DataError, IndexError):
    """A loss's class-index target outside [0, num_classes); an IndexError too, as torch's."""


class ConfigError(ValueError):
    """A model, training or experiment setting that is unknown or out of range."""


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, say); the message says when and what was kept."""


class AnomalyError(RuntimeError):
    """Under detect_anomaly(), an op's forward or backward made NaN or Inf; the message names the op
    and the line of user code that created its tensor."""


class MissingFolderError(FileNotFoundError, RuntimeError):
    """A file to write into a folder that does not exist, where torch refuses it too (torch.save's
    RuntimeError "Parent directory ... does not exist."); the message names the folder."""


class MissingFileError(DataError, FileNotFoundError):
    """A file to read that does not exist: a DataError as the library's other unreadable files, and a
    FileNotFoundError, as torch.load raises (so that `except FileNotFoundError` works as with torch)."""


class MissingToolError(RuntimeError):
    """A program or package the project calls is not installed (graphviz's `dot`, matplotlib for plots);
    the message says how to get it."""


# What a user's input or setup can cause, reported as a one-line error rather than a traceback.
USER_ERRORS = (ConfigError, DataError, ShapeError, DTypeError, TrainingError, MissingToolError,
               FileNotFoundError)
