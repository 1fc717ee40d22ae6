"""reviewlib.train.recipes, .init and .sgd: the papers' values, scaling, initialisations, AlexNet's SGD rule."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torchvision.models import vgg as tv_vgg

from reviewlib.budget import get_budget
from reviewlib.train import init as I
from reviewlib.train import recipes as R
from reviewlib.train import sgd as S


def test_paper_values():
    a, v, g = R.paper_recipe("alexnet"), R.paper_recipe("vgg"), R.paper_recipe("googlenet")
    # AlexNet Sect. 5
    assert (a.batch_size, a.lr, a.momentum, a.weight_decay) == (128, 0.01, 0.9, 5e-4)
    assert (a.schedule, a.gamma, a.max_reductions, a.epochs) == ("plateau", 0.1, 3, 90)
    assert a.init == "alexnet" and a.ema_decay is None and a.aux_weight == 0.0
    # VGG Sect. 3.1
    assert (v.batch_size, v.lr, v.momentum, v.weight_decay) == (256, 0.01, 0.9, 5e-4)
    assert (v.schedule, v.gamma, v.max_reductions, v.epochs) == ("plateau", 0.1, 3, 74)
    assert v.init == "vgg-paper"
    # GoogLeNet Sect. 5-6
    assert (g.momentum, g.schedule, g.gamma, g.step_every, g.aux_weight) == (0.9, "step", 0.96, 8, 0.3)
    assert g.ema_decay is not None and 0.99 <= g.ema_decay < 1
    assert "BVLC" in g.notes  # values the paper does not give are attributed


def test_step_schedule_factor():
    g = R.paper_recipe("googlenet")
    assert [g.lr_factor(e) for e in (0, 7, 8, 15, 16, 24)] == pytest.approx([1, 1, 0.96, 0.96, 0.96**2, 0.96**3])
    assert R.paper_recipe("alexnet").lr_factor(50) == 1.0


def test_no_dead_fields():
    fields = set(R.Recipe.__dataclass_fields__)
    assert not fields & {"dropout", "warm_start", "budget"}  # dropout lives in the models; warm start is a call


def test_scaled_recipe_unchanged_is_the_paper():
    for p in R.PAPERS:
        assert R.scaled_recipe(p) == R.paper_recipe(p)
        assert R.scaled_recipe(p, batch_size=R.paper_recipe(p).batch_size) == R.paper_recipe(p)


def test_scaled_recipe_scales_batch_lr_and_schedule():
    a = R.scaled_recipe("alexnet", batch_size=64, epochs=45)
    assert (a.batch_size, a.epochs) == (64, 45)
    assert a.lr == pytest.approx(0.01 * 64 / 128)  # linear scaling with the batch
    assert a.patience == 1  # 2 epochs of 90, compressed to 45
    assert "Scaled: batch 64, 45 epochs" in a.notes and "Study tuning" not in a.notes
    g = R.scaled_recipe("googlenet", batch_size=64, epochs=45)
    assert g.lr == pytest.approx(0.01 * 64 / 32)
    assert g.step_every == pytest.approx(8 * 45 / 60)  # same number of x0.96 steps over the run
    assert g.lr_factor(44) == pytest.approx(0.96 ** math.floor(44 / 6))
    v = R.scaled_recipe("vgg", batch_size=64, epochs=45, lr=0.123)
    assert v.lr == 0.123 and "lr=0.123" in v.notes


def test_tuned_recipe_applies_the_documented_study_tuning():
    for p in R.PAPERS:
        r = R.scaled_recipe(p, batch_size=64, epochs=8, tuned=True)
        assert r.batch_size == 64 and r.epochs == 8
        for k, val in R.STUDY_TUNING[p].items():
            assert getattr(r, k) == val
        assert "Study tuning: " + R.STUDY_TUNING_WHY[p] in r.notes


def test_study_recipes_are_the_papers_scaled_and_tuned():
    for p in R.PAPERS:
        assert R.scaled_recipe(p) == R.paper_recipe(p)  # the paper budget: the recipe as the paper states it
        study = R.scaled_recipe(p, batch_size=64, epochs=20, tuned=True)
        assert study.schedule == "linear" and study.init == "kaiming" and study.epochs == 20
        assert "Study tuning" in study.notes
    assert R.scaled_recipe("alexnet", batch_size=64, epochs=45, lr=0.5).lr == 0.5


def test_linear_schedule_falls_to_zero_over_the_run():
    model = nn.Linear(2, 2)
    recipe = R.scaled_recipe("vgg", batch_size=64, epochs=4, tuned=True)
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr)
    sched = R.make_scheduler(opt, recipe)
    lrs = []
    for _ in range(4):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([recipe.lr * f for f in (1.0, 0.75, 0.5, 0.25)])


def test_bad_recipe_values_are_named():
    with pytest.raises(ValueError, match="schedule"):
        R.paper_recipe("alexnet").with_(schedule="cosine-annealing")
    with pytest.raises(ValueError, match="unknown paper 'resnet'"):
        R.scaled_recipe("resnet", batch_size=64, epochs=8)
    with pytest.raises(ValueError, match="ema_decay"):
        R.paper_recipe("googlenet").with_(ema_decay=1.0)


def test_plateau_divides_by_ten_at_most_three_times():
    model = nn.Linear(2, 2)
    recipe = R.paper_recipe("alexnet").with_(patience=1)
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr)
    sched = R.make_scheduler(opt, recipe)
    lrs = []
    for err in [50, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40]:
        sched.step(err)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[1] == 0.01 and lrs[3] == pytest.approx(1e-3)  # two epochs without improvement
    assert sorted(set(round(x, 12) for x in lrs), reverse=True) == pytest.approx([1e-2, 1e-3, 1e-4, 1e-5])


# ----------------------------------------------------------------------------------- SGD update rule (AlexNet Sect. 5)

def test_paper_sgd_step_formula():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    w.grad = torch.tensor([0.5, 0.25])
    v = [torch.tensor([0.1, 0.0])]
    S.paper_sgd_step([w], v, lr=0.1)
    v_expected = 0.9 * torch.tensor([0.1, 0.0]) - 0.0005 * 0.1 * torch.tensor([1.0, -2.0]) - 0.1 * w.grad
    assert torch.allclose(v[0], v_expected)
    assert torch.allclose(w.detach(), torch.tensor([1.0, -2.0]) + v_expected)


def test_paper_rule_equals_torch_sgd_at_constant_lr():
    d = S.compare_with_torch_sgd([0.05] * 30)
    assert d.max_abs_diff.max() < 1e-12


def test_paper_rule_differs_from_torch_sgd_after_lr_change():
    lrs = [0.05] * 10 + [0.005] * 10
    d = S.compare_with_torch_sgd(lrs)
    assert d.max_abs_diff.iloc[:10].max() < 1e-12
    assert d.max_abs_diff.iloc[10] > 1e-6  # first step at the new lr
    # the known difference: torch applies the new lr to the whole velocity, the paper only to new gradients;
    # predicted from torch's velocity b after step 9 (v_paper = -lr_old * b): diff = momentum*(lr_old-lr_new)*|b|
    w = torch.randn(8, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g, dtype=torch.float64)
    y = torch.randn(64, generator=g, dtype=torch.float64)
    w = torch.randn(8, generator=g, dtype=torch.float64).requires_grad_(True)
    opt = torch.optim.SGD([w], lr=0.05, momentum=0.9, weight_decay=5e-4)
    for _ in range(10):
        w.grad = None
        ((x @ w - y) ** 2).mean().backward()
        opt.step()
    b = opt.state[w]["momentum_buffer"]
    predicted = (0.9 * (0.05 - 0.005) * b).abs().max().item()
    assert d.max_abs_diff.iloc[10] == pytest.approx(predicted, rel=1e-9)


# ----------------------------------------------------------------------------------------------------- initialisation

def _alexnet():
    from reviewlib.nets import build_model
    return build_model("alexnet_paper", num_classes=10, width=0.125, image_size=96)


def test_init_alexnet_biases_and_std():
    torch.manual_seed(0)
    model = _alexnet()
    biases = I.init_alexnet(model)
    convs = [m for m in model.features.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.classifier.modules() if isinstance(m, nn.Linear)]
    per_layer = I._paper_conv_layers([(n, m) for n, m in model.features.named_modules() if isinstance(m, nn.Conv2d)])
    assert len(per_layer) == 5 and len(linears) == 3
    expected_conv = [0.0, 1.0, 0.0, 1.0, 1.0]  # bias 1 in conv2, conv4, conv5
    for layer, b in zip(per_layer, expected_conv):
        for _, m in layer:
            assert torch.all(m.bias == b)
    assert [float(m.bias.detach().unique()) for m in linears] == [1.0, 1.0, 0.0]  # hidden FC: 1; output: 0
    weights = torch.cat([m.weight.flatten() for m in convs + linears])
    assert weights.mean().abs() < 1e-3 and weights.std().item() == pytest.approx(0.01, rel=0.02)
    assert sum(b == 1.0 for b in biases.values()) >= 5


def _tiny_vgg(cfg: str, classes=10, scale=16):
    """torchvision's VGG layout (features / avgpool / classifier [Linear, ReLU, Dropout] x2 + Linear), tiny."""
    layers = [c if c == "M" else c // scale for c in tv_vgg.cfgs[cfg]]
    model = nn.Module()
    model.features = tv_vgg.make_layers(layers)
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    c = 512 // scale
    model.classifier = nn.Sequential(nn.Linear(c, 64), nn.ReLU(True), nn.Dropout(), nn.Linear(64, 64), nn.ReLU(True),
                                     nn.Dropout(), nn.Linear(64, classes))
    return model


def test_init_vgg_schemes():
    torch.manual_seed(0)
    m = _tiny_vgg("D", scale=2)
    assert I.init_vgg(m, "paper") == "paper"
    w = torch.cat([p.flatten() for n, p in m.named_parameters() if n.endswith("weight")])
    assert w.std().item() == pytest.approx(0.1, rel=0.02)  # variance 1e-2 (VGG Sect. 3.1)
    assert all(torch.all(p == 0) for n, p in m.named_parameters() if n.endswith("bias"))
    I.init_vgg(m, "glorot")
    conv = m.features[2]
    bound = math.sqrt(6 / (conv.in_channels * 9 + conv.out_channels * 9))
    assert conv.weight.abs().max() <= bound and conv.weight.abs().max() > 0.9 * bound
    with pytest.raises(ValueError, match="unknown scheme 'he'"):
        I.init_vgg(m, "he")


def test_warm_start_vgg_copies_first_four_conv_and_three_fc():
    torch.manual_seed(0)
    a, d = _tiny_vgg("A"), _tiny_vgg("D")
    copied = I.warm_start_vgg(d, a)
    # A's conv1_1, conv2_1, conv3_1, conv3_2 go to the same places in D: features 0, 5, 10, 12
    assert copied == ["features.0", "features.5", "features.10", "features.12",
                      "classifier.0", "classifier.3", "classifier.6"]
    pairs = [(a.features[0], d.features[0]), (a.features[3], d.features[5]), (a.features[6], d.features[10]),
             (a.features[8], d.features[12]), (a.classifier[0], d.classifier[0]), (a.classifier[6], d.classifier[6])]
    for src, dst in pairs:
        assert torch.equal(src.weight, dst.weight) and torch.equal(src.bias, dst.bias)
    assert not torch.equal(d.features[2].weight, a.features[3].weight[:, :4])  # conv1_2 keeps its init
    # a shape mismatch (other class count) is skipped, not an error
    assert I.warm_start_vgg(_tiny_vgg("D", classes=5), a)[-1] == "classifier.3"


def test_warm_start_with_reviewlib_models():
    import reviewlib.nets as models
    a = models.build_model("vgg_A", num_classes=10, width=0.125, image_size=32)
    e = models.build_model("vgg_E", num_classes=10, width=0.125, image_size=32)
    copied = I.warm_start_vgg(e, a)
    assert len(copied) == 7


def test_init_googlenet_bvlc_style():
    from reviewlib.nets import build_model
    model = build_model("googlenet_paper", num_classes=10, width=0.125, image_size=96)
    torch.manual_seed(0)
    I.init_googlenet(model)
    assert torch.all(model.fc.bias == 0)
    for aux in (model.aux1, model.aux2):
        assert torch.all(aux.fc2.bias == 0) and torch.all(aux.fc1.bias == 0.2)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.bias is None or torch.all(m.bias == 0.2) for m in convs)
    c = convs[0]
    fan_in, fan_out = c.weight[0].numel(), c.weight.shape[0] * c.weight[0, 0].numel()
    assert c.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))


def test_init_model_dispatch():
    m = _tiny_vgg("A")
    I.init_model(m, R.scaled_recipe("vgg", batch_size=64, epochs=8, tuned=True))  # kaiming in the study budget
    out = m.classifier[-1].weight
    assert out.std().item() == pytest.approx(0.01, rel=0.2)
    with pytest.raises(ValueError, match="unknown init scheme"):
        I.init_model(m, "orthogonal")
