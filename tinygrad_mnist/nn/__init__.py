"""Neural-network building blocks on Tensor: modules, layers, normalization, losses, init, functional, utils."""
from . import functional, init, utils
from .layers import (CELU, ELU, GELU, SELU, Dropout, Flatten, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, Identity,
                     LeakyReLU, Linear, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus,
                     Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, GaussianNLLLoss, HuberLoss, KLDivLoss, L1Loss,
                     MSELoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss)
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList, Sequential
from .normalization import BatchNorm1d, LayerNorm
