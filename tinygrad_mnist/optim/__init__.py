"""Optimizers and learning-rate schedulers with torch.optim's update equations."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .serialization import flatten_state_dict, unflatten_state_dict
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler",
           "flatten_state_dict", "unflatten_state_dict"]
