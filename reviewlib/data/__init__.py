"""ImageNet subsets for the papers' training: find the data, decode a subset once, batch and augment on the device.

- :mod:`.sources`: where the images are (``find_data``, ``DataSource``, layouts, Imagenette download, stand-in);
- :mod:`.labels`: class names and the validation-label files; :mod:`.subset`: which files (``select``);
- :mod:`.store`: ``load_store`` decodes a split once into uint8 squares in memory;
- :mod:`.augment`: the papers' augmentations as batched ops on the device (``AlexNetTrain``, ``VGGTrain``,
  ``GoogLeNetTrain``, ``CentreCrop``); :mod:`.resample`: crop-and-resize of a batch of boxes;
- :mod:`.batches`: ``Batches`` (in memory), :mod:`.streaming`: ``StreamingBatches`` (decoded every epoch);
- the per-image path (PIL images one at a time, for the per-image evaluation and the old callers): :mod:`.subset`'s
  ``ImageNetSubset``, :mod:`.loader` and :mod:`.pil_transforms`; :mod:`.files` re-exports the old API.
"""
from .augment import (IMAGENET_EIGVAL, IMAGENET_EIGVEC, IMAGENET_MEAN, IMAGENET_STD, AlexNetTrain, CentreCrop,
                      Draws, GoogLeNetTrain, VGGTrain, denormalize, pca_from_images, resize_side)
from .batches import Batches
from .sources import DataSource, detect_layout, download_imagenette, find_data, synthetic_source
from .store import ImageStore, load_store
from .streaming import StreamingBatches
from .subset import Selection, all_wnids, select

__all__ = ["AlexNetTrain", "Batches", "CentreCrop", "DataSource", "Draws", "GoogLeNetTrain", "IMAGENET_EIGVAL",
           "IMAGENET_EIGVEC", "IMAGENET_MEAN", "IMAGENET_STD", "ImageStore", "Selection", "StreamingBatches",
           "VGGTrain", "all_wnids", "denormalize", "detect_layout", "download_imagenette", "find_data",
           "load_store", "pca_from_images", "resize_side", "select", "synthetic_source"]
