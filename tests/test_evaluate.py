"""Tests of reviewlib.evaluate: the papers' test protocols, dense evaluation, top-k errors and ensembles."""
import copy

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.transforms.v2 import functional as F

from reviewlib.errors import ConfigError
from reviewlib.evaluate import (
    IMAGENET_MEAN, IMAGENET_STD, FullyConvNet, crops_144, default_scales, dense_predict, ensemble_predict, evaluate,
    grid_crops, make_views, model_logits, multicrop_views, paper_scales, predict_dataset, ten_crops, to_dense,
    to_image_tensor, topk_correct, topk_errors,
)


# ----------------------------------------------------------------------------------------------- helpers

class TinyVGG(nn.Module):
    """torchvision's VGG layout (features / avgpool / flatten / classifier), tiny widths, 5 max-pools."""

    def __init__(self, num_classes=5, widths=(4, 6, 8, 8, 12), pool_out=7, hidden=24, batch_norm=False):
        super().__init__()
        layers, c = [], 3
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1)]
            layers += [nn.BatchNorm2d(w)] if batch_norm else []
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2, 2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_out, pool_out))
        self.classifier = nn.Sequential(
            nn.Linear(c * pool_out * pool_out, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


PALETTE = [(220, 30, 30), (30, 200, 40), (30, 40, 220), (230, 220, 40), (200, 40, 200), (40, 200, 210)]
K = len(PALETTE)
IMAGE_SIZE = 32


def colour_dataset(per_class=2, size=(56, 40), seed=0):
    """Solid-colour PIL images (+ noise), one colour per class; non-square, one portrait image per class."""
    rng = np.random.default_rng(seed)
    items = []
    for label, rgb in enumerate(PALETTE):
        for j in range(per_class):
            w, h = size if j % 2 == 0 else size[::-1]
            pixels = np.clip(np.array(rgb) + rng.integers(-10, 11, (h, w, 3)), 0, 255).astype(np.uint8)
            items.append((Image.fromarray(pixels), label))
    return items


def _vgg_shell(hidden=3):
    """VGG layout whose features are a 1x1 identity conv + 16x16 average pool (2x2 map at 32 px)."""
    model = TinyVGG(num_classes=K, widths=(3,), pool_out=2, hidden=hidden)
    model.features = nn.Sequential(nn.Conv2d(3, 3, 1), nn.AvgPool2d(16))
    return model


@torch.no_grad()
def oracle_model():
    """Nearest-colour classifier in VGG layout: logits_c = 2 x.mu_c - |mu_c|^2 on the mean normalised colour."""
    model = _vgg_shell()
    conv, fc1, fc2, fc3 = model.features[0], model.classifier[0], model.classifier[3], model.classifier[6]
    conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
    conv.bias.zero_()
    fc1.weight.copy_(torch.eye(3).repeat_interleave(4, dim=1) / 4)   # mean of the 2x2 positions per channel
    fc1.bias.fill_(10.0)                                               # keeps ReLU the identity
    fc2.weight.copy_(torch.eye(3))
    fc2.bias.zero_()
    mu = (torch.tensor(PALETTE, dtype=torch.float32) / 255 - torch.tensor(IMAGENET_MEAN)) / torch.tensor(IMAGENET_STD)
    fc3.weight.copy_(2 * mu)
    fc3.bias.copy_(-20 * mu.sum(1) - (mu ** 2).sum(1))
    return model


@torch.no_grad()
def constant_model():
    """Ignores the image: class scores 5, 4, 3, 2, 1, 0 -> always predicts 0, top-5 = classes 0..4."""
    model = _vgg_shell()
    for p in model.parameters():
        p.zero_()
    model.classifier[6].bias.copy_(torch.arange(K, 0, -1, dtype=torch.float32) - 1)
    return model


# ----------------------------------------------------------------------------------------------- views

def test_ten_crops_are_5_patches_and_their_mirrors():
    torch.manual_seed(0)
    img = torch.randint(0, 256, (3, 50, 70), dtype=torch.uint8)
    views = ten_crops(img, 32)
    assert views.shape == (10, 3, 32, 32) and views.dtype == torch.uint8
    assert torch.equal(views[5:], views[:5].flip(-1))         # reflections of the 5 patches
    square = F.center_crop(F.resize(img, [37], antialias=True), [37, 37])   # AlexNet Sect. 2: central square
    assert torch.equal(views[0], square[:, :32, :32])
    assert torch.equal(views[3], square[:, -32:, -32:])
    assert torch.equal(views[4], F.center_crop(square, [32, 32]))
    assert len({v.numpy().tobytes() for v in views}) == 10
    pil = Image.fromarray(img.permute(1, 2, 0).numpy())
    assert torch.equal(ten_crops(pil, 32), views)            # PIL and tensor inputs agree


@pytest.mark.parametrize("hw", [(45, 70), (70, 45)])
def test_crops_144_count_distinct_and_mirrors(hw):
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (*hw, 3), dtype=np.uint8))
    assert default_scales("144crop", IMAGE_SIZE) == (37, 41, 46, 50) == paper_scales((256, 288, 320, 352), 32)
    views = crops_144(img, IMAGE_SIZE)
    assert views.shape == (144, 3, IMAGE_SIZE, IMAGE_SIZE)
    assert torch.unique(views.flatten(1), dim=0).shape[0] == 144
    grid = views.view(4, 3, 2, 6, 3, IMAGE_SIZE, IMAGE_SIZE)   # scale, square, mirror, crop
    assert torch.equal(grid[:, :, 1], grid[:, :, 0].flip(-1))
    # crop 5 is the whole square resized; at scale 0 the first square is the left (or top) 37x37 one
    first_square = F.crop(F.resize(F.pil_to_tensor(img), [37], antialias=True), 0, 0, 37, 37)
    assert torch.equal(grid[0, 0, 0, 5], F.resize(first_square, [32, 32], antialias=True))
    assert torch.equal(grid[0, 0, 0, 0], first_square[:, :32, :32])
    assert crops_144(img, IMAGE_SIZE, scales=(40, 48)).shape == (72, 3, 32, 32)


def test_grid_crops_span_the_image():
    img = torch.arange(3 * 48 * 64, dtype=torch.float32).view(3, 48, 64) / (3 * 48 * 64)
    views = grid_crops(img, 32)
    assert views.shape == (50, 3, 32, 32)
    assert torch.equal(views[0], img[:, :32, :32])           # top-left
    assert torch.equal(views[4], img[:, :32, -32:])          # top-right
    assert torch.equal(views[24], img[:, -32:, -32:])        # bottom-right
    assert torch.equal(views[12], img[:, 8:40, 16:48])       # centre of the 5x5 grid
    assert torch.equal(views[25:], views[:25].flip(-1))
    assert grid_crops(img, 32, grid=3, flips=False).shape == (9, 3, 32, 32)
    assert multicrop_views(img, 32, scales=(37, 46)).shape == (100, 3, 32, 32)
    with pytest.raises(ConfigError, match="smaller than the 64x64 crop"):
        grid_crops(img, 64)


def test_make_views_normalises_and_rejects_bad_input():
    img = Image.new("L", (40, 40), color=128)                 # greyscale -> RGB
    assert to_image_tensor(img).shape == (3, 40, 40)
    views = make_views(img, "center", IMAGE_SIZE)
    expected = (128 / 255 - torch.tensor(IMAGENET_MEAN)) / torch.tensor(IMAGENET_STD)
    assert views.shape == (1, 3, 32, 32) and views.dtype == torch.float32
    assert torch.allclose(views[0].mean((1, 2)), expected, atol=1e-5)
    assert make_views(img, "10crop", IMAGE_SIZE, scales=(37, 40)).shape == (20, 3, 32, 32)
    with pytest.raises(ConfigError, match="already normalised"):
        make_views(make_views(Image.new("RGB", (40, 40), (10, 10, 10)), "center", 32)[0], "center", 32)
    with pytest.raises(ConfigError, match="unknown protocol 'twelve'"):
        make_views(img, "twelve", IMAGE_SIZE)
    with pytest.raises(ConfigError, match="dense_predict"):
        make_views(img, "dense", IMAGE_SIZE)


# ----------------------------------------------------------------------------------------------- dense

@pytest.mark.parametrize("batch_norm", [False, True])
def test_dense_net_equals_original_at_224_and_gives_score_maps(batch_norm):
    torch.manual_seed(0)
    model = TinyVGG(pool_out=7, batch_norm=batch_norm).eval()   # torchvision's AdaptiveAvgPool2d((7,7))
    dense = to_dense(model, image_size=224).eval()
    assert isinstance(dense, FullyConvNet) and dense.kernel_size == 7
    assert not any(isinstance(m, nn.AdaptiveAvgPool2d) for m in dense.modules())
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected, scores = model(x), dense(x)
        assert scores.shape == (2, 5, 1, 1)
        assert (scores[:, :, 0, 0] - expected).abs().max() <= 1e-4
        assert dense(torch.randn(1, 3, 448, 448)).shape == (1, 5, 2 * 224 // 32 - 7 + 1, 8)
        assert dense(torch.randn(1, 3, 256, 320)).shape == (1, 5, 2, 4)
    with pytest.raises(ConfigError, match="smaller than the 7x7 kernel"):
        dense(torch.randn(1, 3, 160, 160))


def test_dense_folds_an_adaptive_pool_that_is_not_the_identity():
    """A (7,7) pool after the 2x2 map of a 64-px net is linear: folded into FC1 it keeps the output exact."""
    torch.manual_seed(1)
    model = TinyVGG(pool_out=7).eval()
    dense = to_dense(model, image_size=64).eval()
    assert dense.kernel_size == 2
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        assert (dense(x)[:, :, 0, 0] - model(x)).abs().max() <= 1e-4
        assert dense(torch.randn(1, 3, 128, 128)).shape == (1, 5, 2 * 64 // 32 - 2 + 1, 3)
    with pytest.raises(ConfigError, match="smaller than the 7x7 kernel"):
        to_dense(model)(x)                                   # without image_size a 7x7 map is assumed


def test_dense_predict_averages_flips_and_rejects_googlenet_like_models():
    torch.manual_seed(2)
    model = TinyVGG(pool_out=2).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        p, pf = model(x).softmax(1), model(x.flip(-1)).softmax(1)
        assert torch.allclose(dense_predict(model, x, flips=False), p, atol=1e-6)
        assert torch.allclose(dense_predict(model, x), (p + pf) / 2, atol=1e-6)
        assert torch.allclose(dense_predict(model, x, flips=False, softmax=False), model(x), atol=1e-5)
        big = torch.randn(1, 3, 96, 128)
        scores = to_dense(model)(big)                         # 3x4 map -> 2x3 score map
        assert scores.shape == (1, 5, 2, 3)
        assert torch.allclose(dense_predict(model, big, flips=False), scores.mean((2, 3)).softmax(1), atol=1e-6)
    assert model.training is False

    class NoClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.features, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4, 2)

    with pytest.raises(ConfigError, match="no .avgpool"):
        to_dense(NoClassifier())


# ----------------------------------------------------------------------------------------------- errors / ensembles

def test_topk_errors_on_hand_made_logits():
    logits = torch.tensor([
        [9., 1, 2, 3, 4, 5, 6],    # target 0: top-1 hit
        [1., 9, 2, 3, 4, 5, 6],    # target 6: 2nd -> top-5 hit
        [1., 2, 3, 4, 5, 6, 9],    # target 0: last -> miss both
        [0., 1, 2, 3, 4, 5, 6],    # target 6: top-1 hit
    ])
    targets = torch.tensor([0, 6, 0, 6])
    assert topk_errors(logits, targets) == {"top1": 0.5, "top5": 0.25}
    assert topk_errors(logits, targets, ks=(1, 2, 7)) == {"top1": 0.5, "top2": 0.25, "top7": 0.0}
    three = torch.tensor([[0., 1, 2], [2., 1, 0]])            # 3 classes: k=5 clipped to 3
    assert topk_errors(three, torch.tensor([0, 1])) == {"top1": 1.0, "top5": 0.0}
    with pytest.raises(ConfigError, match="expected logits"):
        topk_errors(logits, targets[:3])
    hits = topk_correct(logits, targets)  # counts on the logits' device, for the training loop's sums
    assert hits.dtype == torch.int64 and hits.tolist() == [2, 3]


def test_evaluate_modules_have_one_job_each_and_restore_train_mode():
    import reviewlib.evaluate.crops as crops
    import reviewlib.evaluate.dense as dense
    import reviewlib.evaluate.predict as predict
    import inspect
    for mod in (crops, dense, predict):
        assert len(inspect.getsource(mod).splitlines()) <= 450
        assert "was_training" not in inspect.getsource(mod)  # reviewlib.nets.eval_mode does it
    m = TinyVGG(pool_out=2).train()
    to_dense(m, 64)
    ensemble_predict([m], torch.randn(1, 3, 64, 64))
    assert m.training


def test_ensemble_of_identical_models_equals_one_and_averages_softmax():
    torch.manual_seed(3)
    a, b = TinyVGG(pool_out=2), TinyVGG(pool_out=2)
    x = torch.randn(4, 3, 64, 64)
    a.eval()
    with torch.no_grad():
        pa, pb = a(x).softmax(1), b.eval()(x).softmax(1)
    b.train()
    assert torch.allclose(ensemble_predict([a, copy.deepcopy(a)], x), pa, atol=1e-6)
    assert torch.allclose(ensemble_predict(a, x), pa, atol=1e-6)
    assert torch.allclose(ensemble_predict([a, b], x), (pa + pb) / 2, atol=1e-6)
    assert b.training and not a.training                      # modes restored


def test_tuple_outputs_take_the_logits():
    class WithAux(nn.Module):                                  # like GoogLeNet in train mode, even in eval
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            out = self.inner(x)
            return out, torch.zeros_like(out), torch.zeros_like(out)

    model = TinyVGG(pool_out=2).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model_logits(WithAux(model), x), model(x))
    assert torch.allclose(ensemble_predict(WithAux(model), x), ensemble_predict(model, x))


# ----------------------------------------------------------------------------------------------- evaluate()

@pytest.mark.parametrize("protocol,crops", [("center", 1), ("10crop", 10), ("144crop", 144), ("dense", 2),
                                            ("multicrop", 50)])
def test_evaluate_oracle_has_zero_error_under_every_protocol(protocol, crops):
    data = colour_dataset()
    result = evaluate(oracle_model(), data, protocol=protocol, image_size=IMAGE_SIZE, device="cpu",
                      batch_size=100, progress=False)
    assert result["top1_error"] == 0.0 and result["top5_error"] == 0.0
    assert result["n"] == len(data) == 12
    assert result["crops_per_image"] == crops and result["protocol"] == protocol
    assert result["seconds"] > 0 and result["models"] == 1


@pytest.mark.parametrize("protocol", ["center", "dense"])
def test_evaluate_constant_model_errors(protocol):
    result = evaluate(constant_model(), colour_dataset(), protocol=protocol, image_size=IMAGE_SIZE, device="cpu",
                      progress=False)
    assert result["top1_error"] == pytest.approx(5 / 6)     # always class 0
    assert result["top5_error"] == pytest.approx(1 / 6)     # class 5 never in its top 5


def test_evaluate_ensembles_multiscale_subsets_and_workers():
    data = colour_dataset()
    oracle = oracle_model()
    res = evaluate([oracle, copy.deepcopy(oracle)], data, protocol="dense", image_size=IMAGE_SIZE, device="cpu",
                   scales=paper_scales((256, 384, 512), IMAGE_SIZE), progress=False)
    assert res["top1_error"] == 0.0 and res["models"] == 2 and res["crops_per_image"] == 6
    assert res["scales"] == (37, 55, 73)
    pred = predict_dataset(constant_model(), data, image_size=IMAGE_SIZE, device="cpu", max_images=6,
                           progress=False, num_workers=1)
    assert pred.indices.tolist() == [0, 2, 4, 7, 9, 11]      # evenly spaced: every class once
    assert pred.targets.tolist() == [0, 1, 2, 3, 4, 5]
    assert pred.preds.tolist() == [0] * 6
    assert pred.probs.shape == (6, K) and torch.allclose(pred.probs.sum(1), torch.ones(6))
    with pytest.raises(ConfigError, match="smaller than image_size=32"):
        evaluate(oracle, data, protocol="center", image_size=IMAGE_SIZE, scales=(30,), device="cpu")
    with pytest.raises(ConfigError, match="unknown protocol"):
        evaluate(oracle, data, protocol="12crop", image_size=IMAGE_SIZE, device="cpu")


def test_to_dense_on_the_two_tower_paper_alexnet():
    from reviewlib.nets import alexnet

    m = alexnet("paper", num_classes=5, width=0.125).eval()
    x = torch.randn(1, 3, 227, 227)
    dense = to_dense(m)
    with torch.no_grad():
        ref = m(x)
        out = dense(x)
        big = dense(torch.randn(1, 3, 291, 291))
    assert out.shape == (1, 5, 1, 1)
    assert (out.flatten(1) - ref).abs().max().item() <= 1e-4
    assert big.shape[-1] > 1  # a larger input gives a score map instead of an error


def test_unreadable_images_are_left_out_of_an_evaluation_and_counted(tmp_path):
    """A corrupt file in the validation set is skipped and counted, never a crash mid-evaluation."""
    import warnings

    from reviewlib.data.subset import load_split
    from reviewlib.data.synthetic import make_synthetic_imagenet
    from reviewlib.evaluate import evaluate
    from reviewlib.nets import build_model

    root = make_synthetic_imagenet(tmp_path / "s", num_classes=2, train_per_class=1, val_per_class=3,
                                   image_size=40, seed=0)
    victim = sorted((root / "val").rglob("*.JPEG"))[0]
    victim.write_bytes(b"not an image" * 10)
    model = build_model("vgg_A", num_classes=2, width=1 / 16, image_size=32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = evaluate(model, load_split(root, "val"), protocol="10crop", image_size=32, progress=False)
    assert r["n"] == 5 and r["skipped"] == 1
    assert any("skipped 1 unreadable" in str(w.message) for w in caught)
