"""The papers' building blocks (reviewlib.nets.layers) on every available device."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reviewlib.errors import ConfigError
from reviewlib.nets import count_params
from reviewlib.nets.layers import (AuxClassifier, ConvBlock, FixedInput, Inception, LocalResponseNorm, NaiveInception,
                                   TwoTowerConv, fc_head, local_response_norm, lrn_band)
from reviewlib.nets.scratch import local_response_norm as lrn_loop

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
    ["mps"] if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else [])


def lrn_by_the_formula(a, n=5, alpha=1e-4, beta=0.75, k=2.0):
    """AlexNet Sect. 3.3 written out: b_i = a_i / (k + alpha * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} a_j^2)^beta."""
    N = a.shape[1]
    out = torch.empty_like(a)
    for i in range(N):
        lo, hi = max(0, i - n // 2), min(N - 1, i + n // 2)
        s = (a[:, lo:hi + 1] ** 2).sum(dim=1)
        out[:, i] = a[:, i] / (k + alpha * s) ** beta
    return out


def activations(*shape, device="cpu", dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g, dtype=dtype) * 30).to(device)  # post-ReLU, large enough to normalise


@pytest.mark.parametrize("device", DEVICES)
def test_lrn_equals_the_paper_formula(device):
    a = activations(2, 12, 5, 5, device=device)
    ours = LocalResponseNorm()(a)
    assert torch.allclose(ours, lrn_by_the_formula(a), rtol=1e-5, atol=1e-6)
    assert torch.allclose(ours, lrn_loop(a), rtol=1e-5, atol=1e-6)  # the hand-written loop of reviewlib.nets.scratch


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("beta", [0.75, 0.6])
def test_lrn_forward_and_backward_equal_torch_with_alpha_times_n(size, beta):
    a = activations(3, 10, 4, 6).requires_grad_()
    b = a.detach().clone().requires_grad_()
    ours = local_response_norm(a, size, 1e-2, beta, 2.0)
    theirs = F.local_response_norm(b, size, alpha=1e-2 * size, beta=beta, k=2.0)
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert torch.allclose(ours, lrn_loop(a.detach(), size, 1e-2, beta, 2.0), rtol=1e-5, atol=1e-6)
    g = torch.randn_like(ours)
    ours.backward(g)
    theirs.backward(g)
    assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("towers", [1, 2])
@pytest.mark.parametrize("beta", [0.75, 0.6])
def test_lrn_gradcheck_float64(towers, beta):
    a = activations(2, 8, 3, 3, dtype=torch.float64).requires_grad_()
    assert LocalResponseNorm(towers=towers)(a).dtype == torch.float64  # float64 stays float64
    assert torch.autograd.gradcheck(lambda t: local_response_norm(t, 5, 1e-2, beta, 2.0, towers), (a,))
    assert torch.autograd.gradcheck(lambda t: local_response_norm(t, 4, 1e-2, beta, 2.0, towers), (a,))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("towers", [1, 2])
def test_lrn_on_channels_last_maps_equals_the_formula_forward_and_backward(device, towers):
    """Training keeps maps channels-last (reviewlib.device.channels_last): the channel sum then runs on the last
    memory axis; the numbers and the gradient must be those of the usual layout, and the layout is kept."""
    a = activations(2, 12, 5, 7, device=device).requires_grad_()
    b = a.detach().contiguous(memory_format=torch.channels_last).requires_grad_()
    assert not b.is_contiguous()
    ours, theirs = local_response_norm(b, towers=towers), local_response_norm(a, towers=towers)
    assert ours.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    if towers == 1:
        torch.testing.assert_close(ours, lrn_by_the_formula(a.detach()), rtol=1e-5, atol=1e-6)
    g = torch.randn_like(theirs)
    ours.backward(g)
    theirs.backward(g)
    torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6)
    c = activations(1, 8, 2, 3, dtype=torch.float64).contiguous(memory_format=torch.channels_last).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: local_response_norm(t, 5, 1e-2, 0.75, 2.0, towers), (c,))


def test_torch_lrn_divides_alpha_by_n():
    a = activations(2, 12, 5, 5)
    paper = lrn_by_the_formula(a)
    naive = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(a)  # the pitfall
    fixed = nn.LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2.0)(a)
    assert (naive - paper).abs().max() > 1e-2
    assert torch.allclose(fixed, paper, rtol=1e-5, atol=1e-6)


def test_lrn_towers_normalise_each_half_on_its_own():
    a = activations(1, 8, 3, 3)
    two = LocalResponseNorm(towers=2)(a)
    assert torch.allclose(two[:, :4], lrn_by_the_formula(a[:, :4]), atol=1e-6)
    assert torch.allclose(two[:, 4:], lrn_by_the_formula(a[:, 4:]), atol=1e-6)
    assert not torch.allclose(two, LocalResponseNorm()(a), atol=1e-6)  # channels 3 and 4 no longer interact
    band = lrn_band(8, 5, towers=2)
    assert band[:4, 4:].eq(0).all() and band[4:, :4].eq(0).all()  # block-diagonal: one 1x1 conv, no chunk/cat
    assert band[0].tolist() == [1, 1, 1, 0, 0, 0, 0, 0] and band[2].tolist() == [1, 1, 1, 1, 0, 0, 0, 0]
    with pytest.raises(ConfigError, match="cannot be split into 2 towers"):
        LocalResponseNorm(towers=2)(activations(1, 7, 3, 3))


@pytest.mark.parametrize("device", DEVICES)
def test_lrn_under_bf16_autocast_computes_in_float32(device):
    if device == "mps" and not torch.amp.is_autocast_available("mps"):
        pytest.skip("this torch has no autocast on MPS")
    conv = nn.Conv2d(3, 8, 3).to(device)
    x = torch.randn(2, 3, 9, 9, device=device)
    lrn = LocalResponseNorm(towers=2)
    with torch.autocast(device, dtype=torch.bfloat16):
        h = torch.relu(conv(x)) * 30
        assert h.dtype == torch.bfloat16
        y = lrn(h)
    assert y.dtype == torch.bfloat16  # returned in the dtype it came in
    ref = lrn(h.float())  # the same bf16 activations, normalised in float32: equal up to the final rounding
    assert torch.allclose(y.float(), ref, rtol=1e-2, atol=1e-2)
    y.float().sum().backward()
    assert conv.weight.grad is not None and torch.isfinite(conv.weight.grad).all()


def test_lrn_runs_on_meta():
    assert LocalResponseNorm(towers=2)(torch.empty(2, 8, 5, 5, device="meta")).shape == (2, 8, 5, 5)


@pytest.mark.parametrize("device", DEVICES)
def test_blocks_run_on_device(device):
    x = torch.randn(2, 16, 14, 14, device=device)
    assert ConvBlock(16, 8, 3, padding=1).to(device)(x).shape == (2, 8, 14, 14)
    assert ConvBlock(16, 8, 3, padding=1, batch_norm=True).to(device)(x).shape == (2, 8, 14, 14)
    assert TwoTowerConv(16, 8, 3, padding=1).to(device)(x).shape == (2, 8, 14, 14)
    inc = Inception(16, 4, 4, 6, 2, 3, 5).to(device)
    assert inc(x).shape == (2, 4 + 6 + 3 + 5, 14, 14) and inc.out_channels == 18
    assert NaiveInception(16, 4, 6, 3).to(device)(x).shape == (2, 4 + 6 + 3 + 16, 14, 14)
    assert AuxClassifier(16, 10, pooled_size=4).to(device).eval()(x).shape == (2, 10)  # 14 -> 5x5/3 -> 4


def test_two_tower_conv_without_cross_sees_only_its_half():
    conv = TwoTowerConv(4, 4, 1, cross=False)
    x = torch.randn(1, 4, 3, 3)
    y = conv(x)
    x2 = x.clone()
    x2[:, 2:] += 1.0  # change only the second tower's input maps
    y2 = conv(x2)
    assert torch.equal(y[:, :2], y2[:, :2]) and not torch.equal(y[:, 2:], y2[:, 2:])
    with pytest.raises(ConfigError, match="cannot be split evenly into 2 towers"):
        TwoTowerConv(3, 4, 1, cross=False)


def test_inception_branch_params_with_and_without_reduction():
    reduced = Inception(192, 64, 96, 128, 16, 32, 32)  # GoogLeNet's 3a, paper 5x5 branch
    naive = NaiveInception(192, 64, 128, 32)
    count = count_params
    # 1x1: 192*64+64; 3x3: 192*96+96 + 96*128*9+128; 5x5: 192*16+16 + 16*32*25+32; proj: 192*32+32
    assert count(reduced) == (192 * 64 + 64) + (192 * 96 + 96 + 96 * 128 * 9 + 128) + (
        192 * 16 + 16 + 16 * 32 * 25 + 32) + (192 * 32 + 32)
    assert count(naive) == (192 * 64 + 64) + (192 * 128 * 9 + 128) + (192 * 32 * 25 + 32)
    assert count(reduced) < count(naive)


def test_fc_head_orders_and_fixed_input_guard():
    alex = fc_head(9216, (4096, 4096), 1000, dropout_first=True)
    assert [type(m).__name__ for m in alex] == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear"]
    vggh = fc_head(25088, (4096, 4096), 1000, dropout_first=False)
    assert [type(m).__name__ for m in vggh] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    guard = FixedInput((8, 6, 6), "fc6", "toy", 227)
    assert guard(torch.zeros(1, 8, 6, 6)).shape == (1, 8, 6, 6)
    with pytest.raises(ConfigError, match="fc6 expects a 6x6x8 map"):
        guard(torch.zeros(1, 8, 7, 7))
