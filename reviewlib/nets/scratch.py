"""The AlexNet building blocks written by hand: convolution, max-pooling, LRN and dropout.

These layers are written from scratch **on purpose**: they are what the review is about, and seeing them as a few
lines of tensor code is the point of the exercise. Each one is tested equal to the torch built-in on random inputs
(``tests/test_scratch.py``). The library's models (``reviewlib.nets``) use the torch built-ins, which are faster;
swap these in (``swap_in_scratch``) to see that nothing changes.

- ``conv2d``: convolution as one matrix product ("im2col" with ``torch.nn.functional.unfold``), with ``groups`` for
  AlexNet's two GPU towers (Sect. 3.2, 3.5).
- ``max_pool2d``: max over ``unfold``'s windows, including overlapping pooling z=3, s=2 (Sect. 3.4).
- ``local_response_norm``: the LRN formula of Sect. 3.3 as a loop over channels, and the ``alpha`` pitfall of
  ``torch.nn.LocalResponseNorm`` (it divides ``alpha`` by ``n``; ``torch_lrn_for_paper`` is the fix).
- ``dropout``: inverted dropout as torch does it, and ``dropout_paper`` / ``dropout_paper_test_time``: the original
  form of Sect. 4.2 (no scaling at training, outputs multiplied by 0.5 at test).

Every function works on the device and dtype of its input; autograd differentiates through all of them.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

__all__ = [
    "conv2d",
    "max_pool2d",
    "local_response_norm",
    "torch_lrn_for_paper",
    "dropout",
    "dropout_paper",
    "dropout_paper_test_time",
    "Conv2d",
    "MaxPool2d",
    "LocalResponseNorm",
    "Dropout",
    "swap_in_scratch",
]


def _pair(value, name: str, layer: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)``; anything else is a clear error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ConfigError(f"{layer}: {name}={value!r} must be an int or a pair of ints, e.g. {name}=2 or {name}=(2, 1)")


def _output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Positions a window of ``kernel`` visits along one axis: floor((size + 2*padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def _ceil_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """As ``_output_size`` but rounding up, dropping a last window that would start in the right padding (torch's rule)."""
    out = -(-(size + 2 * padding - kernel) // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


# ----------------------------------------------------------------------------------------------------------------------
# Convolution (AlexNet Sect. 3.5; groups: Sect. 3.2)
# ----------------------------------------------------------------------------------------------------------------------
def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    groups: int = 1,
) -> torch.Tensor:
    """2-D convolution as a matrix product ("im2col"); equals ``torch.nn.functional.conv2d``.

    A convolution layer (AlexNet Sect. 3.5, e.g. conv1: 96 kernels of 11x11x3, stride 4) computes, for every output
    channel ``o`` and every output position ``(p, q)``::

        y[n, o, p, q] = bias[o] + sum_{c, u, v} weight[o, c, u, v] * x_pad[n, c, p*s_h + u, q*s_w + v]

    ``F.unfold`` copies every ``kh x kw`` window of the (zero-padded) input into one column, giving a matrix
    ``cols`` of shape ``(N, C*kh*kw, L)`` where ``L = H_out * W_out``. Flattening the weight to ``(O, C*kh*kw)``
    turns the sum above into one matrix product ``weight @ cols`` of shape ``(N, O, L)``, reshaped to
    ``(N, O, H_out, W_out)``.

    ``groups``: AlexNet splits its kernels over two GPUs (Sect. 3.2); conv2, conv4 and conv5 see only the maps on
    their own GPU. That is ``groups=2``: the input channels are cut into ``groups`` equal blocks, the kernels too, and
    block ``g`` of kernels sees only block ``g`` of channels. So ``weight`` has ``C / groups`` input channels
    (conv2: 256 kernels of 5x5x48, not 5x5x96). ``unfold`` lists channels outermost, so the rows of ``cols`` split
    into ``groups`` contiguous blocks and one batched matrix product does all groups at once.

    Args:
        x: input ``(N, C, H, W)`` (or ``(C, H, W)``).
        weight: kernels ``(O, C // groups, kh, kw)``, as in ``nn.Conv2d``.
        bias: ``(O,)`` or ``None``.
        stride, padding: int or ``(h, w)`` pair; padding adds zeros on every side.
        groups: number of towers; must divide both ``C`` and ``O``.
    """
    if x.dim() == 3:  # unbatched input, as F.conv2d allows
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, groups).squeeze(0)
    if x.dim() != 4:
        raise ConfigError(f"conv2d: input must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    if weight.dim() != 4:
        raise ConfigError(f"conv2d: weight must be (out_channels, in_channels // groups, kh, kw), got {tuple(weight.shape)}")
    stride, padding = _pair(stride, "stride", "conv2d"), _pair(padding, "padding", "conv2d")
    n, c, h, w = x.shape
    out_channels, c_per_group, kh, kw = weight.shape
    if groups < 1 or c % groups or out_channels % groups:
        raise ConfigError(
            f"conv2d: groups={groups} must divide both the {c} input channels and the {out_channels} kernels"
        )
    if c_per_group * groups != c:
        raise ConfigError(
            f"conv2d: weight expects {c_per_group} x groups={groups} = {c_per_group * groups} input channels, "
            f"the input has {c}; give weight shape ({out_channels}, {c // groups}, {kh}, {kw})"
        )
    if bias is not None and bias.shape != (out_channels,):
        raise ConfigError(f"conv2d: bias must have shape ({out_channels},), got {tuple(bias.shape)}")
    h_out = _output_size(h, kh, stride[0], padding[0])
    w_out = _output_size(w, kw, stride[1], padding[1])
    if h_out < 1 or w_out < 1:
        raise ConfigError(
            f"conv2d: the {h}x{w} input (padding {padding}) is smaller than the {kh}x{kw} kernel; "
            "use a larger input or more padding"
        )

    # im2col: (N, C*kh*kw, L), one column per output position; rows ordered (channel, u, v).
    cols = F.unfold(x, kernel_size=(kh, kw), padding=padding, stride=stride)
    # Split the rows into the groups' channel blocks: (N, groups, C/groups*kh*kw, L).
    cols = cols.view(n, groups, c_per_group * kh * kw, h_out * w_out)
    # Each group's kernels as a matrix: (groups, O/groups, C/groups*kh*kw).
    kernels = weight.reshape(groups, out_channels // groups, c_per_group * kh * kw)
    # One batched matrix product per (sample, group): (N, groups, O/groups, L).
    y = torch.matmul(kernels, cols)
    y = y.reshape(n, out_channels, h_out, w_out)
    if bias is not None:
        y = y + bias.view(1, out_channels, 1, 1)
    return y


# ----------------------------------------------------------------------------------------------------------------------
# Max-pooling (AlexNet Sect. 3.4)
# ----------------------------------------------------------------------------------------------------------------------
def max_pool2d(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
) -> torch.Tensor:
    """Max-pooling over ``kernel_size`` windows; equals ``torch.nn.functional.max_pool2d``.

    AlexNet Sect. 3.4: a pooling layer is "a grid of pooling units spaced ``s`` pixels apart, each summarizing a
    neighborhood of size ``z x z``". With ``s = z`` the windows tile the map (traditional pooling); AlexNet uses
    overlapping pooling, ``z = 3, s = 2`` (``max_pool2d(x, 3, 2)``)::

        y[n, c, p, q] = max_{u, v < z} x_pad[n, c, p*s + u, q*s + v]

    ``stride`` defaults to ``kernel_size`` (non-overlapping), as in torch. Padding adds ``-inf`` (not zeros) so a
    padded cell never wins the max; ``unfold`` then lists every window's ``kh*kw`` values and we take their max.
    As in torch, ``padding`` may be at most half the kernel, so no window is all padding.

    ``ceil_mode=True`` (torchvision's GoogLeNet uses it) rounds the output size up instead of down: one more window
    at the right/bottom edge when the last one would not fit, as long as it starts inside the input; the missing
    cells are ``-inf`` padding too.
    """
    if x.dim() == 3:
        return max_pool2d(x.unsqueeze(0), kernel_size, stride, padding, ceil_mode).squeeze(0)
    if x.dim() != 4:
        raise ConfigError(f"max_pool2d: input must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    kh, kw = _pair(kernel_size, "kernel_size", "max_pool2d")
    sh, sw = _pair(kernel_size if stride is None else stride, "stride", "max_pool2d")
    ph, pw = _pair(padding, "padding", "max_pool2d")
    if ph > kh // 2 or pw > kw // 2:
        raise ConfigError(
            f"max_pool2d: padding ({ph}, {pw}) must be at most half the kernel ({kh}, {kw}); lower the padding"
        )
    n, c, h, w = x.shape
    h_out, w_out = _output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw)
    if h_out < 1 or w_out < 1:
        raise ConfigError(f"max_pool2d: the {h}x{w} input is smaller than the {kh}x{kw} window; use a larger input")
    if ceil_mode:
        h_out, w_out = _ceil_output_size(h, kh, sh, ph), _ceil_output_size(w, kw, sw, pw)
    # Extra -inf cells at the bottom/right for the windows ceil_mode adds (0 otherwise).
    extra_h = max(0, (h_out - 1) * sh + kh - (h + 2 * ph))
    extra_w = max(0, (w_out - 1) * sw + kw - (w + 2 * pw))

    x = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=float("-inf"))  # (left, right, top, bottom)
    windows = F.unfold(x, kernel_size=(kh, kw), stride=(sh, sw))  # (N, C*kh*kw, L)
    windows = windows.view(n, c, kh * kw, h_out * w_out)
    return windows.amax(dim=2).view(n, c, h_out, w_out)


# ----------------------------------------------------------------------------------------------------------------------
# Local response normalization (AlexNet Sect. 3.3)
# ----------------------------------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------------------------------
# Dropout (AlexNet Sect. 4.2)
# ----------------------------------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------------------------------
# Modules: drop-in replacements for nn.Conv2d, nn.MaxPool2d, nn.LocalResponseNorm, nn.Dropout
# ----------------------------------------------------------------------------------------------------------------------
class Conv2d(nn.Module):
    """``nn.Conv2d`` built on the hand-written ``conv2d`` (zero padding, dilation 1).

    ``weight`` has shape ``(out_channels, in_channels // groups, kh, kw)`` and ``bias`` ``(out_channels,)``, the same
    parameter names and shapes as ``nn.Conv2d``, so ``load_state_dict`` works in both directions. Initialised as
    ``nn.Conv2d`` is (Kaiming-uniform with ``a = sqrt(5)``), not with AlexNet's N(0, 0.01) of Sect. 5.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ConfigError(
                f"Conv2d: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = _pair(stride, "stride", "Conv2d")
        self.padding = _pair(padding, "padding", "Conv2d")
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size, **factory))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The same initialisation as ``nn.Conv2d.reset_parameters``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class MaxPool2d(nn.Module):
    """``nn.MaxPool2d`` built on the hand-written ``max_pool2d``; ``MaxPool2d(3, 2)`` is AlexNet's overlapping pool."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return s + (", ceil_mode=True" if self.ceil_mode else "")


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


def _scratch_version(module: nn.Module) -> nn.Module | None:
    """The scratch module computing the same function as a torch ``module`` (weights copied), or None."""
    if type(module) is nn.Conv2d:
        if module.dilation != (1, 1) or module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise ConfigError(
                f"swap_in_scratch: {module} uses dilation, a string padding or padding_mode != 'zeros', "
                "which the scratch Conv2d does not implement; leave it as nn.Conv2d"
            )
        new = Conv2d(
            module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
            module.groups, bias=module.bias is not None, device=module.weight.device, dtype=module.weight.dtype,
        )
        new.load_state_dict(module.state_dict())
        return new
    if type(module) is nn.MaxPool2d:
        if module.dilation not in (1, (1, 1)) or module.return_indices:
            raise ConfigError(
                f"swap_in_scratch: {module} uses dilation or return_indices, which the scratch "
                "MaxPool2d does not implement; leave it as nn.MaxPool2d"
            )
        return MaxPool2d(module.kernel_size, module.stride, module.padding, module.ceil_mode)
    if type(module) is nn.LocalResponseNorm:
        # torch's alpha multiplies the mean; the scratch (paper) alpha multiplies the sum.
        return LocalResponseNorm(module.size, module.alpha / module.size, module.beta, module.k)
    if type(module) is nn.Dropout:
        return Dropout(module.p)
    return None


def swap_in_scratch(model: nn.Module) -> nn.Module:
    """Replace, in place, every ``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.LocalResponseNorm`` and ``nn.Dropout`` of
    ``model`` by its hand-written counterpart computing the same function (weights copied); returns ``model``.

    The swapped model gives the same outputs (to float rounding) and the same ``state_dict`` keys, e.g.
    ``swap_in_scratch(torchvision.models.alexnet())``. Layers using options the scratch versions lack (dilation,
    ``return_indices``, ...) raise ``ConfigError``.
    """
    for child_name, child in model.named_children():
        new = _scratch_version(child)
        if new is None:
            swap_in_scratch(child)
        else:
            new.train(child.training)
            setattr(model, child_name, new)
    return model
