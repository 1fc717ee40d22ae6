"""The AlexNet building blocks written by hand: convolution, max-pooling, LRN and dropout.

These layers are written from scratch **on purpose**: they are what the review is about, and seeing them as a few
lines of tensor code is the point of the exercise. Each one is tested equal to the torch built-in on random inputs
(``tests/test_scratch.py``). The library's models (:mod:`reviewlib.nets`) use the torch built-ins and
:class:`reviewlib.nets.layers.LocalResponseNorm`, which are faster.

- :mod:`reviewlib.nets.scratch.conv` -- ``conv2d``: convolution as one matrix product ("im2col" with
  ``torch.nn.functional.unfold``), with ``groups`` for AlexNet's two GPU towers (Sect. 3.2, 3.5).
- :mod:`reviewlib.nets.scratch.pool` -- ``max_pool2d``: max over ``unfold``'s windows, including overlapping
  pooling z=3, s=2 (Sect. 3.4).
- :mod:`reviewlib.nets.scratch.norm` -- ``local_response_norm``: the LRN formula of Sect. 3.3 as a loop over
  channels, and the ``alpha`` pitfall of ``torch.nn.LocalResponseNorm`` (it divides ``alpha`` by ``n``;
  ``torch_lrn_for_paper`` is the fix); ``dropout``: inverted dropout as torch does it, and ``dropout_paper`` /
  ``dropout_paper_test_time``: the original form of Sect. 4.2 (no scaling at training, outputs multiplied by 0.5
  at test).

Every function works on the device and dtype of its input; autograd differentiates through all of them. The
modules (``Conv2d``, ``MaxPool2d``, ``LocalResponseNorm``, ``Dropout``) are drop-in replacements for torch's.
"""
from .conv import Conv2d, conv2d
from .norm import (Dropout, LocalResponseNorm, dropout, dropout_paper, dropout_paper_test_time, local_response_norm,
                   torch_lrn_for_paper)
from .pool import MaxPool2d, max_pool2d

__all__ = ["conv2d", "max_pool2d", "local_response_norm", "torch_lrn_for_paper", "dropout", "dropout_paper",
           "dropout_paper_test_time", "Conv2d", "MaxPool2d", "LocalResponseNorm", "Dropout"]
