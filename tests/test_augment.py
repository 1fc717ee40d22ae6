"""The papers' augmentations as batched tensor ops (reviewlib.data.augment, reviewlib.data.resample).

The semantic tests: given the same draws, the batched ``apply`` equals a per-image pipeline built from
``torchvision.transforms.v2.functional`` (resize, crop, hflip, adjust_*, normalize). Pixels are compared on the
[0, 1] scale (normalised outputs times the ImageNet std) within 1e-5: float32 sampling positions leave a few 1e-6.
"""
import math

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align
from torchvision.transforms.v2 import InterpolationMode as IM
from torchvision.transforms.v2 import functional as TF

from reviewlib.data.augment import (
    IMAGENET_EIGVAL, IMAGENET_EIGVEC, IMAGENET_MEAN, IMAGENET_STD, AlexNetTrain, CentreCrop, Draws, GoogLeNetTrain,
    VGGTrain, colour_shift, denormalize, pca_from_images, resize_side,
)
from reviewlib.data.resample import MODES, crop_resize, sample_points, shrink

STD = torch.tensor(IMAGENET_STD)[:, None, None]
TOL = 1e-5


def _images(n=8, side=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=g)


def _unit(img):
    return TF.to_dtype(img, torch.float32, scale=True)


def _close(out, ref, tol=TOL):
    """Normalised tensors compared on the [0, 1] pixel scale."""
    err = float(((out - ref) * STD).abs().max())
    assert err < tol, err


def _finish_reference(r, flip, shift):
    if flip:
        r = TF.horizontal_flip(r)
    return TF.normalize(r + shift[:, None, None], IMAGENET_MEAN, IMAGENET_STD)


def _square_crop_reference(img, box, crop, flip, shift):
    """Resize the square so the box is ``crop`` pixels (bilinear, no antialias), crop it, flip, PCA, normalise."""
    side = round(crop / float(box[2] - box[0]))
    left, top = round(float(box[0]) * side), round(float(box[1]) * side)
    r = TF.crop(TF.resize(_unit(img), [side, side], interpolation=IM.BILINEAR, antialias=False), top, left, crop, crop)
    return _finish_reference(r, flip, shift)


# ------------------------------------------------------------------------------------------- crop and resize
def test_resize_side_is_the_256_224_rule():
    assert resize_side(224) == 256 and resize_side(128) == 146 and resize_side(64) == 73 and resize_side(96) == 110


def test_roi_align_upsampling_equals_resize_then_crop():
    """roi_align(aligned=True, sampling_ratio=0) on an enlarged box = bilinear resize of the whole image, then crop."""
    x = _unit(_images(6, side=40))
    side, crop = 97, 61  # resize the 40-px square to 97, crop 61 at integer offsets
    g = torch.Generator().manual_seed(1)
    offsets = torch.randint(0, side - crop + 1, (6, 2), generator=g)
    boxes = torch.cat([offsets, offsets + crop], 1).double() / side
    rois = torch.cat([torch.arange(6.0)[:, None], boxes.float() * 40], 1)
    out = roi_align(x, rois, (crop, crop), spatial_scale=1.0, sampling_ratio=0, aligned=True)
    for k in range(6):
        left, top = offsets[k].tolist()
        ref = TF.crop(TF.resize(x[k], [side, side], interpolation=IM.BILINEAR, antialias=False), top, left, crop, crop)
        assert float((out[k] - ref).abs().max()) < TOL
    assert bool((shrink(boxes, 40, crop) < 1).all())
    assert torch.allclose(crop_resize(x, boxes, crop), out, atol=TOL, rtol=0)  # the grid_sample route: same numbers


def test_shrinking_reads_the_mean_of_bilinear_samples():
    """A shrunk box: roi_align's ceil(shrink)^2 bilinear samples per output pixel = resize by that factor, then
    average-pool (not torchvision's antialiased resize, which is close)."""
    smooth = F.interpolate(_unit(_images(4, side=12)), size=(96, 96), mode="bicubic", align_corners=False)
    x = smooth.clamp(0, 1)  # a photo-like image: close to torchvision's antialiased resize (noise would not be)
    crop, k = 20, 2  # boxes of 40 px read into 20: two samples per output pixel in each direction
    offsets = torch.tensor([[0, 0], [10, 30], [56, 56], [8, 50]])  # even: whole pixels at half size too
    boxes = torch.cat([offsets, offsets + 40], 1).double() / 96
    out = crop_resize(x, boxes, crop)
    for i in range(4):
        left, top = offsets[i].tolist()
        big = TF.resize(x[i], [96 * k // 2, 96 * k // 2], interpolation=IM.BILINEAR, antialias=False)
        ref = F.avg_pool2d(TF.crop(big, top, left, 40, 40)[None], k)[0]
        assert float((out[i] - ref).abs().max()) < TOL
        aa = TF.crop(TF.resize(x[i], [48, 48], interpolation=IM.BILINEAR, antialias=True), top // 2, left // 2, 20,
                     20)
        assert 0 < float((out[i] - aa).abs().mean()) < 0.01  # near the antialiased resize, not equal


@pytest.mark.parametrize("mode", ["bilinear", "area"])
def test_mixed_batches_read_each_box_as_alone(mode):
    """Enlarged and shrunk boxes, flipped or not, in one batch: each image as if it were read on its own (and a
    shrunk area box is the mean of k x k bilinear samples: roi_align with sampling_ratio=k)."""
    x = _unit(_images(6, side=48))
    boxes = torch.tensor([[0, 0, 1, 1], [0.1, 0.2, 0.5, 0.6], [0.5, 0.5, 0.9, 0.9], [0, 0, 0.9, 0.9],
                          [0.2, 0.1, 0.4, 0.3], [0.05, 0.0, 1.0, 0.95]], dtype=torch.float64)
    flip = torch.tensor([True, False, True, False, True, True])
    out = crop_resize(x, boxes, 20, flip=flip, modes=mode)
    for k in range(6):
        alone = crop_resize(x[k:k + 1], boxes[k:k + 1], 20, flip=flip[k:k + 1], modes=mode)
        assert torch.allclose(out[k], alone[0], atol=1e-6)
        if mode == "area" and float(shrink(boxes[k:k + 1], 48, 20)) > 1:
            rois = torch.cat([torch.zeros(1, 1), boxes[k:k + 1].float() * 48], 1)
            k_samples = math.ceil(float(shrink(boxes[k:k + 1], 48, 20)))
            ref = roi_align(x[k:k + 1], rois, (20, 20), 1.0, k_samples, True)[0]
            assert torch.allclose(out[k], ref.flip(-1) if flip[k] else ref, atol=1e-6)
    modes = torch.tensor([0, 1, 2, 3, 0, 1])
    mixed = crop_resize(x, boxes, 20, flip=flip, modes=modes)
    for k in range(6):
        assert torch.allclose(mixed[k], crop_resize(x[k:k + 1], boxes[k:k + 1], 20, flip=flip[k:k + 1],
                                                    modes=MODES[int(modes[k])])[0], atol=1e-6)


def test_nearest_copies_the_pixel_under_each_point():
    """Nearest reads are copies: exactly the stored pixel ``floor(u * S)`` (edge pixels past the border), flipped
    or not, enlarged or shrunk."""
    x = _unit(_images(5, side=48))
    boxes = torch.tensor([[0, 0, 1, 1], [0.1, 0.2, 0.5, 0.6], [0.2, 0.1, 0.4, 0.3], [0.05, 0.0, 1.0, 0.95],
                          [-0.1, 0.05, 1.1, 1.2]], dtype=torch.float64)
    flip = torch.tensor([True, False, True, False, True])
    for size in (8, 33, 96):
        u, v = sample_points(boxes, size, flip)
        iy, ix = (v * 48).floor().long().clamp(0, 47), (u * 48).floor().long().clamp(0, 47)
        ref = torch.stack([x[k][:, iy[k]][:, :, ix[k]] for k in range(5)])
        assert torch.equal(crop_resize(x, boxes, size, flip=flip, modes="nearest"), ref)


def test_bicubic_matrices_equal_grid_sample_bicubic():
    """The bicubic reader's two matrix products give grid_sample's bicubic (border padding) at the same points, in
    float64 to 1e-10: enlarged and shrunk boxes, boxes at and past the edges (the repeated edge pixels), flipped or
    not."""
    x = _unit(_images(7, side=48)).double()
    boxes = torch.tensor([[0, 0, 1, 1], [0.1, 0.2, 0.5, 0.6], [0.5, 0.5, 0.9, 0.9], [0, 0, 0.9, 0.9],
                          [0.2, 0.1, 0.4, 0.3], [0.05, 0.0, 1.0, 0.95], [-0.1, 0.05, 1.1, 1.2]], dtype=torch.float64)
    flip = torch.tensor([True, False, True, False, True, True, False])
    for size in (8, 20, 96):  # 8: 48 px images read to 8 px go through grid_sample itself (see MATRIX_MACS_PER_PIXEL)
        u, v = sample_points(boxes, size, flip)
        grid = torch.stack([(2 * u - 1)[:, None, :].expand(7, size, size),
                            (2 * v - 1)[:, :, None].expand(7, size, size)], dim=-1)
        ref = F.grid_sample(x, grid, mode="bicubic", padding_mode="border", align_corners=False)
        out = crop_resize(x, boxes, size, flip=flip, modes="bicubic")
        assert out.shape == ref.shape == (7, 3, size, size) and out.dtype == torch.float64
        assert float((out - ref).abs().max()) < 1e-10


def _area_matrix(start, stop, size, side):
    """Row j: each image pixel's share of output pixel j's footprint (the exact area average)."""
    edges = torch.linspace(float(start) * side, float(stop) * side, size + 1, dtype=torch.float64)
    i = torch.arange(side, dtype=torch.float64)
    overlap = (torch.minimum(edges[1:, None], i + 1) - torch.maximum(edges[:-1, None], i)).clamp(min=0)
    return overlap / (edges[1:] - edges[:-1])[:, None]


def _interpolated_reference(img, box, size, top, left, height, width, mode):
    """``img`` resized to ``height x width`` (the box then being ``size`` pixels) with ``mode``, cropped at
    ``(top, left)``; "area" is the exact footprint mean (OpenCV's INTER_AREA when enlarging)."""
    img = _unit(img)
    if mode == "area":
        side = img.shape[-1]
        rows = _area_matrix(box[1], box[3], size, side)
        cols = _area_matrix(box[0], box[2], size, side)
        return (rows @ img.double() @ cols.T).float()
    how = {"bilinear": IM.BILINEAR, "nearest": IM.NEAREST_EXACT, "bicubic": IM.BICUBIC}[mode]
    return TF.crop(TF.resize(img, [height, width], interpolation=how, antialias=False), top, left, size, size)


# ------------------------------------------------------------------------------------ the papers' transforms
def test_alexnet_train_equals_per_image_reference():
    x = _images(8, side=64)
    t = AlexNetTrain(resize=146, crop=130)
    d = t.draw(8, torch.Generator().manual_seed(3))
    assert d.flip.any() and (~d.flip).any()
    offsets = d.boxes[:, :2] * 146
    assert torch.allclose(offsets, offsets.round(), atol=1e-9) and offsets.max() <= 16 and offsets.min() >= 0
    out = t.apply(x, d)
    assert out.shape == (8, 3, 130, 130) and out.dtype == torch.float32
    shift = colour_shift(d.alpha, t.pca).float()
    for k in range(8):
        _close(out[k], _square_crop_reference(x[k], d.boxes[k], 130, bool(d.flip[k]), shift[k]))


def test_vgg_train_scale_jitter_equals_per_image_reference():
    x = _images(8, side=64)
    t = VGGTrain(s_min=73, s_max=146, crop=64)
    d = t.draw(8, torch.Generator().manual_seed(4))
    scales = (64 / (d.boxes[:, 2] - d.boxes[:, 0])).round()
    assert scales.min() >= 73 and scales.max() <= 146 and len(scales.unique()) > 1
    out = t.apply(x, d)
    shift = colour_shift(d.alpha, t.pca).float()
    for k in range(8):
        _close(out[k], _square_crop_reference(x[k], d.boxes[k], 64, bool(d.flip[k]), shift[k]))


@pytest.mark.parametrize("seed", [0, 1])
def test_googlenet_train_equals_per_image_reference(seed):
    """Boxes on whole pixels of an (anisotropic) resize, each of the four interpolations, the photometric changes in
    the drawn order, flips both ways."""
    g = torch.Generator().manual_seed(seed)
    n, side, crop = 16, 41, 48  # an odd side: no nearest-neighbour read falls exactly on a pixel edge (a tie)
    x = _images(n, side, seed)
    sizes = torch.randint(crop + 2, 130, (n, 2), generator=g)  # the resized image's height, width: enlarged
    places, boxes = [], []
    for h, w in sizes.tolist():
        top, left = (int(torch.randint(0, s - crop + 1, (1,), generator=g)) for s in (h, w))
        places.append((top, left))
        boxes.append([left / w, top / h, (left + crop) / w, (top + crop) / h])
    t = GoogLeNetTrain(crop)
    base = t.draw(n, g)
    flip = torch.arange(n) % 3 == 0
    d = Draws(torch.tensor(boxes, dtype=torch.float64), flip, base.alpha, torch.arange(n) % 4, base.factors,
              base.order)
    out = t.apply(x, d)
    shift = colour_shift(d.alpha, t.pca).float()
    for k in range(n):
        (h, w), (top, left) = sizes[k].tolist(), places[k]
        r = _interpolated_reference(x[k], d.boxes[k], crop, top, left, h, w, MODES[int(d.modes[k])])
        if flip[k]:
            r = TF.horizontal_flip(r)
        for op in d.order[k].tolist():
            r = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation)[op](r, float(d.factors[k, op]))
        # Keys' cubic weights (up to 1.25 in sum of magnitudes) magnify the float32 position error on pixel noise
        tol = 3 * TOL if MODES[int(d.modes[k])] == "bicubic" else TOL
        _close(out[k], TF.normalize(r + shift[k][:, None, None], IMAGENET_MEAN, IMAGENET_STD), tol)


def test_centre_crop_equals_per_image_reference():
    x = _images(3, side=64)
    out = CentreCrop(resize=146, crop=130)(x)
    for k in range(3):
        ref = TF.center_crop(TF.resize(_unit(x[k]), [146, 146], interpolation=IM.BILINEAR, antialias=False), [130])
        _close(out[k], TF.normalize(ref, IMAGENET_MEAN, IMAGENET_STD))
    assert CentreCrop(96, 110)(x).shape == (3, 3, 110, 110)  # a crop larger than the resize: the square fits it
    assert torch.equal(CentreCrop(146, 130)(x), out)  # no randomness


def test_draws_follow_the_papers_distributions():
    g = torch.Generator().manual_seed(0)
    d = GoogLeNetTrain(96).draw(4000, g)
    w, h = d.boxes[:, 2] - d.boxes[:, 0], d.boxes[:, 3] - d.boxes[:, 1]
    assert d.boxes.min() >= 0 and d.boxes.max() <= 1
    area, aspect = w * h, w / h
    assert area.min() >= 0.08 - 1e-9 and area.max() <= 1 + 1e-9 and area.mean() > 0.4
    assert aspect.min() >= 3 / 4 - 1e-9 and aspect.max() <= 4 / 3 + 1e-9
    assert d.factors.min() >= 0.6 and d.factors.max() <= 1.4
    assert sorted(d.order[0].tolist()) == [0, 1, 2] and len({tuple(o) for o in d.order.tolist()}) == 6
    assert torch.bincount(d.modes, minlength=4).min() > 800  # the four interpolations, equally often
    assert 0.45 < d.flip.float().mean() < 0.55
    assert abs(float(d.alpha.std()) - 0.1) < 0.01
    v = VGGTrain(73, 146, 64).draw(4000, g)
    scales = (64 / (v.boxes[:, 2] - v.boxes[:, 0])).round().long()
    assert scales.min() == 73 and scales.max() == 146  # every integer S in [S_min, S_max] can come up
    assert (v.boxes[:, 2:] <= 1 + 1e-9).all()
    single = VGGTrain(96, 96, 64).draw(50, g)
    assert torch.allclose(single.boxes[:, 2] - single.boxes[:, 0], torch.full((50,), 64 / 96, dtype=torch.float64))


def test_draws_are_reproducible_and_options_keep_the_crops():
    """The same generator seed gives the same draws; switching PCA or flips off changes nothing else (ablations
    see the same crops)."""
    def draws(t):
        return t.draw(32, torch.Generator().manual_seed(7))

    a, b = draws(AlexNetTrain(146, 130)), draws(AlexNetTrain(146, 130))
    assert torch.equal(a.boxes, b.boxes) and torch.equal(a.alpha, b.alpha)
    no_pca, no_flip = draws(AlexNetTrain(146, 130, pca_sigma=0)), draws(AlexNetTrain(146, 130, flip=False))
    assert torch.equal(no_pca.boxes, a.boxes) and not no_pca.alpha.any() and torch.equal(no_pca.flip, a.flip)
    assert torch.equal(no_flip.boxes, a.boxes) and not no_flip.flip.any()
    x = _images(32, 64)
    plain = AlexNetTrain(146, 130, pca_sigma=0).apply(x, no_pca)
    assert torch.allclose(plain, CentreCrop(146, 130).apply(x, no_pca), atol=1e-6)  # no PCA: only crop + flip


@pytest.mark.parametrize("transform", [AlexNetTrain(40, 36), VGGTrain(40, 56, 36), GoogLeNetTrain(48)], ids=repr)
def test_each_image_depends_only_on_its_own_draws(transform):
    """``draws[which]`` picks some images' draws: applied to those images alone they give exactly those images'
    rows of the whole batch (the per-mode split of GoogLeNet's interpolations regroups the batch; no image sees
    another's draws)."""
    x = _images(24, 40, seed=3)
    draws = transform.draw(24, torch.Generator().manual_seed(11))
    whole = transform.apply(x, draws)
    part = draws[:10]
    assert len(part) == 10 and torch.equal(part.boxes, draws.boxes[:10]) and torch.equal(part.flip, draws.flip[:10])
    assert torch.equal(transform.apply(x[:10], part), whole[:10])
    which = torch.tensor([23, 4, 4, 17])
    assert torch.equal(transform.apply(x[which], draws[which]), whole[which])


def test_pca_shift_is_one_colour_per_image_along_the_eigenvectors():
    x = _images(4, 64)
    t = AlexNetTrain(146, 130, pca_sigma=0.5, pca=([0.4], [[1 / 6 ** 0.5], [2 / 6 ** 0.5], [-1 / 6 ** 0.5]]))
    d = t.draw(4, torch.Generator().manual_seed(0))
    plain = AlexNetTrain(146, 130, pca_sigma=0).apply(x, d)
    diff = (t.apply(x, d) - plain) * STD  # the shift on the [0, 1] scale, per image and channel
    shift = diff.flatten(2)
    assert torch.allclose(shift, shift[:, :, :1].expand_as(shift), atol=1e-5)  # the same at every pixel
    v = torch.tensor([1.0, 2.0, -1.0]) / 6 ** 0.5
    per_image = shift[:, :, 0]
    assert (per_image - (per_image @ v)[:, None] * v).abs().max() < 1e-5  # along the one eigenvector
    assert torch.allclose(per_image @ v, (d.alpha[:, 0] * 0.4).float(), atol=1e-5)


def test_transforms_check_their_input_and_sizes():
    with pytest.raises(ValueError, match="uint8"):
        AlexNetTrain(146, 130)(torch.rand(2, 3, 64, 64))
    with pytest.raises(ValueError, match="S, S"):
        CentreCrop(146, 130)(torch.zeros(2, 3, 64, 60, dtype=torch.uint8))
    with pytest.raises(ValueError, match="crop 150"):
        AlexNetTrain(146, 150)
    with pytest.raises(ValueError, match="s_min"):
        VGGTrain(60, 146, 64)
    with pytest.raises(ValueError, match="area"):
        GoogLeNetTrain(96, area=(0.0, 1.0))
    with pytest.raises(ValueError, match="modes"):
        GoogLeNetTrain(96, modes=("lanczos",))
    with pytest.raises(ValueError, match="eigvec"):
        AlexNetTrain(146, 130, pca=([1.0, 2.0], torch.eye(3)))
    assert AlexNetTrain(146, 130) == AlexNetTrain(146, 130)  # frozen values: comparable, hashable
    assert len({AlexNetTrain(146, 130), AlexNetTrain(146, 130)}) == 1


def test_imagenet_pca_values_are_orthonormal_eigvecs():
    vec = torch.tensor(IMAGENET_EIGVEC)
    assert torch.allclose(vec.T @ vec, torch.eye(3), atol=1e-3)
    assert IMAGENET_EIGVAL[0] == 0.2175


def test_pca_from_images_finds_the_colour_direction():
    g = torch.Generator().manual_seed(0)
    d = torch.tensor([0.6, 0.64, 0.48])  # unit vector
    t = torch.rand(20, 1, 16, 16, generator=g) - 0.5
    images = 0.5 + 0.5 * t * d[None, :, None, None] + 0.001 * torch.randn(20, 3, 16, 16, generator=g)
    eigval, eigvec = pca_from_images(images)  # float images on [0, 1]
    assert eigval.shape == (3,) and eigvec.shape == (3, 3)
    assert eigval[0] > 100 * eigval[1] and eigval[1] >= eigval[2]
    assert abs(abs(float(eigvec[:, 0] @ d)) - 1) < 1e-3
    assert abs(float(eigval[0]) - 0.25 / 12) < 0.003  # var of 0.5*U(-0.5, 0.5)


def test_pca_from_pil_images_and_dataset_items():
    g = torch.Generator().manual_seed(0)
    pil = [TF.to_pil_image(torch.randint(0, 256, (3, 100, 150), generator=g, dtype=torch.uint8)) for _ in range(3)]
    items = [(im, 0) for im in pil] + [(None, 0)]  # dataset-like (image, label) items; a skipped file is left out
    eigval, _ = pca_from_images(items)
    # independent uniform channels: three near-equal eigenvalues ~ 1/12
    assert torch.allclose(eigval, torch.full((3,), 1 / 12), atol=0.01)
    assert torch.allclose(pca_from_images(iter(pil))[0], eigval, atol=1e-6)  # a plain iterable of images too


def test_pca_from_images_on_a_uint8_store_like_tensor():
    g = torch.Generator().manual_seed(0)
    d = torch.tensor([0.6, 0.64, 0.48])
    t = torch.rand(40, 1, 16, 16, generator=g) - 0.5
    images = ((0.5 + 0.5 * t * d[None, :, None, None]) * 255).round().to(torch.uint8)

    class Store:  # what pca_from_images reads of an ImageStore
        pass

    store = Store()
    store.images = images
    eigval, eigvec = pca_from_images(store, max_images=20)
    assert eigval[0] > 50 * eigval[1] and abs(abs(float(eigvec[:, 0] @ d)) - 1) < 2e-3
    assert abs(float(eigval[0]) - 0.25 / 12) < 0.003
    t2 = AlexNetTrain(146, 130, pca=(eigval, eigvec))
    assert len(t2.pca[0]) == 3 and t2(images[:2], torch.Generator().manual_seed(0)).shape == (2, 3, 130, 130)


def test_denormalize_inverts_the_normalisation():
    x = _images(2, 64)
    out = CentreCrop(64, 64)(x)
    assert torch.allclose(denormalize(out), _unit(x), atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available() and not torch.backends.mps.is_available(),
                    reason="no GPU here: the transforms run on the CPU in every other test")
def test_on_the_gpu_same_as_on_the_cpu():
    device = "cuda" if torch.cuda.is_available() else "mps"
    x = _images(16, 64)
    for t in (AlexNetTrain(146, 130), VGGTrain(73, 146, 64), GoogLeNetTrain(96), CentreCrop(146, 130)):
        d = t.draw(16, torch.Generator().manual_seed(0))
        got = t.apply(x.to(device), d)
        assert got.device.type == device
        assert float((got.cpu() - t.apply(x, d)).abs().max()) < 1e-3, t



def test_alexnet_crops_from_a_store_at_the_resize_side_are_slices_with_the_same_numbers():
    """AlexNet Sect. 2: images rescaled once to the resize side; the random crops are then plain slices. The slice
    path must give what resampling the same boxes gives (every sample falls on a pixel centre)."""
    from reviewlib.data import augment as A

    x = torch.randint(0, 256, (6, 3, 37, 37), dtype=torch.uint8)
    for t in (A.AlexNetTrain(37, 33), A.CentreCrop(37, 33)):
        d = t.draw(6, torch.Generator().manual_seed(3))
        assert A.sliced_and_normalized(x, d, 33, t._shift(d)) is not None
        resampled = A.normalize_(A.crop_resize(x.float(), d.boxes, 33, flip=d.flip), t._shift(d), 1 / 255)
        torch.testing.assert_close(t.apply(x, d), resampled, atol=1e-4, rtol=0)
    d = A.AlexNetTrain(37, 33).draw(6, torch.Generator().manual_seed(3))
    assert A.sliced_and_normalized(torch.zeros(6, 3, 20, 20, dtype=torch.uint8), d, 33, None) is None  # resample
