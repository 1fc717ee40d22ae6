"""Batches on the device (reviewlib.data.batches) and their streaming twin (reviewlib.data.streaming)."""
import warnings
from pathlib import Path

import pytest
import torch

from reviewlib.data.augment import AlexNetTrain, CentreCrop, GoogLeNetTrain, VGGTrain
from reviewlib.data.batches import Batches, Plan, on_device
from reviewlib.data.store import load_store
from reviewlib.data.streaming import StreamingBatches
from reviewlib.data.subset import select

TINY = Path(__file__).resolve().parents[2] / "shared" / "data" / "tiny-imagenet-10"


def _store(n=50, side=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=g),
            torch.arange(n) % 5)


def _batches(images, labels, **kw):
    args = dict(shuffle=True, seed=3, device="cpu")
    args.update(kw)
    return Batches(images, labels, args.pop("transform", AlexNetTrain(18, 16)), args.pop("batch_size", 8), **args)


def _all(batches, epoch, start=0):
    return [(x.clone(), y.clone()) for x, y in batches.epoch(epoch, start)]


def _same(a, b):
    return len(a) == len(b) and all(torch.equal(x1, x2) and torch.equal(y1, y2) for (x1, y1), (x2, y2) in zip(a, b))


def test_len_order_and_labels():
    images, labels = _store(50)
    b = _batches(images, labels)
    assert len(b) == 7 and b.batch_size == 8
    got = _all(b, 0)
    assert [len(y) for _, y in got] == [8] * 6 + [2]
    assert got[0][0].shape == (8, 3, 16, 16) and got[0][0].dtype == torch.float32 and got[0][1].dtype == torch.int64
    order = b.plan.order(0)
    assert sorted(order.tolist()) == list(range(50)) and order.tolist() != list(range(50))
    assert torch.equal(torch.cat([y for _, y in got]), labels[order])
    assert not torch.equal(b.plan.order(1), order)  # a new order each epoch
    ordered = _batches(images, labels, shuffle=False, transform=CentreCrop(16, 16))
    assert torch.equal(torch.cat([y for _, y in _all(ordered, 0)]), labels)
    assert len(_batches(images, labels, drop_last=True)) == 6


@pytest.mark.parametrize("transform", [AlexNetTrain(16, 13), AlexNetTrain(18, 16), VGGTrain(14, 20, 12),
                                       CentreCrop(16, 13), GoogLeNetTrain(12)], ids=repr)
def test_reading_a_batch_out_of_the_store_equals_transforming_the_gathered_batch(transform):
    """Batches reads each batch with ``transform.gathered(store, index)``; the sliced crops of AlexNet's 16-pixel
    store (resize 16) skip the gathered copy, the others gather first: the numbers are those of
    ``transform(store[index])`` under the same draws."""
    images, _ = _store(50)
    index = torch.tensor([7, 3, 3, 41, 0, 19, 22, 8])
    got = transform.gathered(images, index, torch.Generator().manual_seed(5))
    want = transform(images[index], torch.Generator().manual_seed(5))
    assert got.shape == (8, 3, transform.crop, transform.crop)
    assert torch.equal(got, want)
    if hasattr(transform, "resize"):  # the crop transforms check the index they slice by
        with pytest.raises(IndexError, match="out of range for 50 images"):
            transform.gathered(images, torch.tensor([3, 50]))


def test_deterministic_from_the_seed_and_prefetch_changes_nothing():
    images, labels = _store(50)
    a = _all(_batches(images, labels), 2)
    assert _same(a, _all(_batches(images, labels), 2))
    assert _same(a, _all(_batches(images, labels, prefetch=True), 2))
    assert not _same(a, _all(_batches(images, labels, seed=4), 2))
    assert not torch.equal(a[0][0], _all(_batches(images, labels), 3)[0][0])


def test_exact_resume_mid_epoch():
    images, labels = _store(50)
    b = _batches(images, labels, transform=GoogLeNetTrain(12), prefetch=True)
    whole = _all(b, 5)
    for start in (0, 3, 6, 7):
        assert _same(_all(_batches(images, labels, transform=GoogLeNetTrain(12)), 5, start), whole[start:])
    with pytest.raises(ValueError, match="start"):
        next(b.epoch(0, start=8))
    it = b.epoch(1)
    next(it)
    it.close()  # leaving an epoch early stops its prefetch thread


def test_limit_caps_the_epoch():
    images, labels = _store(50)
    b = _batches(images, labels, limit=3)
    assert len(b) == 3 and len(_all(b, 0)) == 3
    assert _same(_all(b, 0), _all(_batches(images, labels), 0)[:3])
    assert len(_batches(images, labels, limit=100)) == 7


@pytest.mark.parametrize("n,world", [(48, 3), (50, 3), (50, 4)])
def test_rank_shards_cover_the_set_once(n, world):
    images, labels = _store(n)
    ranks = [_batches(images, labels, rank=r, world=world) for r in range(world)]
    assert len({len(b) for b in ranks}) == 1  # every rank steps the same number of times
    seen = torch.cat([b.plan.order(4) for b in ranks])
    assert set(seen.tolist()) == set(range(n))
    assert len(seen) == -(-n // world) * world  # padded by at most world - 1 repeats, as DistributedSampler
    if n % world == 0:
        assert len(seen) == n
    ys = torch.cat([y for b in ranks for _, y in b.epoch(4)])
    assert torch.equal(ys.sort().values, labels[seen].sort().values)
    # different ranks draw different augmentations for their batch 0
    assert ranks[0].plan.draws(4, 0).initial_seed() != ranks[1].plan.draws(4, 0).initial_seed()
    with pytest.raises(ValueError, match="rank"):
        Plan(n, 8, True, 0, rank=world, world=world)


def test_on_device_moves_once():
    images, _ = _store(4)
    assert on_device(images, torch.device("cpu")) is images
    if torch.cuda.is_available():
        a, b = on_device(images, torch.device("cuda")), on_device(images, torch.device("cuda"))
        assert a is b and a.device.type == "cuda"


@pytest.fixture(scope="module")
def tiny():
    if not (TINY / "wnids.txt").is_file():
        pytest.skip(f"{TINY} not present")
    return TINY


@pytest.mark.parametrize("workers", [0, 2])
def test_streaming_equals_in_memory(tiny, workers):
    sel = select(tiny, "train", classes=3, per_class=12, seed=0)
    store = load_store(tiny, "train", classes=3, per_class=12, side=64, seed=0)
    assert [str(p) for p in store.paths] == [str(p) for p in sel.paths]
    t = AlexNetTrain(73, 64)
    kw = dict(shuffle=True, seed=1, device="cpu", limit=4)
    memory = Batches.from_store(store, t, 10, **kw)
    stream = StreamingBatches.from_selection(sel, t, 10, side=64, workers=workers, **kw)
    assert len(stream) == len(memory) == 4
    for e in (0, 1):
        assert _same(_all(stream, e), _all(memory, e))
    assert _same(_all(stream, 1, start=2), _all(memory, 1)[2:])
    assert stream.skipped == {}


def test_streaming_skips_unreadable_files(tmp_path, tiny):
    wnid = sorted((tiny / "wnids.txt").read_text().split())[0]
    good = sorted((tiny / "train" / wnid / "images").iterdir())[:5]
    bad = tmp_path / "garbage.JPEG"
    bad.write_bytes(b"not an image" * 10)
    paths, labels = good + [bad], [0] * 6
    stream = StreamingBatches(paths, labels, CentreCrop(64, 64), 4, side=64, shuffle=False, seed=0, device="cpu",
                              workers=0)
    with pytest.warns(RuntimeWarning, match="skipped 1 unreadable"):
        got = _all(stream, 0)
    assert [len(y) for _, y in got] == [4, 1]
    assert list(stream.skipped) == [str(bad)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # known already: no second warning
        _all(stream, 1)
