"""How notebooks present results: folded tables with legends, computed Markdown, the activation viewer, the glossary."""
from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from reviewlib.data.augment import CentreCrop, denormalize
from reviewlib.nets import build_model
from reviewlib.review.glossary import NOTEBOOKS, glossary, glossary_markdown
from reviewlib.review.report import folded, markdown, pm
from reviewlib.review.viewer import activation_figure, activations, stages


def test_pm():
    assert pm(61.234, 1.25) == "61.2 ± 1.2" and pm(61.0) == "61.0" and pm(61.0, math.nan) == "61.0"
    assert pm(math.nan) == "n/a" and pm(0.5, 0.25, digits=2) == "0.50 ± 0.25"
    assert pm(-0.04, 0.3) == "0.0 ± 0.3" and pm(-0.06) == "-0.1"  # no signed zero


def test_markdown_is_the_text_it_shows():
    m = markdown(f"reached **{61.23:.1f}%**")
    assert m._repr_markdown_() == "reached **61.2%**" == str(m)


def test_folded_shows_key_columns_explains_each_and_folds_the_rest():
    df = pd.DataFrame({"name": ["conv1", "pool1"], "output": ["55x55x96", "27x27x96"], "rf": [11, 19],
                       "jump": [4, 8], "params": [34944, 0]})
    legend = {"name": "the layer", "output": "H x W x C after the layer", "rf": "receptive field in pixels",
              "jump": "input pixels between neighbouring outputs"}
    html = folded(df, ["name", "output", "rf"], legend, title="AlexNet")._repr_html_()
    shown, rest = html.split("<details>")
    assert "receptive field in pixels" in shown and "input pixels between" in shown  # jump explained too
    assert "34,944" in rest and "jump" in rest and "2 rows, 5 columns" in rest
    assert "jump</th>" not in shown  # the key table holds only the key columns
    with pytest.raises(KeyError, match=r"give the legend a line for \['params'\]"):
        folded(df, ["name", "params"], legend)
    with pytest.raises(KeyError, match="not in the table"):
        folded(df, ["nope"], legend)


@pytest.mark.parametrize("name,size,expected", [
    ("alexnet_paper", 130, ["conv1", "conv2", "conv3", "conv4", "conv5"]),
    ("vgg_A", 64, ["conv1_1", "conv2_1", "conv3_1", "conv3_2", "conv4_1", "conv4_2", "conv5_1", "conv5_2"]),
    ("googlenet_paper", 96, ["conv1", "conv2", "conv3"] + [f"inception{s}" for s in
                                                          ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]),
])
def test_viewer_shows_every_conv_stage_and_the_top5(name, size, expected):
    torch.manual_seed(0)
    model = build_model(name, num_classes=10, width=1 / 16, image_size=size)
    assert [n for n, _ in stages(model, size)] == expected
    x = CentreCrop(size + size // 8, size)(torch.randint(0, 256, (1, 3, 64, 64), dtype=torch.uint8))[0]
    maps, probs = activations(model, x)
    assert list(maps) == expected and probs.shape == (10,) and float(probs.sum()) == pytest.approx(1.0)
    assert all((m >= 0).all() for m in maps.values())  # after the ReLU
    fig = activation_figure(model, x, [f"class {i}" for i in range(10)], image=denormalize(x), true_label=2,
                            per_stage=4)
    titled = [a.get_title(loc="left") for a in fig.axes if a.get_title(loc="left")]
    assert [t.split()[0] for t in titled] == expected
    bars = next(a for a in fig.axes if a.get_title() == "top-5 predictions")
    assert len(bars.patches) == 5
    assert sorted(p.get_width() for p in bars.patches) == pytest.approx(sorted(probs.topk(5).values.tolist()))
    assert model.training  # the viewer leaves the model's mode as it found it


def test_glossary_is_one_table_with_one_korean_term_per_english_term():
    g = glossary()
    assert g["term"].is_unique and not (g["korean"].str.strip() == "").any() and not g["meaning"].eq("").any()
    for notebook in NOTEBOOKS:
        mine = glossary(notebook)
        assert len(mine) >= 8
        text = glossary_markdown(notebook)
        assert text.splitlines()[0] == "| English | 한국어 | meaning |" and len(text.splitlines()) == len(mine) + 2
    # the same Korean word for the same idea everywhere (the review's old inconsistencies)
    korean = dict(zip(g["term"], g["korean"]))
    assert korean["fully connected layer"] == "완전 연결 층"
    assert korean["top-1 / top-5 error"] == "상위 1 / 상위 5 오류율"
    assert korean["multiply-accumulate (MAC)"].startswith("곱셈-누산")
    with pytest.raises(ValueError, match="unknown notebook"):
        glossary("resnet")
