"""Finding data and choosing files (reviewlib.data: sources, labels, subset, store, streaming) on the real images in
../shared/data: the layouts and label files, bad files (skipped and counted in memory and when streamed from disk),
the per-image dataset the evaluation reads, the synthetic stand-in, and find_data with plain values."""
import hashlib
import pickle
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from reviewlib.data import sources
from reviewlib.data.augment import CentreCrop
from reviewlib.data.batches import Batches
from reviewlib.data.labels import class_names_for
from reviewlib.data.sources import DataSource, detect_layout, download_imagenette, find_data
from reviewlib.data.store import load_store
from reviewlib.data.streaming import StreamingBatches
from reviewlib.data.subset import BadSample, load_split, select
from reviewlib.data.synthetic import make_synthetic_imagenet
from reviewlib.errors import DataError
from reviewlib.nets import input_side

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLES = SHARED / "imagenet-samples"
TINY = SHARED / "tiny-imagenet-10"
IMAGENETTE = ["n01440764", "n02102040", "n02979186", "n03000684", "n03028079", "n03394916", "n03417042",
              "n03425413", "n03445777", "n03888257"]


@pytest.fixture(scope="module")
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} not present")
    files = sorted(SAMPLES.glob("*.JPEG"))
    return {f.name[:9]: f for f in files}


@pytest.fixture(scope="module")
def tiny():
    if not (TINY / "wnids.txt").is_file():
        pytest.skip(f"{TINY} not present")
    return TINY


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(sources.ENV_DATA, raising=False)
    monkeypatch.delenv(sources.ENV_OFFLINE, raising=False)


def _greyscale(samples):
    return sorted(w for w, f in samples.items() if Image.open(f).mode == "L")


def _name_from_file(f: Path) -> str:
    return f.stem[10:].replace("_", " ")


# ------------------------------------------------------------------------------------------------ ILSVRC layout
@pytest.fixture
def ilsvrc(tmp_path, samples):
    """train/<wnid>/ for the ten Imagenette classes plus every greyscale sample (symlinks), three copies each;
    a flat val/ of the same images with LOC_val_solution.csv."""
    wnids = sorted(set(IMAGENETTE) | set(_greyscale(samples)))
    root = tmp_path / "ilsvrc"
    for w in wnids:
        (root / "train" / w).mkdir(parents=True)
        for i in range(3):
            (root / "train" / w / f"{w}_{i}.JPEG").symlink_to(samples[w])
    (root / "val").mkdir()
    rows = ["ImageId,PredictionString"]
    for i, w in enumerate(wnids, start=1):
        (root / "val" / f"ILSVRC2012_val_{i:08d}.JPEG").symlink_to(samples[w])
        rows.append(f"ILSVRC2012_val_{i:08d},{w} 10 20 100 200 {w} 5 5 50 50")
    (root / "LOC_val_solution.csv").write_text("\n".join(rows) + "\n")
    return root, wnids


def test_ilsvrc_train_wnid_index_name_and_rgb(ilsvrc, samples):
    root, wnids = ilsvrc
    assert detect_layout(root) == "ilsvrc"
    ds = load_split(root, "train")
    assert ds.wnids == wnids  # sorted wnid order = label order
    assert len(ds) == 3 * len(wnids) and ds.counts() == [3] * len(wnids)
    names = dict(zip(ds.wnids, ds.class_names))
    assert names["n01440764"] == "tench" and names["n03888257"] == "parachute"  # the hard-coded Imagenette map
    grey = _greyscale(samples)
    assert len(grey) >= 5
    for w in grey:
        i = next(k for k, (p, label) in enumerate(ds.samples) if label == wnids.index(w))
        img, label = ds[i]
        assert ds.wnids[label] == w and img.mode == "RGB"
        arr = np.asarray(img)
        assert arr.shape[2] == 3 and np.array_equal(arr[..., 0], arr[..., 1])  # grey stays grey, now 3 channels
    x, _ = load_split(root, "train", transform=np.asarray)[0]  # the transform sees the RGB PIL image
    assert x.ndim == 3 and x.shape[2] == 3 and x.dtype == np.uint8


def test_ilsvrc_names_from_synset_mapping_and_subset(ilsvrc, samples):
    root, wnids = ilsvrc
    (root / "LOC_synset_mapping.txt").write_text(
        "".join(f"{w} {_name_from_file(samples[w])}, other name\n" for w in wnids))
    ds = load_split(root, "train", classes=["n03888257", "n01440764"], per_class=2, seed=3)
    assert ds.wnids == ["n03888257", "n01440764"]  # a wnid list keeps its order
    assert ds.class_names == ["parachute", "tench"] and ds.counts() == [2, 2]
    airedale = load_split(root, "train", classes=["n02096051"]).class_names
    assert airedale == ["Airedale"]


def test_ilsvrc_flat_val_with_loc_csv(ilsvrc, samples):
    root, wnids = ilsvrc
    val = load_split(root, "val")
    assert val.wnids == wnids and len(val) == len(wnids)
    for path, label in val.samples:  # each val file is a link to its class's sample
        assert Path(path).resolve() == samples[wnids[label]].resolve()
    sub = load_split(root, "val", classes=IMAGENETTE[:3])
    assert [wnids_label for _, wnids_label in sub.samples] == [0, 1, 2]


@pytest.mark.parametrize("kind", ["wnid", "index", "meta.mat"])
def test_ilsvrc_flat_val_with_devkit_ground_truth(tmp_path, samples, kind):
    chosen = IMAGENETTE[:4]
    root = tmp_path / "devkit_style"
    (root / "val").mkdir(parents=True)
    for w in chosen:
        (root / "train" / w).mkdir(parents=True)
        (root / "train" / w / f"{w}_0.JPEG").symlink_to(samples[w])
    order = [chosen[i] for i in (2, 0, 3, 1)]  # val image i+1 is of class order[i]
    for i, w in enumerate(order, start=1):
        (root / "val" / f"ILSVRC2012_val_{i:08d}.JPEG").symlink_to(samples[w])
    if kind == "wnid":
        lines = order
    else:  # ILSVRC2012_IDs, mapped to wnids by a text file or by the devkit's own data/meta.mat
        ids = {w: 100 + k for k, w in enumerate(chosen)}
        lines = [str(ids[w]) for w in order]
        if kind == "index":
            (root / "ILSVRC2012_mapping.txt").write_text("".join(f"{i} {w}\n" for w, i in ids.items()))
        else:
            import scipy.io as sio

            fields = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("gloss", "O"), ("num_children", "O")]
            synsets = np.array([(i, w, w, "", 0) for w, i in ids.items()] + [(2000, "n00001740", "entity", "", 5)],
                               dtype=fields)  # a non-leaf synset (num_children > 0) is not a class
            (root / "devkit" / "data").mkdir(parents=True)
            sio.savemat(str(root / "devkit" / "data" / "meta.mat"), {"synsets": synsets})
    (root / "ILSVRC2012_validation_ground_truth.txt").write_text("\n".join(lines) + "\n")
    val = load_split(root, "val")
    got = {Path(p).name: val.wnids[label] for p, label in val.samples}
    assert got == {f"ILSVRC2012_val_{i:08d}.JPEG": w for i, w in enumerate(order, start=1)}
    assert val.wnids == chosen


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    folder = tmp_path / "cmyk" / "train" / "n01440764"
    folder.mkdir(parents=True)
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(folder / "red.JPEG")  # pure red in CMYK
    img, label = load_split(tmp_path / "cmyk", "train")[0]
    assert img.mode == "RGB" and label == 0
    r, g, b = np.asarray(img).reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60


# ---------------------------------------------------------------------------------------------- Tiny ImageNet
def test_tiny_counts_and_names(tiny):
    src = sources.as_source(tiny)
    assert src.layout == "tiny" and not src.synthetic
    train, val = load_split(src, "train"), load_split(src, "val")
    assert len(train.wnids) == 10 and train.wnids == sorted(train.wnids)
    assert train.counts() == [500] * 10 and val.counts() == [50] * 10
    assert val.wnids == train.wnids
    names = dict(zip(train.wnids, train.class_names))
    assert names["n01443537"] == "goldfish" and names["n02056570"] == "king penguin"
    assert names["n04146614"] == "school bus"
    by_name = {Path(p).name: val.wnids[label] for p, label in val.samples}
    assert by_name["val_8.JPEG"] == "n04146614" and by_name["val_14.JPEG"] == "n02056570"


def test_tiny_subset_is_deterministic(tiny):
    a = load_split(tiny, "train", classes=3, per_class=20, seed=0)
    b = load_split(tiny, "train", classes=3, per_class=20, seed=0)
    c = load_split(tiny, "train", classes=3, per_class=20, seed=1)
    full = load_split(tiny, "train", classes=3)
    assert a.samples == b.samples and a.samples != c.samples
    assert a.counts() == [20, 20, 20] and a.wnids == full.wnids[:3]
    assert set(a.samples) <= set(full.samples)
    # one class's choice does not depend on which other classes are loaded
    alone = load_split(tiny, "train", classes=[a.wnids[1]], per_class=20, seed=0)
    assert [p for p, _ in alone.samples] == [p for p, label in a.samples if label == 1]
    with pytest.raises(ValueError, match="11 classes"):
        load_split(tiny, "train", classes=11)
    with pytest.raises(ValueError, match="n99999999"):
        load_split(tiny, "train", classes=["n99999999"])


def test_tiny_smoke_sized_store_and_batches(tiny):
    """What a smoke-budget run reads: 16 train / 4 val images a class, decoded once, centre-cropped to each model's
    input side (the paper AlexNet's 227/224 rule from reviewlib.nets)."""
    train = load_store(tiny, "train", classes=10, per_class=16, side=110)
    val = load_store(tiny, "val", classes=list(train.wnids), per_class=4, side=110)
    assert len(train) == 10 * 16 and len(val) == 10 * 4 and val.wnids == train.wnids
    assert train.side == 64 and train.images.dtype == torch.uint8  # 64-px Tiny ImageNet is never upsampled
    for model, size in (("alexnet_paper", 96), ("vgg_A", 64), ("googlenet_paper", 96)):
        side = input_side(model, size)
        b = Batches.from_store(val, CentreCrop(round(size * 256 / 224), side), 8, shuffle=False, seed=0, device="cpu")
        x, y = next(b.epoch(0))
        assert x.shape == (8, 3, side, side) and x.dtype == torch.float32 and y.tolist() == [0] * 4 + [1] * 4
    assert input_side("alexnet_paper", 96) == 97


# --------------------------------------------------------------------------------------------------- bad files
@pytest.fixture
def bad_folder(tmp_path, tiny):
    root = tmp_path / "bad"
    wnids = sorted((tiny / "wnids.txt").read_text().split())[:2]
    good = 0
    for w in wnids:
        (root / "train" / w).mkdir(parents=True)
        for f in sorted((tiny / "train" / w / "images").iterdir())[:5]:
            (root / "train" / w / f.name).symlink_to(f)
            good += 1
    full = (sorted((tiny / "train" / wnids[0] / "images").iterdir())[10]).read_bytes()
    (root / "train" / wnids[0] / "truncated.JPEG").write_bytes(full[: len(full) // 2])
    (root / "train" / wnids[1] / "garbage.JPEG").write_bytes(b"this is not an image\n" * 20)
    return root, good


def test_bad_files_are_skipped_and_counted_in_the_store(bad_folder):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    root, good = bad_folder
    with pytest.warns(RuntimeWarning, match="skipped 2 unreadable") as record:
        store = load_store(root, "train", side=32)
    assert len(store) == good and store.counts() == [5, 5]
    assert sorted(Path(p).name for p in store.skipped) == ["garbage.JPEG", "truncated.JPEG"]
    assert "truncated.JPEG" in str(record[0].message) and "garbage.JPEG" in str(record[0].message)
    assert not any(Path(p).name in ("garbage.JPEG", "truncated.JPEG") for p in store.paths)


@pytest.mark.parametrize("workers", [0, 2])
def test_bad_files_streamed_from_disk_are_skipped_and_counted(bad_folder, workers):
    root, good = bad_folder
    sel = select(root, "train")
    assert len(sel.paths) == good + 2
    stream = StreamingBatches.from_selection(sel, CentreCrop(32, 32), 4, side=32, shuffle=True, seed=0, device="cpu",
                                             workers=workers)
    with pytest.warns(RuntimeWarning, match="skipped 2 unreadable") as record:
        seen = sum(len(y) for _, y in stream.epoch(0))
    assert seen == good
    assert sorted(Path(p).name for p in stream.skipped) == ["garbage.JPEG", "truncated.JPEG"]
    assert "truncated.JPEG" in str(record[0].message) and "garbage.JPEG" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second epoch reports nothing new
        assert sum(len(y) for _, y in stream.epoch(1)) == good
    assert len(stream.skipped) == 2


def test_skip_record_survives_pickling_and_pin_memory(bad_folder, monkeypatch):
    """Workers pickle the file reader and each batch; pin_memory (CUDA) rebuilds it: the skip record must survive."""
    from torch.utils.data._utils.pin_memory import pin_memory

    root, good = bad_folder
    stream = StreamingBatches.from_selection(select(root, "train"), CentreCrop(16, 16), good + 2, side=16,
                                             shuffle=False, seed=0, device="cpu", workers=0)
    reader = pickle.loads(pickle.dumps(stream._files))  # what a worker process gets
    batch = reader[(0, 0)]
    monkeypatch.setattr(torch.Tensor, "pin_memory", lambda self, *a, **k: self)  # no CUDA here
    x, y, skipped = pin_memory(pickle.loads(pickle.dumps(batch)))
    assert x.shape == (good, 3, 16, 16) and x.dtype == torch.uint8 and len(y) == good
    assert sorted(Path(p).name for p, _ in skipped) == ["garbage.JPEG", "truncated.JPEG"]


def test_bad_file_direct_access(bad_folder):
    root, _ = bad_folder
    ds = load_split(root, "train")
    bad = [i for i, (p, _) in enumerate(ds.samples) if p.name == "garbage.JPEG"][0]
    item = ds[bad]
    assert isinstance(item, BadSample) and item.path.endswith("garbage.JPEG")
    strict = load_split(root, "train", on_error="raise")
    with pytest.raises(OSError, match="garbage.JPEG"):
        strict[bad]


# -------------------------------------------------------------------------------------------- synthetic stand-in
def _digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _pixels(ds, side=8):
    x = np.stack([np.asarray(Image.open(p).convert("RGB").resize((side, side), Image.BOX),
                             dtype=np.float64) / 255 for p, _ in ds.samples])
    return x, np.array(ds.targets)


def test_synthetic_deterministic_layout_and_learnable(tmp_path):
    a = make_synthetic_imagenet(tmp_path / "a", num_classes=10, train_per_class=30, val_per_class=20,
                                image_size=48, seed=0)
    b = make_synthetic_imagenet(tmp_path / "b", num_classes=10, train_per_class=30, val_per_class=20,
                                image_size=48, seed=0)
    c = make_synthetic_imagenet(tmp_path / "c", num_classes=10, train_per_class=2, val_per_class=1,
                                image_size=48, seed=1)
    da, db = _digest(a), _digest(b)
    assert da == db
    assert da["train/s00000000/s00000000_0.JPEG"] != _digest(c)["train/s00000000/s00000000_0.JPEG"]
    assert detect_layout(a) == "synthetic"
    train, val = load_split(a, "train"), load_split(a, "val")
    assert train.counts() == [30] * 10 and val.counts() == [20] * 10
    assert train.class_names[0].startswith("synthetic") and len(set(train.class_names)) == 10
    assert train[0][0].size == (48, 48)
    # learnable but not trivial: a ridge classifier on 8x8 pixels beats chance (10%) clearly,
    # while the mean colour of an image says little (the background covers most of it)
    xtr, ytr = _pixels(train)
    xva, yva = _pixels(val)

    def ridge(ftr, fva, lam):
        mu = ftr.mean(0)
        onehot = np.eye(10)[ytr]
        w = np.linalg.solve((ftr - mu).T @ (ftr - mu) + lam * np.eye(ftr.shape[1]), (ftr - mu).T @ onehot)
        return float((((fva - mu) @ w).argmax(1) == yva).mean())

    pixel_acc = ridge(xtr.reshape(len(xtr), -1), xva.reshape(len(xva), -1), 10.0)
    colour_acc = ridge(xtr.mean((1, 2)), xva.mean((1, 2)), 0.01)
    means = np.stack([xtr[ytr == k].mean(0) for k in range(10)])
    assert np.abs(means[:, None] - means[None]).sum((2, 3, 4))[~np.eye(10, dtype=bool)].min() > 1
    assert 0.3 < pixel_acc < 0.9, pixel_acc
    assert colour_acc < 0.35, colour_acc
    # asking again is free; more images keep the first ones byte-identical
    t0 = time.perf_counter()
    assert make_synthetic_imagenet(a, 10, 30, 20, 48, 0) == a and time.perf_counter() - t0 < 0.5
    bigger = make_synthetic_imagenet(tmp_path / "d", 4, 31, 1, 48, 0)  # image (class, i) depends on nothing else
    assert _digest(bigger)["train/s00000003/s00000003_29.JPEG"] == da["train/s00000003/s00000003_29.JPEG"]


def test_synthetic_never_overwrites_real_data(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a synthetic"):
        make_synthetic_imagenet(tmp_path / "mine", 2, 1, 1, 32)


# ------------------------------------------------------------------------------------------------------ find_data
def test_find_data_env_points_at_tiny(monkeypatch, tiny, tmp_path):
    monkeypatch.setenv(sources.ENV_DATA, str(tiny))
    src = find_data(data_dir=tmp_path)
    assert isinstance(src, DataSource) and src.layout == "tiny" and src.root == tiny
    monkeypatch.setenv(sources.ENV_DATA, str(tiny.parent))  # a folder holding datasets
    assert find_data(data_dir=tmp_path).layout in ("tiny", "ilsvrc")
    monkeypatch.setenv(sources.ENV_DATA, str(tmp_path / "missing"))
    with pytest.raises(DataError, match="REVIEWLIB_DATA.*missing does not exist"):
        find_data(data_dir=tmp_path)


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return calls


def test_find_data_without_download_makes_synthetic_without_network(tmp_path, no_network):
    src = find_data(data_dir=tmp_path, train_per_class=16, val_per_class=4)
    assert src.synthetic and src.layout == "synthetic" and src.root == tmp_path / "synthetic-10"
    assert no_network == []  # download=False never even tries
    train = load_split(src, "train", per_class=16)
    assert train.counts() == [16] * 10
    assert find_data(data_dir=tmp_path).root == src.root  # reused, not regenerated


def test_find_data_download_offline_falls_back_fast(tmp_path, no_network):
    t0 = time.perf_counter()
    src = find_data(data_dir=tmp_path, download=True, train_per_class=3, val_per_class=2)
    assert src.synthetic and len(no_network) == 1  # one failed connection probe, then the stand-in
    assert time.perf_counter() - t0 < 20
    with pytest.raises(ConnectionError):  # asked for Imagenette itself, offline
        download_imagenette(tmp_path / "other")


def test_find_data_prefers_real_data_in_data_dir(tmp_path, tiny, no_network):
    (tmp_path / "tiny-imagenet-10").symlink_to(tiny)
    make_synthetic_imagenet(tmp_path / "synthetic-10", 2, 1, 1, 32)
    src = find_data(data_dir=tmp_path, download=True)
    assert src.layout == "tiny" and no_network == []


def test_class_names_for_all_1000_and_fallbacks():
    wnids = [f"n{i:08d}" for i in range(1000)]
    names = class_names_for(wnids[::-1])
    assert names[-1] == "tench" and names[0] == "toilet tissue"  # sorted-wnid order, whatever the input order
    assert class_names_for(["n03888257", "n02093754", "x123"]) == ["parachute", "Border terrier", "x123"]


def test_detect_layout_errors(tmp_path):
    with pytest.raises(DataError, match="nope does not exist; point"):
        detect_layout(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty is empty"):
        detect_layout(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("not a dataset")
    with pytest.raises(DataError, match=f"no known dataset layout in {tmp_path}: expected train/<wnid>"):
        detect_layout(tmp_path)
    assert issubclass(DataError, ValueError)
    (tmp_path / "imagenette2-160" / "train" / "n01440764").mkdir(parents=True)
    assert detect_layout(tmp_path / "imagenette2-160") == "imagenette"
    (tmp_path / "flowers" / "train" / "rose").mkdir(parents=True)
    assert detect_layout(tmp_path / "flowers") == "imagefolder"


def test_find_data_plain_values_sizes_the_stand_in(tmp_path, no_network):
    src = find_data(data_dir=tmp_path, classes=3, train_per_class=4, val_per_class=2, image_side=40)
    assert src.synthetic and src.root == tmp_path / "synthetic-3" and no_network == []  # download=False: no probe
    train = select(src, "train")
    assert train.wnids == tuple(f"s{k:08d}" for k in range(3)) and len(train.paths) == 12
    assert len(select(src, "val").paths) == 6
    with Image.open(train.paths[0]) as im:
        assert im.size == (64, 64)  # at least 64 px
    # asked to download, offline: one probe, then the stand-in (no exception)
    again = find_data(data_dir=tmp_path, download=True, classes=3, train_per_class=4, val_per_class=2)
    assert again.root == src.root and len(no_network) == 1


def test_find_data_plain_values_root_and_env(monkeypatch, tiny, tmp_path):
    assert find_data(tiny).layout == "tiny"
    monkeypatch.setenv(sources.ENV_DATA, str(tiny.parent))
    assert not find_data(data_dir=tmp_path).synthetic
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="root: data folder .*empty is empty"):
        find_data(tmp_path / "empty")


def test_select_labels_agree_between_splits(tiny):
    train = select(tiny, "train", classes=4, per_class=5)
    val = select(tiny, "val", classes=list(train.wnids))
    assert val.wnids == train.wnids and set(val.labels) == {0, 1, 2, 3}
    assert len(train.paths) == 20 and len(val.paths) == 200
    with pytest.raises(DataError, match="asked for 11 classes"):
        select(tiny, "train", classes=11)
    with pytest.raises(ValueError, match="split"):
        select(tiny, "test")


def test_flat_val_without_ground_truth_names_the_fix(tmp_path, samples):
    root = tmp_path / "flat"
    (root / "val").mkdir(parents=True)
    (root / "val" / "ILSVRC2012_val_00000001.JPEG").symlink_to(next(iter(samples.values())))
    assert detect_layout(root) == "ilsvrc"
    with pytest.raises(DataError, match="no class folders and no ground truth: add LOC_val_solution.csv"):
        load_split(root, "val")


def test_the_data_package_imports_no_training_code():
    code = ("import sys, reviewlib.data; "
            "bad = [m for m in sys.modules if m.startswith(('reviewlib.train', 'reviewlib.experiments', "
            "'benchmarks'))]; assert not bad, bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
