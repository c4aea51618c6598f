"""Loss modules over nn.functional, with reduction = 'mean' | 'sum' | 'none'.

A loss with class or element weights takes them as its first argument, positional as in torch;
the options after it are keyword-only: torch's next positional arguments are the deprecated
size_average and reduce, which this library does not take, so a positional one is a TypeError, not
a misreading. MSELoss, L1Loss, SmoothL1Loss, KLDivLoss and GaussianNLLLoss have no weight, so all
their options are keyword-only; HuberLoss takes reduction and delta positionally, as torch's, which has no deprecated
arguments, and PoissonNLLLoss log_input and full, which come before them in torch."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module
from .regression_losses import check_bool, check_kl_reduction, check_number, check_threshold


class _Loss(Module):
    def __init__(self, *, reduction: str = "mean"):
        super().__init__()
        F.check_reduction(reduction, type(self).__name__)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.register_buffer("weight", weight)  # as torch: it follows .double() and is in state_dict()


class MSELoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, *, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction=reduction)
        check_threshold(beta, "SmoothL1Loss", "beta", zero_allowed=True)
        self.beta = beta

    def forward(self, input: Tensor, target) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        check_threshold(delta, "HuberLoss", "delta", zero_allowed=False)
        self.delta = delta

    def forward(self, input: Tensor, target) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(Module):
    """The KL divergence of the target from the input (log-probabilities); reduction may also be
    'batchmean', which _Loss's check refuses, and 'mean' warns on every call, as torch's."""

    def __init__(self, *, reduction: str = "mean", log_target: bool = False):
        super().__init__()
        check_kl_reduction(reduction, "KLDivLoss")
        check_bool(log_target, "KLDivLoss", "log_target")
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    def __init__(self, log_input: bool = True, full: bool = False, *, eps: float = 1e-8, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        check_bool(log_input, "PoissonNLLLoss", "log_input")
        check_bool(full, "PoissonNLLLoss", "full")
        check_number(eps, "PoissonNLLLoss", "eps")
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, input: Tensor, target) -> Tensor:
        return F.poisson_nll_loss(input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        check_bool(full, "GaussianNLLLoss", "full")
        check_number(eps, "GaussianNLLLoss", "eps")
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target, var) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Fused log-softmax + NLL over logits; class-index or probability targets; class weights,
    ignore_index and label smoothing."""

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, reduction=reduction)
        F.check_ignore_index(ignore_index, "CrossEntropyLoss")
        F.check_probability(label_smoothing, "CrossEntropyLoss", "label_smoothing")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction=reduction)
        F.check_ignore_index(ignore_index, "NLLLoss")
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean", pos_weight: Tensor | None = None):
        super().__init__(weight, reduction=reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
