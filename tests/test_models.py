"""The three models from their tables: torchvision interop, the papers' counts and feature-map sizes."""
import inspect

import pytest
import torch
import torchvision
from torch import nn

from reviewlib.errors import ConfigError
from reviewlib.nets import (MODEL_NAMES, PAPERS, WEIGHT_LAYERS, GoogLeNet, alexnet, alexnet_specs, build_model,
                            count_params, googlenet, googlenet_specs, input_side, paper_of, shorthand, vgg, vgg_specs)
from reviewlib.nets.arch import trace

n_params = count_params


def assert_same_outputs(ours, theirs, size=224, train=False):
    ours.load_state_dict(theirs.state_dict())  # the keys must match exactly (strict)
    ours.train(train)
    theirs.train(train)
    x = torch.randn(2, 3, size, size)
    torch.manual_seed(0)
    a = ours(x)
    torch.manual_seed(0)
    b = theirs(x)
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.shape == v.shape
        assert (u - v).abs().max().item() <= 1e-5


def test_alexnet_torchvision_variant_matches_torchvision():
    tv = torchvision.models.alexnet()
    ours = alexnet("torchvision")
    assert n_params(ours) == n_params(tv) == 61_100_840
    assert_same_outputs(ours, tv)


@pytest.mark.parametrize("tv_name,config,bn", [
    ("vgg11", "A", False), ("vgg13", "B", False), ("vgg16", "D", False), ("vgg19", "E", False),
    ("vgg11_bn", "A", True), ("vgg16_bn", "D", True)])
def test_vgg_matches_torchvision(tv_name, config, bn):
    tv = getattr(torchvision.models, tv_name)()
    ours = vgg(config, batch_norm=bn)
    assert n_params(ours) == n_params(tv)
    assert_same_outputs(ours, tv)


@pytest.mark.parametrize("aux", [True, False])
def test_googlenet_matches_torchvision(aux):
    tv = torchvision.models.googlenet(weights=None, aux_logits=aux, init_weights=True)
    ours = googlenet("torchvision", aux_logits=aux)
    assert n_params(ours) == n_params(tv)
    assert_same_outputs(ours, tv)
    if aux:
        assert_same_outputs(ours, tv, train=True)  # (logits, aux_logits2, aux_logits1), dropout seeded alike
    no_aux = googlenet("torchvision", aux_logits=False)
    assert n_params(no_aux) == 6_624_904


def test_paper_alexnet_parameter_count_and_two_tower_connectivity():
    m = alexnet("paper")
    # conv1 34,944 + conv2 307,456 + conv3 885,120 + conv4 663,936 + conv5 442,624
    # + fc6 37,752,832 + fc7 16,781,312 + fc8 4,097,000: the paper's "60 million"
    assert n_params(m) == 60_965_224
    conv2 = m.features[4]  # conv1 ReLU LRN pool conv2
    assert [tuple(t.weight.shape) for t in conv2.towers] == [(128, 48, 5, 5)] * 2  # "5x5x48": own tower only
    conv3 = m.features[8]
    assert [tuple(t.weight.shape) for t in conv3.towers] == [(192, 256, 3, 3)] * 2  # sees both towers


def test_two_tower_conv_is_a_grouped_convolution():
    m = alexnet("paper", width=0.25, num_classes=10)
    conv2 = m.features[4]
    grouped = torch.nn.Conv2d(conv2.towers[0].in_channels * 2, 2 * conv2.towers[0].out_channels, 5, padding=2,
                              groups=2)
    with torch.no_grad():
        grouped.weight.copy_(torch.cat([t.weight for t in conv2.towers]))
        grouped.bias.copy_(torch.cat([t.bias for t in conv2.towers]))
    x = torch.randn(2, grouped.in_channels, 9, 9)
    assert torch.allclose(conv2(x), grouped(x), atol=1e-6)


def test_alexnet_feature_map_sizes_at_227():
    sizes = [t.out_shape[1] for t in trace(alexnet_specs("paper"), (3, 227, 227)) if t.spec.name.startswith(("conv", "pool"))]
    names = [t.spec.name for t in trace(alexnet_specs("paper"), (3, 227, 227)) if t.spec.name.startswith(("conv", "pool"))]
    assert dict(zip(names, sizes)) == {"conv1": 55, "pool1": 27, "conv2": 27, "pool2": 13, "conv3": 13,
                                       "conv4": 13, "conv5": 13, "pool5": 6}
    # at the paper's stated 224 the first layer is 54x54, not 55x55
    assert trace(alexnet_specs("paper"), (3, 224, 224))[0].out_shape == (96, 54, 54)


def test_alexnet_fixed_input_error_names_fc6_and_fix():
    m = alexnet("paper", width=0.125, num_classes=10).eval()
    assert m(torch.randn(1, 3, 227, 227)).shape == (1, 10)
    with pytest.raises(ConfigError, match=r"fc6 expects a 6x6x32 map .* got 7x7x32.*227x227"):
        m(torch.randn(1, 3, 260, 260))


def test_alexnet_constant_lrn_keeps_the_division_by_k_to_the_beta_and_drops_the_normalisation():
    from reviewlib.nets.arch import LRN

    lrns = [s for s in alexnet_specs("paper", lrn="constant") if isinstance(s, LRN)]
    assert [(s.name, s.alpha, s.k, s.beta, s.towers) for s in lrns] == [("lrn1", 0.0, 2.0, 0.75, 2),
                                                                         ("lrn2", 0.0, 2.0, 0.75, 2)]
    paper = alexnet("paper", width=0.125, num_classes=10).features
    const = alexnet("paper", width=0.125, num_classes=10, lrn="constant").features
    lrn_at = [i for i, m in enumerate(paper) if type(m).__name__ == "LocalResponseNorm"]
    x = torch.rand(2, 12, 9, 9) * 300  # loud maps: the paper's LRN divides by more than 2**0.75
    torch.testing.assert_close(const[lrn_at[0]](x), x / 2 ** 0.75)
    assert bool((paper[lrn_at[0]](x) < x / 2 ** 0.75 - 1e-3).any())
    with pytest.raises(ConfigError, match="lrn must be True, False or 'constant'"):
        alexnet_specs("paper", lrn="none")


def test_vgg_table2_parameter_counts_and_depths():
    paper_millions = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    for config, millions in paper_millions.items():
        specs = vgg_specs(config)
        weight_layers = sum(1 for s in specs if type(s).__name__ == "Conv") + 3
        assert weight_layers == WEIGHT_LAYERS[config]
        model = vgg(config)
        assert round(n_params(model) / 1e6) == millions, config
        assert trace(specs, (3, 224, 224))[-1].out_shape == (512, 7, 7)
    assert shorthand("D") == "64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"
    c_specs = vgg_specs("C")
    assert [s.kernel for s in c_specs if getattr(s, "kernel", None) == 1 and type(s).__name__ == "Conv"] == [1, 1, 1]


def test_googlenet_table1_output_sizes():
    expected = {"conv1": (64, 112), "maxpool1": (64, 56), "conv3": (192, 56), "maxpool2": (192, 28),
                "inception3a": (256, 28), "inception3b": (480, 28), "maxpool3": (480, 14),
                "inception4a": (512, 14), "inception4b": (512, 14), "inception4c": (512, 14),
                "inception4d": (528, 14), "inception4e": (832, 14), "maxpool4": (832, 7),
                "inception5a": (832, 7), "inception5b": (1024, 7)}
    for variant in ("paper", "torchvision"):
        got = {t.spec.name: (t.out_shape[0], t.out_shape[1]) for t in trace(googlenet_specs(variant), (3, 224, 224))}
        assert {k: got[k] for k in expected} == expected, variant


def test_googlenet_paper_differs_from_torchvision_where_documented():
    paper, tv = googlenet("paper", aux_logits=False), googlenet("torchvision", aux_logits=False)
    assert paper.inception3a.branch3[1].conv.kernel_size == (5, 5)
    assert tv.inception3a.branch3[1].conv.kernel_size == (3, 3)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in paper.modules())
    assert paper.maxpool4.kernel_size == 3 and tv.maxpool4.kernel_size == 2
    assert paper.dropout.p == 0.4 and tv.dropout.p == 0.2
    p = googlenet("paper", aux_logits=True)
    assert p.aux1.fc1.in_features == 128 * 4 * 4  # 14x14 -> 5x5/3 avg pool -> 4x4


def test_googlenet_train_mode_returns_aux_outputs_and_eval_mode_logits():
    m = googlenet("paper", num_classes=7, width=0.125, image_size=96)
    out = m.train()(torch.randn(2, 3, 96, 96))
    assert [o.shape for o in out] == [(2, 7)] * 3
    assert m.eval()(torch.randn(2, 3, 96, 96)).shape == (2, 7)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_runs_small_and_backpropagates(name):
    size = 97 if name == "alexnet_paper" else 96
    m = build_model(name, num_classes=5, width=0.125, image_size=size)
    out = m.train()(torch.randn(2, 3, size, size))
    outs = out if isinstance(out, tuple) else (out,)
    assert all(o.shape == (2, 5) for o in outs)
    sum(o.sum() for o in outs).backward()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)
    assert paper_of(name) in PAPERS


def test_width_scales_channels():
    m = vgg("D", width=0.25, num_classes=10, image_size=64)
    convs = [x for x in m.features if isinstance(x, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs][:3] == [16, 16, 32]
    assert m.classifier[0].in_features == 128 * 2 * 2 and m.classifier[0].out_features == 1024


@pytest.mark.parametrize("build,match", [
    (lambda: alexnet("paper", image_size=60), r"pool5: 2x2 input is smaller than its 3x3 pooling window"),
    (lambda: vgg("E", image_size=16), r"pool5: 1x1 input is smaller than its 2x2 pooling window"),
    (lambda: googlenet("paper", image_size=64), r"aux1: 4x4 map is smaller"),
    (lambda: vgg("Z"), r"unknown configuration 'Z'"),
    (lambda: build_model("resnet50"), r"unknown model 'resnet50'; choose one of"),
])
def test_impossible_configurations_fail_before_building(build, match):
    with pytest.raises(ConfigError, match=match):
        build()


def test_googlenet_forward_is_the_paper_written_out():
    src = inspect.getsource(GoogLeNet.forward)
    assert "getattr" not in src and "for " not in src  # one line per stage, no loop over names
    assert "x = self.inception4a(x)  # N x 512 x 14 x 14" in src
    assert "if self.aux1 is not None and self.training:" in src and "if self.aux2 is not None and self.training:" in src
    m = googlenet("paper", aux_logits=False)
    assert m.aux1 is None and m.aux2 is None and not hasattr(m, "transform_input")
    assert not hasattr(m, "aux_taps") and not hasattr(m, "sequence")


@pytest.mark.parametrize("kw", [dict(head="fc"), dict(k5=3), dict(lrn=False), dict(lrn=True, variant="torchvision"),
                                dict(aux_pool="adaptive"), dict(aux_logits=False), dict(variant="torchvision")])
def test_googlenet_ablations_build_and_run(kw):
    kw = {"variant": "paper", **kw}
    m = googlenet(num_classes=5, width=0.125, image_size=96, **kw)
    x = torch.randn(2, 3, 96, 96)
    out = m.train()(x)
    aux = kw.get("aux_logits", True)
    assert (isinstance(out, tuple) and [o.shape for o in out] == [(2, 5)] * 3) if aux else out.shape == (2, 5)
    assert m.eval()(x).shape == (2, 5)  # auxiliary heads only in training
    has_lrn = kw.get("lrn", kw["variant"] == "paper")
    assert isinstance(m.lrn1, nn.Identity) != has_lrn
    if "k5" in kw:
        assert m.inception3a.branch3[1].conv.kernel_size == (3, 3)
    if kw.get("head") == "fc":
        assert m.fc.in_features == 3 * 3 * 128  # the flattened 3x3x1024/8 map, not the pooled 128 values


def test_googlenet_refuses_a_table_out_of_order():
    specs = googlenet_specs("paper")
    swapped = [specs[1], specs[0]] + specs[2:]  # maxpool1 before conv1
    with pytest.raises(ConfigError, match="Table 1's, in its order"):
        GoogLeNet(swapped)
    with pytest.raises(ConfigError, match="Table 1's, in its order"):
        GoogLeNet([s for s in specs if s.name != "inception4c"])  # a stage forward() runs is missing


def test_input_side_is_the_227_rule():
    assert input_side("alexnet_paper", 224) == 227
    assert input_side("alexnet_paper", 128) == 130 == round(128 * 227 / 224)
    assert [input_side(n, 128) for n in ("alexnet", "vgg16", "googlenet_paper")] == [128, 128, 128]
    with pytest.raises(ConfigError, match="unknown model 'resnet50'"):
        input_side("resnet50", 224)
    for size in (96, 128, 224):  # the paper AlexNet built for its input side takes exactly that
        side = input_side("alexnet_paper", size)
        m = build_model("alexnet_paper", num_classes=3, width=0.0625, image_size=side).eval()
        assert m(torch.zeros(1, 3, side, side)).shape == (1, 3)
    assert PAPERS == ("alexnet", "vgg", "googlenet")
