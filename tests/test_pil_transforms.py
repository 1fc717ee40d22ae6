"""The per-image PIL augmentations (reviewlib.data.pil_transforms, re-exported by reviewlib.data.augment): PCA
colour noise, crops, scale jitter, evaluation transform. The batched ones are tested in test_augment.py."""
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from reviewlib.data.augment import (
    IMAGENET_EIGVAL, IMAGENET_EIGVEC, IMAGENET_MEAN, PAPERS, PCAColorNoise, crop_size, denormalize,
    eval_transform, pca_from_images, train_transform, vgg_scale_range,
)


def _image(w=150, h=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    return v2.functional.to_pil_image(torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8))


# ------------------------------------------------------------------------------------------------ PCA colour noise
def test_pca_noise_sigma_zero_is_identity():
    x = torch.rand(3, 8, 8)
    assert torch.equal(PCAColorNoise(0.0)(x), x)


def test_pca_noise_is_one_colour_shift_per_image_in_the_eigvec_span():
    torch.manual_seed(0)
    v = torch.tensor([1.0, 2.0, -1.0]) / 6**0.5
    noise = PCAColorNoise(0.5, eigval=[0.4], eigvec=v[:, None])  # rank 1: a single direction
    x = torch.rand(4, 3, 5, 5)
    d = noise(x) - x
    shift = d[:, :, 0, 0]  # [4, 3]
    assert torch.allclose(d, shift[:, :, None, None].expand_as(d), atol=1e-6)  # same shift at every pixel
    residual = shift - (shift @ v)[:, None] * v  # part outside span{v}
    assert residual.abs().max() < 1e-6
    assert (shift @ v).abs().min() > 0  # and the noise is really there
    assert not torch.allclose(shift[0], shift[1])  # one alpha per image


def test_pca_noise_rank_two_span_and_alpha_scale():
    torch.manual_seed(1)
    basis = torch.linalg.qr(torch.randn(3, 2))[0]  # orthonormal columns, rank 2
    normal = torch.linalg.cross(basis[:, 0], basis[:, 1])
    noise = PCAColorNoise(0.1, eigval=[0.3, 0.05], eigvec=basis)
    x = torch.zeros(2000, 3, 1, 1)
    shift = (noise(x) - x)[:, :, 0, 0]
    assert (shift @ normal).abs().max() < 1e-6
    alpha = (shift @ basis) / torch.tensor([0.3, 0.05])  # recover alpha ~ N(0, 0.1)
    assert alpha.std(0).sub(0.1).abs().max() < 0.01
    assert alpha.mean(0).abs().max() < 0.01


def test_pca_noise_redrawn_each_call_and_rejects_uint8():
    x = torch.rand(3, 4, 4)
    noise = PCAColorNoise(0.1)
    assert not torch.equal(noise(x), noise(x))
    with pytest.raises(TypeError, match="ToDtype"):
        noise(torch.zeros(3, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="eigvec"):
        PCAColorNoise(0.1, eigval=[1.0, 2.0], eigvec=torch.eye(3))


def test_imagenet_pca_values_are_orthonormal_eigvecs():
    vec = torch.tensor(IMAGENET_EIGVEC)
    assert torch.allclose(vec.T @ vec, torch.eye(3), atol=1e-3)
    assert IMAGENET_EIGVAL[0] == 0.2175


def test_pca_from_images_finds_the_colour_direction():
    g = torch.Generator().manual_seed(0)
    d = torch.tensor([0.6, 0.64, 0.48])  # unit vector
    t = torch.rand(20, 1, 16, 16, generator=g) - 0.5
    images = 0.5 + 0.5 * t * d[None, :, None, None] + 0.001 * torch.randn(20, 3, 16, 16, generator=g)
    eigval, eigvec = pca_from_images(images)
    assert eigval.shape == (3,) and eigvec.shape == (3, 3)
    assert eigval[0] > 100 * eigval[1] and eigval[1] >= eigval[2]
    assert abs(abs(float(eigvec[:, 0] @ d)) - 1) < 1e-3
    assert abs(float(eigval[0]) - 0.25 / 12) < 0.003  # var of 0.5*U(-0.5, 0.5)


def test_pca_from_pil_images_and_dataset_items():
    imgs = [(_image(seed=i), 0) for i in range(3)]  # dataset-like (image, label) items
    eigval, eigvec = pca_from_images(imgs)
    # independent uniform channels: three near-equal eigenvalues ~ 1/12
    assert torch.allclose(eigval, torch.full((3,), 1 / 12), atol=0.01)


# ----------------------------------------------------------------------------------------------- train transforms
@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("size", [64, 96])
def test_train_transform_shape_and_dtype(paper, size):
    out = train_transform(paper, size)(_image(150, 100))
    crop = round(size * 227 / 224) if paper == "alexnet" else size
    assert out.shape == (3, crop, crop)
    assert out.dtype == torch.float32 and type(out) is torch.Tensor
    assert out.abs().max() < 10  # normalized, not 0-255


def test_alexnet_paper_crop_227_at_224():
    assert crop_size("alexnet", 224, "paper") == 227
    assert crop_size("alexnet", 224, "torchvision") == 224
    assert crop_size("vgg", 224) == 224 and crop_size("googlenet", 96) == 96
    assert train_transform("alexnet", 224)(_image(300, 260)).shape == (3, 227, 227)
    assert train_transform("alexnet", 224, variant="torchvision")(_image(300, 260)).shape == (3, 224, 224)


def test_vgg_scale_jitter_range():
    assert vgg_scale_range(224) == (256, 512)
    assert vgg_scale_range(96) == (110, 219)
    torch.manual_seed(0)
    jitter = train_transform("vgg", 64).transforms[0]
    lo, hi = vgg_scale_range(64)
    sides = [min(jitter(_image(90, 60)).size) for _ in range(200)]
    assert lo <= min(sides) <= lo + 8 and hi - 8 <= max(sides) <= hi
    single = train_transform("vgg", 64, scale_range=(80, 80)).transforms[0]
    assert {min(single(_image(90, 60)).size) for _ in range(5)} == {80}
    with pytest.raises(ValueError, match="scale_range"):
        train_transform("vgg", 64, scale_range=(50, 80))  # S_min below the 64 crop


def test_googlenet_random_interpolation_and_area_range():
    first = train_transform("googlenet", 64).transforms[0]
    assert isinstance(first, v2.RandomChoice)
    modes = {t.interpolation.value for t in first.transforms}
    assert modes == {"nearest", "bilinear", "box", "bicubic"}
    assert all(t.scale == (0.08, 1.0) and t.ratio == pytest.approx((3 / 4, 4 / 3)) for t in first.transforms)
    narrow = train_transform("googlenet", 64, scale_range=(0.5, 1.0)).transforms[0]
    assert all(t.scale == (0.5, 1.0) for t in narrow.transforms)


def test_train_transform_bad_options():
    with pytest.raises(ValueError, match="alexnet, vgg, googlenet"):
        train_transform("resnet", 96)
    with pytest.raises(ValueError, match="scale_range"):
        train_transform("alexnet", 96, scale_range=(100, 200))
    with pytest.raises(ValueError, match="variant"):
        crop_size("alexnet", 96, "caffe")


# ------------------------------------------------------------------------------------------------ eval transform
def test_eval_transform_shape_determinism_and_normalization():
    t = eval_transform(96)
    img = _image(200, 120)
    out = t(img)
    assert out.shape == (3, 96, 96) and out.dtype == torch.float32
    assert torch.equal(out, t(img))
    assert eval_transform(96, crop=97)(img).shape == (3, 97, 97)
    mean_img = Image.new("RGB", (50, 40), tuple(round(m * 255) for m in IMAGENET_MEAN))
    assert eval_transform(32)(mean_img).abs().max() < 0.02  # the mean colour normalizes to ~0
    assert torch.allclose(denormalize(eval_transform(32)(mean_img))[:, 0, 0], torch.tensor(IMAGENET_MEAN),
                          atol=0.005)
