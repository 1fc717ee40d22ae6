"""reviewlib.review.plots: figures drawn from real layer tables (models built on the meta device: no weights, no
compute). Each test checks what the figure shows against the table it was drawn from."""
import pytest
import torch
import torchvision
from matplotlib.figure import Figure

from reviewlib.review import plots
from reviewlib.review.tables import layer_table, layer_totals
from reviewlib.review.plots import compare_models_plot, feature_map_plot, param_breakdown_plot, save_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _table(builder, **kw):
    with torch.device("meta"):
        model = builder(**kw)
    return layer_table(model, 224, names="auto")


@pytest.fixture(scope="module")
def alexnet_table():
    return _table(torchvision.models.alexnet)


@pytest.fixture(scope="module")
def googlenet_table():
    return _table(torchvision.models.googlenet, init_weights=True, aux_logits=True)


def _is_png(path):
    data = path.read_bytes()
    return len(data) > 1000 and data.startswith(PNG_MAGIC)


def test_feature_map_plot(alexnet_table, tmp_path):
    fig = feature_map_plot(alexnet_table, title="AlexNet", save=tmp_path / "maps.png")
    assert isinstance(fig, Figure)
    ax, ax2 = fig.axes
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == alexnet_table["out_h"].tolist() == [55, 27, 27, 13, 13, 13, 13, 6, 6, 1, 1, 1]  # one per layer
    assert list(ax2.lines[0].get_ydata()) == alexnet_table["out_c"].tolist()
    assert list(ax2.lines[0].get_ydata()) == [64, 64, 192, 192, 384, 256, 256, 256, 256, 4096, 4096, 1000]
    assert ax2.get_yscale() == "log" and ax.get_title() == "AlexNet"
    assert [t.get_text() for t in ax.get_xticklabels()] == alexnet_table["name"].tolist()
    assert _is_png(tmp_path / "maps.png")


def test_param_breakdown_plot(alexnet_table, tmp_path):
    fig = param_breakdown_plot(alexnet_table, save=tmp_path / "params.png")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    with_weights = alexnet_table[alexnet_table["params"] > 0]
    assert [bar.get_height() for bar in ax.patches] == with_weights["params"].tolist() == [
        23_296, 307_392, 663_936, 884_992, 590_080, 37_752_832, 16_781_312, 4_097_000]  # layers with weights
    assert [t.get_text() for t in ax.get_xticklabels()] == with_weights["name"].tolist()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["conv: 4.0%", "fc: 96.0%"]
    colours = {bar.get_facecolor() for bar in ax.patches}
    assert len(colours) == 2  # conv and FC coloured apart
    assert "61.10 M" in ax.get_title()
    assert _is_png(tmp_path / "params.png")
    assert param_breakdown_plot(alexnet_table, log=False).axes[0].get_yscale() == "linear"


def test_plots_of_googlenet_show_inception_rows(googlenet_table):
    fig = param_breakdown_plot(googlenet_table)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert [label.split(":")[0] for label in labels] == ["conv", "inception", "fc"]
    by_kind = googlenet_table.groupby("kind")["params"].sum() / googlenet_table["params"].sum()
    assert labels == [f"{k}: {by_kind[k]:.1%}" for k in ("conv", "inception", "fc")]
    assert sum(bar.get_height() for bar in fig.axes[0].patches) == layer_totals(googlenet_table)["params"]
    fig = feature_map_plot(googlenet_table)
    assert [bar.get_height() for bar in fig.axes[0].patches] == googlenet_table["out_h"].tolist()
    assert fig.axes[0].patches[-1].get_height() == 1 and len(fig.axes[0].patches) == 18


def test_compare_models_plot(alexnet_table, googlenet_table, tmp_path):
    fig = compare_models_plot({"AlexNet": alexnet_table, "GoogLeNet": googlenet_table}, column="params",
                              save=tmp_path / "cmp.png")
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    totals = [layer_totals(t)["params"] / 1e6 for t in (alexnet_table, googlenet_table)]
    assert heights == pytest.approx(totals) == [61.10084, 6.624904]  # GoogLeNet's "12x fewer" is ~9.2x here
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["AlexNet", "GoogLeNet"]
    assert _is_png(tmp_path / "cmp.png")
    macs = compare_models_plot({"AlexNet": alexnet_table}, column="macs")
    assert macs.axes[0].patches[0].get_height() == pytest.approx(layer_totals(alexnet_table)["macs"] / 1e6)
    assert macs.axes[0].patches[0].get_height() == pytest.approx(714.18848)
    neurons = compare_models_plot({"AlexNet": alexnet_table}, column="neurons")
    assert neurons.axes[0].patches[0].get_height() == pytest.approx(layer_totals(alexnet_table)["neurons"] / 1e6)
    with pytest.raises(ValueError, match="column"):
        compare_models_plot({"AlexNet": alexnet_table}, column="flops")


def test_save_figure_names_and_paths(alexnet_table, tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "FIGURES_DIR", tmp_path / "figures")
    fig = feature_map_plot(alexnet_table, save="alexnet_maps")
    assert isinstance(fig, Figure)
    assert _is_png(tmp_path / "figures" / "alexnet_maps.png")  # bare name -> figures/<name>.png, folder created
    out = save_figure(fig, tmp_path / "deep" / "dir" / "x.pdf")
    assert out == tmp_path / "deep" / "dir" / "x.pdf" and out.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["alexnet_maps.png"]  # no temp files left


def test_default_figures_dir_is_repo_root():
    assert plots.FIGURES_DIR.name == "figures" and (plots.FIGURES_DIR.parent / "reviewlib").is_dir()


def test_bad_tables_raise(alexnet_table):
    with pytest.raises(ValueError, match="layer_table"):
        feature_map_plot(alexnet_table.drop(columns="kind"))
    with pytest.raises(ValueError, match="no layer rows"):
        param_breakdown_plot(alexnet_table.iloc[:0])
    with pytest.raises(ValueError, match="no layer rows"):
        compare_models_plot({"AlexNet": alexnet_table.iloc[:0]})
    with pytest.raises(ValueError, match="no layer in the table has parameters"):
        param_breakdown_plot(alexnet_table[alexnet_table["params"] == 0])
