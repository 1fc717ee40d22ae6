"""Small models and an in-memory stand-in for reviewlib.data.batches.Batches, shared by the training tests."""
from __future__ import annotations

import os
import signal

import torch
from torch import nn
from torchvision.models import GoogLeNetOutputs

from reviewlib.train.recipes import paper_recipe


def blobs(n_per_class=16, classes=3, size=8, seed=0, noise=1.0):
    """Images = a fixed random template per class + noise: learnable, not trivial. Returns ``(x, y)``."""
    g = torch.Generator().manual_seed(seed)
    templates = torch.randn(classes, 3, size, size, generator=torch.Generator().manual_seed(99))
    y = torch.arange(classes).repeat_interleave(n_per_class)
    return templates[y] + noise * torch.randn(len(y), 3, size, size, generator=g), y


class TensorBatches:
    """The Batches interface over tensors in memory: ``len()`` batches per epoch, ``epoch(e, start)``.

    As in reviewlib.data.batches.Batches, the order of epoch ``e`` and the augmentation draws of batch ``i`` (here a
    little noise) are pure functions of ``(seed, e, i)``. ``sigint_at=(e, i)`` sends SIGINT to
    this process the first time batch ``i`` of epoch ``e`` is handed out (a Ctrl-C in the middle of an epoch).
    """

    def __init__(self, x, y, batch_size, *, shuffle=True, augment=True, seed=0, device="cpu", sigint_at=None):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.shuffle, self.augment, self.seed, self.device = shuffle, augment, seed, device
        self.sigint_at, self.fired = sigint_at, False

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def epoch(self, e, start=0):
        g = torch.Generator().manual_seed(1000 * self.seed + e)
        order = torch.randperm(len(self.y), generator=g) if self.shuffle else torch.arange(len(self.y))
        for i in range(start, len(self)):
            if (e, i) == self.sigint_at and not self.fired:
                self.fired = True
                os.kill(os.getpid(), signal.SIGINT)
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            x, y = self.x[idx], self.y[idx]
            if self.augment:
                d = torch.Generator().manual_seed(10**6 * self.seed + 1000 * e + i)
                x = x + 0.2 * torch.randn(x.shape, generator=d)
            yield x.to(self.device), y.to(self.device)


TRAIN = blobs(16, seed=0)
VAL = blobs(8, seed=1)


def batches(train=TRAIN, val=VAL, batch_size=8, **kw):
    return (TensorBatches(*train, batch_size, **kw),
            TensorBatches(*val, 16, shuffle=False, augment=False))


class Tiny(nn.Module):
    """AlexNet-like in miniature: features, avgpool, classifier with dropout (so resume must restore the RNG)."""

    def __init__(self, classes=3):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.avgpool = nn.AdaptiveAvgPool2d(2)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(32, 16), nn.ReLU(),
                                        nn.Linear(16, classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


class FakeGoogLeNet(Tiny):
    """Returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1) in train mode, logits in eval mode."""

    def __init__(self, classes=3):
        super().__init__(classes)
        self.aux1 = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, classes))
        self.aux2 = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, classes))

    def forward(self, x):
        f = self.features(x)
        logits = self.classifier(self.avgpool(f))
        if self.training:
            return GoogLeNetOutputs(logits, self.aux2(f), self.aux1(f))
        return logits


def recipe(paper="alexnet", **kw):
    base = dict(lr=0.05, batch_size=8, epochs=2, weight_decay=5e-4)
    base.update(kw)
    return paper_recipe(paper).with_(**base)


def assert_same_weights(a: nn.Module, b: nn.Module):
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        assert torch.equal(va, vb), f"{ka} differs by {(va - vb).abs().max().item()}"


def strip_timing(h):
    return h.drop(columns=["images_per_s", "seconds"])
