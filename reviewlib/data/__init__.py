"""ImageNet subsets for the papers' training: find the data, decode a subset once, batch and augment on the device.

- :mod:`.sources`: where the images are (``find_data``, ``DataSource``, layouts, Imagenette download, stand-in);
- :mod:`.labels`: class names and the validation-label files; :mod:`.subset`: which files (``select``);
- :mod:`.store`: ``load_store`` decodes a split once into uint8 squares in memory;
- :mod:`.augment`: the papers' augmentations as batched ops on the device (``AlexNetTrain``, ``VGGTrain``,
  ``GoogLeNetTrain``, ``CentreCrop``); :mod:`.resample`: crop-and-resize of a batch of boxes;
- :mod:`.batches`: ``Batches`` (in memory), :mod:`.streaming`: ``StreamingBatches`` (decoded every epoch);
- one PIL image at a time, for the per-image evaluation protocols (:mod:`reviewlib.evaluate`) and the figures:
  :mod:`.subset`'s ``load_split`` (an ``ImageNetSubset``) and ``load_rgb``;
- :mod:`.synthetic`: the offline stand-in's images.

Unreadable files are skipped and counted everywhere (``ImageStore.skipped``, ``StreamingBatches.skipped``, a
``BadSample`` item of an ``ImageNetSubset``), with one RuntimeWarning naming them.
"""
from .augment import (IMAGENET_EIGVAL, IMAGENET_EIGVEC, IMAGENET_MEAN, IMAGENET_STD, AlexNetTrain, CentreCrop,
                      Draws, GoogLeNetTrain, VGGTrain, denormalize, pca_from_images, resize_side)
from .batches import Batches
from .sources import DataSource, detect_layout, download_imagenette, find_data, synthetic_source
from .store import ImageStore, load_store
from .streaming import StreamingBatches
from .subset import BadSample, ImageNetSubset, Selection, all_wnids, load_rgb, load_split, select

__all__ = ["AlexNetTrain", "BadSample", "Batches", "CentreCrop", "DataSource", "Draws", "GoogLeNetTrain",
           "IMAGENET_EIGVAL", "IMAGENET_EIGVEC", "IMAGENET_MEAN", "IMAGENET_STD", "ImageNetSubset", "ImageStore",
           "Selection", "StreamingBatches", "VGGTrain", "all_wnids", "denormalize", "detect_layout",
           "download_imagenette", "find_data", "load_rgb", "load_split", "load_store", "pca_from_images",
           "resize_side", "select", "synthetic_source"]
