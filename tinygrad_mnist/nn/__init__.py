"""Neural-network building blocks on Tensor: modules, layers, losses, init, functional, utils."""
from . import functional, init, utils
from .layers import Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList, Sequential
