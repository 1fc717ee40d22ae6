"""The papers' test-time protocols, dense evaluation, ensembles and top-k errors.

* :mod:`.crops` -- the views of one image: centre, AlexNet's 10 crops, VGG's 5x5x2 multi-crop, GoogLeNet's 144.
* :mod:`.dense` -- :func:`to_dense`: VGG's fully-connected layers as convolutions (Sect. 3.2).
* :mod:`.predict` -- :func:`evaluate` / :func:`predict_dataset` over a dataset, ensembles, :func:`topk_errors`.

Protocols: ``"center"``, ``"10crop"`` (AlexNet), ``"144crop"`` (GoogLeNet), ``"dense"`` and ``"multicrop"`` (VGG).
"""
from ..data.augment import IMAGENET_MEAN, IMAGENET_STD
from .crops import (PAPER_SCALES, PROTOCOLS, VGG_MULTISCALE_Q, center_crop, crops_144, default_scales, grid_crops,
                    make_views, multicrop_views, normalize, paper_scales, resize_short, ten_crops, to_image_tensor,
                    views_per_image)
from .dense import FullyConvNet, to_dense
from .predict import (Predictions, dense_predict, ensemble_predict, evaluate, model_logits, predict_dataset,
                      topk_correct, topk_errors)

__all__ = [
    "IMAGENET_MEAN", "IMAGENET_STD", "PROTOCOLS", "PAPER_SCALES", "VGG_MULTISCALE_Q",
    "paper_scales", "default_scales", "to_image_tensor", "resize_short", "normalize",
    "center_crop", "ten_crops", "crops_144", "grid_crops", "multicrop_views", "make_views",
    "views_per_image", "FullyConvNet", "to_dense", "dense_predict", "ensemble_predict", "model_logits",
    "topk_correct", "topk_errors", "Predictions", "predict_dataset", "evaluate",
]
