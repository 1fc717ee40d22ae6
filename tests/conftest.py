"""Fixtures shared by the paper packages' tests."""
import pytest

from reviewlib.data.synthetic import make_synthetic_imagenet


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A 10-class synthetic stand-in with the smoke budget's images per class (a module may define its own)."""
    return make_synthetic_imagenet(tmp_path_factory.mktemp("data") / "synthetic", num_classes=10,
                                   train_per_class=16, val_per_class=4, image_size=64, seed=0)
