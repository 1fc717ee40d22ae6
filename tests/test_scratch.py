"""The hand-written layers of reviewlib.nets.scratch equal the torch built-ins on random inputs.

Tolerances (float32): convolution and LRN outputs ``rtol = atol = 1e-5`` (convolution weights ~ N(0, 1/fan_in)
so outputs are O(1)); convolution gradients ``rtol = atol = 1e-4``
(they sum over the whole batch and every position, so rounding grows); max-pooling and the dropout masks are exact.
Every test runs on the CPU and, when one is present, on CUDA (in true float32: TF32 is switched off for the test).
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reviewlib.nets import scratch
from reviewlib.errors import ConfigError

RTOL = ATOL = 1e-5  # float32 forward
GRAD_TOL = 1e-4  # float32 gradients

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")),
]


@pytest.fixture(autouse=True)
def true_float32():
    """cuDNN convolutions default to TF32 on recent GPUs (about 1e-3 relative error); compare in true float32."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):
        old = (conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision)
        conv.fp32_precision = torch.backends.cuda.matmul.fp32_precision = "ieee"
        yield
        conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision = old
    else:  # older torch
        old = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        yield
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def _gen(device, seed=0):
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


def _randn(*shape, device, seed=0, scale=1.0):
    return torch.randn(*shape, generator=_gen(device, seed), device=device) * scale


# ----------------------------------------------------------------------------------------------------------------------
# conv2d
# ----------------------------------------------------------------------------------------------------------------------
# (input shape, out_channels, kernel, stride, padding, groups, bias)
CONV_CASES = {
    "3x3 s1 p1 (VGG)": ((2, 3, 17, 17), 8, 3, 1, 1, 1, True),
    "11x11 s4 p2 (AlexNet conv1)": ((2, 3, 39, 39), 8, 11, 4, 2, 1, True),
    "5x5 p2 groups=2 (AlexNet conv2)": ((2, 8, 9, 9), 12, 5, 1, 2, 2, True),
    "3x3 groups=2 no bias": ((1, 6, 7, 8), 4, 3, 1, 1, 2, False),
    "1x1 (VGG-C)": ((3, 4, 8, 8), 5, 1, 1, 0, 1, True),
    "rectangular kernel/stride/padding": ((2, 4, 13, 11), 6, (3, 5), (2, 1), (1, 2), 2, True),
    "depthwise groups=C": ((2, 6, 7, 7), 6, 3, 2, 1, 6, True),
    "7x7 s2 p3 (GoogLeNet conv1)": ((1, 3, 23, 23), 4, 7, 2, 3, 1, True),
}


def _conv_args(case, device, seed=0):
    shape, out_channels, kernel, stride, padding, groups, has_bias = case
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = _randn(*shape, device=device, seed=seed)
    fan_in = shape[1] // groups * kh * kw
    # Weights ~ N(0, 1/fan_in), as a real initialisation would, so outputs are O(1) and 1e-5 is a fair tolerance.
    weight = _randn(out_channels, shape[1] // groups, kh, kw, device=device, seed=seed + 1, scale=fan_in**-0.5)
    bias = _randn(out_channels, device=device, seed=seed + 2) if has_bias else None
    return x, weight, bias, dict(stride=stride, padding=padding, groups=groups)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CONV_CASES.values(), ids=CONV_CASES.keys())
def test_conv2d_equals_torch(case, device):
    x, weight, bias, kw = _conv_args(case, device)
    ours = scratch.conv2d(x, weight, bias, **kw)
    ref = F.conv2d(x, weight, bias, **kw)
    assert ours.shape == ref.shape
    assert ours.device == x.device
    torch.testing.assert_close(ours, ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
def test_conv2d_alexnet_conv1_shape_and_unbatched_input(device):
    # AlexNet Sect. 3.5: 96 kernels 11x11x3 stride 4 on a 227x227 input give 55x55 maps (shape check, 1 image).
    x = _randn(3, 227, 227, device=device)
    weight = _randn(96, 3, 11, 11, device=device, seed=1, scale=0.01)
    out = scratch.conv2d(x, weight, stride=4)
    assert out.shape == (96, 55, 55)
    torch.testing.assert_close(out, F.conv2d(x, weight, stride=4), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["5x5 p2 groups=2 (AlexNet conv2)", "rectangular kernel/stride/padding"])
def test_conv2d_gradients_equal_torch(name, device):
    """Autograd through unfold + matmul gives F.conv2d's gradients for input, weight and bias."""
    x, weight, bias, kw = _conv_args(CONV_CASES[name], device)
    upstream = None
    grads = []
    for fn in (scratch.conv2d, F.conv2d):
        leaves = [t.detach().clone().requires_grad_() for t in (x, weight, bias)]
        out = fn(*leaves, **kw)
        if upstream is None:
            upstream = _randn(*out.shape, device=device, seed=9)
        (out * upstream).sum().backward()
        grads.append([t.grad for t in leaves])
    for ours, ref in zip(*grads):
        torch.testing.assert_close(ours, ref, rtol=GRAD_TOL, atol=GRAD_TOL)


def test_conv2d_gradcheck_float64():
    x, weight, bias, kw = _conv_args(((1, 4, 6, 5), 4, 3, 2, 1, 2, True), "cpu")
    leaves = [t.double().requires_grad_() for t in (x, weight, bias)]
    assert torch.autograd.gradcheck(lambda a, b, c: scratch.conv2d(a, b, c, **kw), leaves)


def test_conv2d_bad_input_names_the_problem():
    x = torch.randn(1, 6, 8, 8)
    with pytest.raises(ConfigError, match="groups=4 must divide"):
        scratch.conv2d(x, torch.randn(8, 2, 3, 3), groups=4)
    with pytest.raises(ConfigError, match=r"give weight shape \(8, 3, 3, 3\)"):
        scratch.conv2d(x, torch.randn(8, 6, 3, 3), groups=2)
    with pytest.raises(ConfigError, match="smaller than the 11x11 kernel"):
        scratch.conv2d(x, torch.randn(8, 6, 11, 11))
    with pytest.raises(ConfigError, match="stride"):
        scratch.conv2d(x, torch.randn(8, 6, 3, 3), stride="2")


# ----------------------------------------------------------------------------------------------------------------------
# Conv2d module
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
def test_Conv2d_loads_an_nn_Conv2d_state_dict_and_matches_it(device):
    ref = nn.Conv2d(8, 12, 5, stride=2, padding=2, groups=2).to(device)
    ours = scratch.Conv2d(8, 12, 5, stride=2, padding=2, groups=2, device=device)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    ours.load_state_dict(ref.state_dict())
    x = _randn(2, 8, 11, 11, device=device)
    torch.testing.assert_close(ours(x), ref(x), rtol=RTOL, atol=ATOL)
    # ... and the other way round, without bias.
    ours = scratch.Conv2d(3, 4, (3, 2), bias=False, device=device)
    ref = nn.Conv2d(3, 4, (3, 2), bias=False).to(device)
    ref.load_state_dict(ours.state_dict())
    x = _randn(2, 3, 6, 6, device=device)
    torch.testing.assert_close(ours(x), ref(x), rtol=RTOL, atol=ATOL)


def test_Conv2d_initialises_like_nn_Conv2d():
    torch.manual_seed(0)
    ref = nn.Conv2d(6, 8, 3, groups=2)
    torch.manual_seed(0)
    ours = scratch.Conv2d(6, 8, 3, groups=2)
    assert torch.equal(ours.weight, ref.weight) and torch.equal(ours.bias, ref.bias)
    with pytest.raises(ConfigError, match="groups=4"):
        scratch.Conv2d(6, 8, 3, groups=4)


# ----------------------------------------------------------------------------------------------------------------------
# max_pool2d
# ----------------------------------------------------------------------------------------------------------------------
# (kernel_size, stride, padding)
POOL_CASES = {
    "overlapping z=3 s=2 (AlexNet)": (3, 2, 0),
    "z=s=2 (VGG, traditional)": (2, None, 0),
    "3x3 s2 p1": (3, 2, 1),
    "3x3 s1 p1 (Inception pool branch)": (3, 1, 1),
    "rectangular": ((3, 2), (2, 1), (1, 0)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", [(2, 3, 13, 13), (1, 4, 10, 9)])
@pytest.mark.parametrize("case", POOL_CASES.values(), ids=POOL_CASES.keys())
@pytest.mark.parametrize("ceil_mode", [False, True], ids=["floor", "ceil_mode"])
def test_max_pool2d_equals_torch(case, shape, ceil_mode, device):
    kernel, stride, padding = case
    x = _randn(*shape, device=device)
    ours = scratch.max_pool2d(x, kernel, stride, padding, ceil_mode)
    assert torch.equal(ours, F.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil_mode))  # a max is exact


@pytest.mark.parametrize("size", range(5, 16))
def test_max_pool2d_ceil_mode_output_sizes_equal_torch(size):
    """ceil_mode (torchvision's GoogLeNet) adds a last, partial window only when it starts inside the input."""
    x = torch.randn(1, 1, size, size + 1)
    for kernel, stride, padding in [(3, 2, 0), (2, 2, 0), (3, 2, 1), (3, 3, 1), (2, 3, 0)]:
        ref = F.max_pool2d(x, kernel, stride, padding, ceil_mode=True)
        assert torch.equal(scratch.max_pool2d(x, kernel, stride, padding, ceil_mode=True), ref), (kernel, stride, padding)


@pytest.mark.parametrize("device", DEVICES)
def test_max_pool2d_pads_with_minus_infinity(device):
    # All inputs negative: zero padding would put zeros on the border of the output; -inf padding must not.
    x = -_randn(2, 3, 9, 9, device=device).abs() - 1.0
    ours = scratch.max_pool2d(x, 3, 2, 1)
    assert (ours < 0).all()
    assert torch.equal(ours, F.max_pool2d(x, 3, 2, 1))


@pytest.mark.parametrize("device", DEVICES)
def test_max_pool2d_alexnet_sizes_and_gradient(device):
    # AlexNet Sect. 3.4/3.5: overlapping pooling z=3, s=2 takes the 55x55 conv1 maps to 27x27 (and 13x13 -> 6x6).
    x = _randn(1, 2, 55, 55, device=device).requires_grad_()
    out = scratch.MaxPool2d(3, 2)(x)
    assert out.shape == (1, 2, 27, 27)
    assert scratch.max_pool2d(torch.zeros(1, 1, 13, 13, device=device), 3, 2).shape == (1, 1, 6, 6)
    # The gradient goes to each window's maximum, as torch's does (no ties in random normals). A pixel that is the
    # maximum of several overlapping windows sums their gradients, in another order than torch: hence a tolerance.
    upstream = _randn(*out.shape, device=device, seed=3)
    (grad_ours,) = torch.autograd.grad((out * upstream).sum(), x)
    (grad_ref,) = torch.autograd.grad((F.max_pool2d(x, 3, 2) * upstream).sum(), x)
    assert torch.equal(grad_ours != 0, grad_ref != 0)
    torch.testing.assert_close(grad_ours, grad_ref, rtol=RTOL, atol=ATOL)


def test_max_pool2d_bad_input_names_the_problem():
    with pytest.raises(ConfigError, match="at most half the kernel"):
        scratch.max_pool2d(torch.randn(1, 1, 8, 8), 3, 2, 2)
    with pytest.raises(ConfigError, match="smaller than the 3x3 window"):
        scratch.max_pool2d(torch.randn(1, 1, 2, 2), 3, 2)


# ----------------------------------------------------------------------------------------------------------------------
# Local response normalization
# ----------------------------------------------------------------------------------------------------------------------
def test_local_response_norm_is_the_paper_formula_by_hand():
    """Sect. 3.3, term by term in plain Python at one position: b^i = a^i / (k + alpha sum_j (a^j)^2)^beta."""
    a = [3.0, -1.0, 20.0, 0.5, 7.0, 0.0, 12.0]  # 7 kernel maps at one pixel
    n, alpha, beta, k = 5, 1e-4, 0.75, 2.0
    big_n = len(a)
    expected = []
    for i in range(big_n):
        window = range(max(0, i - n // 2), min(big_n - 1, i + n // 2) + 1)
        expected.append(a[i] / (k + alpha * sum(a[j] ** 2 for j in window)) ** beta)
    x = torch.tensor(a, dtype=torch.float64).view(1, big_n, 1, 1)
    ours = scratch.local_response_norm(x, n, alpha, beta, k).flatten().tolist()
    assert ours == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("shape", [(2, 10, 5, 5), (3, 4, 6), (1, 3, 4, 4), (1, 6, 2, 3, 3)], ids=str)
def test_local_response_norm_equals_torch_with_alpha_times_n(shape, size, device):
    x = _randn(*shape, device=device, scale=10.0).relu()  # LRN follows a ReLU in AlexNet
    alpha, beta, k = 1e-4, 0.75, 2.0
    ours = scratch.local_response_norm(x, size, alpha, beta, k)
    ref = nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=k)(x)
    torch.testing.assert_close(ours, ref, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(scratch.torch_lrn_for_paper(size, alpha, beta, k)(x), ours, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(scratch.LocalResponseNorm(size, alpha, beta, k)(x), ours, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_lrn_with_the_papers_alpha_is_not_the_paper_formula(device):
    """The pitfall: nn.LocalResponseNorm(5, alpha=1e-4, k=2) divides alpha by n=5 and normalizes far less."""
    x = _randn(2, 16, 6, 6, device=device, scale=30.0).relu()  # activity of the size ReLU outputs reach
    paper = scratch.local_response_norm(x)  # n=5, alpha=1e-4, beta=0.75, k=2
    naive = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(x)
    fixed = scratch.torch_lrn_for_paper()(x)
    assert scratch.torch_lrn_for_paper().alpha == pytest.approx(5e-4)
    torch.testing.assert_close(fixed, paper, rtol=RTOL, atol=ATOL)
    # naive = a / (k + alpha/5 * sum)^beta: a larger output wherever there is activity; here >10% larger somewhere.
    active = paper > 1.0
    ratio = naive[active] / paper[active]
    assert (ratio >= 1.0).all()
    assert ratio.max() > 1.10
    assert not torch.allclose(naive, paper, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("device", DEVICES)
def test_local_response_norm_gradient_equals_torch(device):
    x = _randn(2, 7, 4, 4, device=device, scale=10.0).requires_grad_()
    upstream = _randn(2, 7, 4, 4, device=device, seed=5)
    (ours,) = torch.autograd.grad((scratch.local_response_norm(x) * upstream).sum(), x)
    (ref,) = torch.autograd.grad((scratch.torch_lrn_for_paper()(x) * upstream).sum(), x)
    torch.testing.assert_close(ours, ref, rtol=RTOL, atol=ATOL)


def test_local_response_norm_bad_input():
    with pytest.raises(ConfigError, match="local_response_norm"):
        scratch.local_response_norm(torch.randn(4, 5))
    with pytest.raises(ConfigError, match="size=0"):
        scratch.LocalResponseNorm(0)


# ----------------------------------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
def test_dropout_is_the_identity_at_eval(device):
    x = _randn(4, 8, device=device)
    assert torch.equal(scratch.dropout(x, 0.5, training=False), x)
    assert torch.equal(F.dropout(x, 0.5, training=False), x)
    layer = scratch.Dropout(0.5).eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(scratch.dropout(x, 0.0), x)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_mask_is_bit_identical_to_torch_on_cpu(p):
    """Same seed, same CPU random stream: scratch.dropout and F.dropout / nn.Dropout give the same tensor."""
    x = torch.randn(3, 5, 7)
    torch.manual_seed(123)
    ref = F.dropout(x, p, training=True)
    torch.manual_seed(123)
    ours = scratch.dropout(x, p, training=True)
    assert torch.equal(ours, ref)
    torch.manual_seed(7)
    ref = nn.Dropout(p).train()(x)
    torch.manual_seed(7)
    assert torch.equal(scratch.Dropout(p).train()(x), ref)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_statistics_match_torch(p, device):
    """Kept entries are x / (1 - p), about a fraction p is dropped, the mean is preserved: for ours and torch's."""
    numel = 300_000
    x = _randn(numel, device=device).abs() + 0.1  # no zeros, so "dropped" means "== 0"
    torch.manual_seed(0)
    for name, out in (("scratch", scratch.dropout(x, p, generator=_gen(device, 1))), ("torch", F.dropout(x, p))):
        dropped = out == 0
        rate = dropped.double().mean().item()
        assert abs(rate - p) < 0.005, f"{name}: drop rate {rate:.4f}, expected {p} (binomial sd {(p*(1-p)/numel)**.5:.1e})"
        torch.testing.assert_close(out[~dropped], x[~dropped] / (1 - p), rtol=1e-6, atol=0)
    ones = torch.ones(numel, device=device)
    mean = scratch.dropout(ones, p, generator=_gen(device, 2)).double().mean().item()
    assert mean == pytest.approx(1.0, abs=0.01)  # E[y] = x; sd of the mean is about 2e-3


def test_dropout_generator_reproducible_and_extremes():
    x = torch.randn(64, 64)
    a = scratch.dropout(x, 0.5, generator=_gen("cpu", 3))
    b = scratch.dropout(x, 0.5, generator=_gen("cpu", 3))
    c = scratch.dropout(x, 0.5, generator=_gen("cpu", 4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(scratch.dropout(x, 1.0), F.dropout(x, 1.0))  # p = 1 drops everything, as torch does
    assert torch.count_nonzero(scratch.dropout(x, 1.0)) == 0
    with pytest.raises(ConfigError, match="p=1.5"):
        scratch.dropout(x, 1.5)
    with pytest.raises(ConfigError, match="Dropout"):
        scratch.Dropout(-0.1)


@pytest.mark.parametrize("device", DEVICES)
def test_paper_dropout_equals_inverted_dropout_in_expectation(device):
    """Sect. 4.2: train with y = x*m, test with 0.5*x. Inverted dropout = paper dropout / (1 - p), mask for mask."""
    p = 0.5
    x = _randn(1000, device=device)
    paper = scratch.dropout_paper(x, p, generator=_gen(device, 8))
    inverted = scratch.dropout(x, p, generator=_gen(device, 8))  # the same mask
    torch.testing.assert_close(inverted * (1 - p), paper, rtol=1e-6, atol=0)
    assert set(torch.unique(paper[x != 0] / x[x != 0]).tolist()) == {0.0, 1.0}  # no scaling at training
    # Test time: all neurons, outputs multiplied by 0.5 = the expected training output.
    assert torch.equal(scratch.dropout_paper_test_time(x, p), 0.5 * x)
    assert torch.equal(scratch.dropout_paper(x, p, training=False), 0.5 * x)
    ones = torch.ones(300_000, device=device)
    train_mean = scratch.dropout_paper(ones, p, generator=_gen(device, 9)).double().mean().item()
    assert train_mean == pytest.approx(scratch.dropout_paper_test_time(ones, p).mean().item(), abs=0.005)
    layer = scratch.Dropout(p, paper=True)
    assert torch.equal(layer.eval()(x), 0.5 * x)
    assert set(torch.unique(layer.train()(torch.ones(100, device=device))).tolist()) <= {0.0, 1.0}
