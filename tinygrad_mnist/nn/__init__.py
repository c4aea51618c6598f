"""Neural-network building blocks on Tensor: modules, layers, normalization, losses, init, functional, utils."""
from . import functional, init, utils
from .layers import (ELU, GELU, Dropout, Flatten, Hardtanh, Identity, LeakyReLU, Linear, LogSigmoid, LogSoftmax, ReLU,
                     ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, GaussianNLLLoss, HuberLoss, KLDivLoss, L1Loss,
                     MSELoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss)
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList, Sequential
from .normalization import BatchNorm1d, LayerNorm
