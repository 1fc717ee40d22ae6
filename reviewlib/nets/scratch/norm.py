"""Local response normalisation (AlexNet Sect. 3.3) and dropout (Sect. 4.2) by hand.

``local_response_norm`` is the paper's formula as a loop over channels (the reference the fast
:class:`reviewlib.nets.layers.LocalResponseNorm` is tested against); ``torch_lrn_for_paper`` is the fix for the
``alpha`` pitfall of ``torch.nn.LocalResponseNorm``. ``dropout`` is inverted dropout as torch computes it;
``dropout_paper`` / ``dropout_paper_test_time`` the original form of Sect. 4.2.
"""
from __future__ import annotations

import torch
from torch import nn

from ...errors import ConfigError


def local_response_norm(
    x: torch.Tensor, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0
) -> torch.Tensor:
    """Local response normalization exactly as AlexNet Sect. 3.3 writes it (defaults: the paper's values).

    With ``a^i`` the activity of kernel map ``i`` (after the ReLU) at one position, ``N`` the number of maps and
    ``n = size``::

        b^i = a^i / ( k + alpha * sum_{j = max(0, i - n/2)}^{min(N - 1, i + n/2)} (a^j)^2 ) ^ beta

    with ``k = 2, n = 5, alpha = 1e-4, beta = 0.75``. The sum runs over the ``n`` maps next to map ``i`` (fewer at the
    edges): a form of lateral inhibition where strong neighbours damp each other. ``n/2`` is integer division; for
    odd ``n`` the window is ``i - n//2 .. i + n//2``. For even ``n`` (which the paper never uses) the window
    ``i - n//2 .. i + (n-1)//2`` keeps it ``n`` maps wide, as torch does.

    Note ``alpha`` multiplies the *sum*. ``torch.nn.LocalResponseNorm`` multiplies the *mean* (it divides ``alpha``
    by ``n``), so this function equals ``nn.LocalResponseNorm(size, alpha * size, beta, k)``; see
    ``torch_lrn_for_paper``.

    Written as a plain loop over channels, for reading; the channel axis is dim 1 of ``(N, C, ...)``.
    """
    if x.dim() < 3:
        raise ConfigError(f"local_response_norm: input must be (N, C, H, W) or (N, C, L), got shape {tuple(x.shape)}")
    if size < 1:
        raise ConfigError(f"local_response_norm: size={size} must be at least 1 (the paper uses n=5)")
    num_maps = x.shape[1]
    squares = x * x
    outputs = []
    for i in range(num_maps):
        first = max(0, i - size // 2)
        last = min(num_maps - 1, i + (size - 1) // 2)  # = i + n/2 for odd n
        total = squares[:, first : last + 1].sum(dim=1)  # sum of (a^j)^2 over the neighbouring maps
        outputs.append(x[:, i] / (k + alpha * total) ** beta)
    return torch.stack(outputs, dim=1)


def torch_lrn_for_paper(
    size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0
) -> nn.LocalResponseNorm:
    """``torch.nn.LocalResponseNorm`` configured to compute AlexNet's formula (Sect. 3.3): the pitfall fix.

    torch computes ``b = a / (k + alpha / n * sum a^2) ** beta`` (``alpha`` times the *mean* of the squares over the
    window), while the paper writes ``alpha * sum``. Passing the paper's ``alpha = 1e-4`` straight to torch therefore
    normalizes ``n = 5`` times more weakly than the paper. This returns ``nn.LocalResponseNorm(size, alpha * size,
    beta, k)``, which equals ``local_response_norm(x, size, alpha, beta, k)``. Note also torch's default ``k`` is 1,
    the paper's is 2.
    """
    return nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=k)


def _check_p(p: float, layer: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"{layer}: p={p} is the probability of dropping a unit and must be in [0, 1] (paper: 0.5)")


def _keep_mask(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """1 where a unit is kept (probability ``1 - p``), 0 where it is dropped; same shape, dtype, device as ``x``."""
    return torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)


def dropout(
    x: torch.Tensor, p: float = 0.5, training: bool = True, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Inverted dropout, as ``torch.nn.functional.dropout`` computes it.

    At training every unit is set to zero with probability ``p`` and the kept ones are scaled by ``1 / (1 - p)``::

        y = x * m / (1 - p),   m ~ Bernoulli(1 - p) independently per entry,

    so ``E[y] = x`` and at test time the layer is the identity. AlexNet Sect. 4.2 describes the original form
    (no scaling at training, outputs multiplied by 0.5 at test: ``dropout_paper``); the two differ only in where the
    constant ``1 - p`` goes, so they give the same network up to a rescaling of the next layer's weights.

    On the CPU, with the same seed, the mask is bit-identical to ``F.dropout``'s (torch draws it the same way:
    ``empty_like(x).bernoulli_(1 - p)``). On CUDA torch uses a fused kernel with its own random stream, so only the
    statistics agree. ``generator`` (optional) makes the mask reproducible without touching the global seed.
    """
    _check_p(p, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * torch.zeros_like(x)
    # Same operations, in the same order, as torch's CPU path, so the result is bit-identical.
    noise = _keep_mask(x, p, generator).div_(1.0 - p)
    return x * noise


def dropout_paper(
    x: torch.Tensor, p: float = 0.5, training: bool = True, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Dropout in its original form, AlexNet Sect. 4.2.

    Training: "setting to zero the output of each hidden neuron with probability 0.5", no scaling: ``y = x * m``.
    Test: "we use all the neurons but multiply their outputs by 0.5" (``dropout_paper_test_time``): ``y = (1 - p) x``.
    The test-time output is the expected training output, ``E[x * m] = (1 - p) x``; that is why it works.
    Inverted dropout (``dropout``, torch) moves the factor to training time: ``dropout = dropout_paper / (1 - p)``.
    """
    _check_p(p, "dropout_paper")
    if not training:
        return dropout_paper_test_time(x, p)
    return x * _keep_mask(x, p, generator)


def dropout_paper_test_time(x: torch.Tensor, p: float = 0.5) -> torch.Tensor:
    """AlexNet Sect. 4.2 at test time: keep every neuron and multiply its output by ``1 - p`` (0.5 in the paper)."""
    _check_p(p, "dropout_paper_test_time")
    return x * (1.0 - p)


class LocalResponseNorm(nn.Module):
    """AlexNet's LRN (Sect. 3.3) built on ``local_response_norm``.

    ``alpha`` is the **paper's** ``alpha`` (multiplying the sum), and the defaults are the paper's values
    (``n=5, alpha=1e-4, beta=0.75, k=2``). It equals ``torch_lrn_for_paper(size, alpha, beta, k)``, i.e.
    ``nn.LocalResponseNorm(size, alpha * size, beta, k)``, not ``nn.LocalResponseNorm(size, alpha, beta, k)``.
    """

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0) -> None:
        super().__init__()
        if size < 1:
            raise ConfigError(f"LocalResponseNorm: size={size} must be at least 1 (the paper uses n=5)")
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha} (paper convention: times the sum), beta={self.beta}, k={self.k}"


class Dropout(nn.Module):
    """Dropout (AlexNet Sect. 4.2) built on ``dropout``: inverted, like ``nn.Dropout``; active only in ``train()``.

    ``paper=True`` uses the original form instead (``dropout_paper``: no scaling at training, times ``1 - p`` at test).
    """

    def __init__(self, p: float = 0.5, paper: bool = False) -> None:
        super().__init__()
        _check_p(p, "Dropout")
        self.p, self.paper = p, paper

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.paper:
            return dropout_paper(x, self.p, self.training)
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", paper=True" if self.paper else "")
