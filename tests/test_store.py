"""Decoding a subset once into uint8 squares (reviewlib.data.store) on the real images in ../shared/data."""
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from reviewlib.data.store import ImageStore, clear_cache, decode_square, load_store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TINY = SHARED / "tiny-imagenet-10"
SAMPLES = SHARED / "imagenet-samples"


@pytest.fixture(scope="module")
def tiny():
    if not (TINY / "wnids.txt").is_file():
        pytest.skip(f"{TINY} not present")
    return TINY


@pytest.fixture(scope="module")
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} not present")
    return sorted(SAMPLES.glob("*.JPEG"))


def test_tiny_store_decoded_once_at_its_own_size(tiny):
    clear_cache()
    t0 = time.perf_counter()
    train = load_store(tiny, "train", side=146)
    val = load_store(tiny, "val", side=146)
    seconds = time.perf_counter() - t0
    print(f"tiny-imagenet-10 train + val decoded in {seconds:.2f} s ({train.seconds:.2f} + {val.seconds:.2f} s "
          "decoding)")
    assert isinstance(train, ImageStore) and train.images.shape == (5000, 3, 64, 64)  # never upsampled
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert train.side == 64 and train.upsampled == 0 and train.skipped == {}
    assert train.counts() == [500] * 10 and val.counts() == [50] * 10
    assert val.wnids == train.wnids and train.class_names[0] == "goldfish"
    assert load_store(tiny, "train", side=146) is train  # cached: the same object
    # image i is the file's pixels exactly (64 x 64 at side >= 64: no resampling)
    for i in (0, 1234, 4999):
        expect = np.asarray(Image.open(train.paths[i]).convert("RGB"))
        assert np.array_equal(train.images[i].permute(1, 2, 0).numpy(), expect)
        assert train.wnids[int(train.labels[i])] in str(train.paths[i])
    # val labels follow the training classes, read from val_annotations.txt
    by_name = {p.name: train.wnids[int(label)] for p, label in zip(val.paths, val.labels)}
    assert by_name["val_8.JPEG"] == "n04146614"


def test_greyscale_becomes_rgb_and_subsets_agree(tiny):
    sub = load_store(tiny, "train", classes=3, per_class=40, side=64, seed=1)
    assert sub.counts() == [40, 40, 40] and len(sub.paths) == 120
    grey = [i for i, p in enumerate(sub.paths) if Image.open(p).mode == "L"]
    for i in grey:
        assert torch.equal(sub.images[i, 0], sub.images[i, 1]) and torch.equal(sub.images[i, 1], sub.images[i, 2])
    listed = load_store(tiny, "train", classes=list(sub.wnids[::-1]), per_class=40, side=64, seed=1)
    assert listed.wnids == sub.wnids[::-1] and listed.counts() == [40, 40, 40]


def test_smaller_side_is_the_draft_decode_or_antialiased_resize(tiny):
    store = load_store(tiny, "val", classes=2, per_class=5, side=32)
    assert store.images.shape == (10, 3, 32, 32)
    got = store.images[3].permute(1, 2, 0).numpy()
    with Image.open(store.paths[3]) as im:
        im.draft("RGB", (32, 32))  # 64 -> 32: libjpeg's half-size DCT decode, no further resize
        assert np.array_equal(got, np.asarray(im.convert("RGB")))
    full = Image.open(store.paths[3]).convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)  # antialiased
    assert np.abs(got.astype(float) - np.asarray(full, dtype=float)).mean() < 3
    store = load_store(tiny, "val", classes=2, per_class=5, side=40)  # not a power-of-two reduction: PIL resize
    ref = Image.open(store.paths[3]).convert("RGB").resize((40, 40), Image.Resampling.BILINEAR)
    assert np.array_equal(store.images[3].permute(1, 2, 0).numpy(), np.asarray(ref))


def test_mixed_sizes_draft_mode_and_the_side_rule(tmp_path, samples):
    """ImageNet JPEGs of many sizes: S = min(side, the largest short side); smaller images are upsampled and
    counted; big JPEGs are decoded in draft mode, close to a full decode."""
    root = tmp_path / "ilsvrc"
    for f in samples[:30]:
        (root / "train" / f.name[:9]).mkdir(parents=True)
        (root / "train" / f.name[:9] / f.name).symlink_to(f)
    (root / "val").mkdir()
    sizes = [min(Image.open(f).size) for f in samples[:30]]
    store = load_store(root, "train", side=128)
    assert store.side == 128 == min(128, max(sizes))
    assert store.upsampled == sum(s < 128 for s in sizes)
    big = max(range(30), key=lambda i: sizes[i])
    with Image.open(store.paths[big]) as im:
        full = im.convert("RGB")
    w, h = full.size
    m = min(w, h)
    ref = full.resize((128, 128), Image.Resampling.BILINEAR, box=((w - m) / 2, (h - m) / 2, (w + m) / 2, (h + m) / 2))
    diff = (store.images[big].permute(1, 2, 0).float() - torch.from_numpy(np.array(ref)).float()).abs()
    assert sizes[big] >= 256 and diff.mean() < 4  # draft decoding: a few grey levels from the full decode
    assert decode_square(store.paths[big], 64).shape == (3, 64, 64)


def test_unreadable_files_are_skipped_and_counted(tmp_path, tiny):
    root = tmp_path / "bad"
    wnid = sorted((tiny / "wnids.txt").read_text().split())[0]
    folder = root / "train" / wnid
    folder.mkdir(parents=True)
    files = sorted((tiny / "train" / wnid / "images").iterdir())[:4]
    for f in files:
        (folder / f.name).symlink_to(f)
    data = files[0].read_bytes()
    (folder / "truncated.JPEG").write_bytes(data[: len(data) // 2])
    (folder / "garbage.JPEG").write_bytes(b"not an image" * 10)
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(folder / "red_cmyk.JPEG")
    with pytest.warns(RuntimeWarning, match="skipped 2 unreadable"):
        store = load_store(root, "train", side=64)
    assert sorted(Path(p).name for p in store.skipped) == ["garbage.JPEG", "truncated.JPEG"]
    assert len(store) == 5 and store.side == 64 and store.upsampled == 1  # the 30-px CMYK image
    cmyk = [i for i, p in enumerate(store.paths) if p.name == "red_cmyk.JPEG"][0]
    r, g, b = store.images[cmyk].float().mean((1, 2)).tolist()
    assert r > 200 and g < 60 and b < 60


def test_bad_arguments(tiny):
    with pytest.raises(ValueError, match="side"):
        load_store(tiny, "train", side=0)
    with pytest.raises(ValueError, match="split"):
        load_store(tiny, "test", side=64)


def test_exact_side_stores_every_image_at_that_side(tiny):
    """exact=True: AlexNet's preprocessing, every image rescaled once to the resize side (64-px images upsampled)."""
    store = load_store(tiny, "val", classes=2, per_class=3, side=73, exact=True)
    assert store.images.shape == (6, 3, 73, 73) and store.images.dtype == torch.uint8
    own = load_store(tiny, "val", classes=2, per_class=3, side=73)
    assert own.images.shape[-1] == 64 and own is not store  # the default never upsamples
    up = torch.nn.functional.interpolate(own.images.float(), size=(73, 73), mode="bilinear", antialias=False)
    assert (store.images.float() - up).abs().mean() < 2.0  # PIL's bilinear, rounded to 8 bits
