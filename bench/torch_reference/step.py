"""One PyTorch train step of a backbone with arcface_torch's ArcFace head, timed.

The step arcface_torch's train_v2.py takes on one process: the backbone forward, a normalised
linear layer over 1000 classes with the ArcFace margin (cos(theta + 0.5), scale 64, as its
CombinedMarginLoss with margins (1.0, 0.5, 0.0)) and cross-entropy, backward, an SGD step (its
defaults: momentum 0.9, weight decay 5e-4, learning rate 0.1). Random images and labels: only the
step is timed, no input pipeline (the Trainer's figures include theirs).

Example:

    >>> from bench.torch_reference.backbones import mobilefacenet
    >>> train = TrainStep(mobilefacenet(), batch_size=8)
    >>> seconds = train()
"""

import time

import torch
import torch.nn.functional as F
from torch import nn

from arcface_module.catalog import FACE_SIZE, MARGIN_DEFAULTS, SCALE
from bench.torch_reference.backbones import EMBEDDING_SIZE

CLASSES = 1000
IMAGE_SIZE = FACE_SIZE
MARGIN = MARGIN_DEFAULTS["arcface"]["margin"]


class ArcFaceHead(nn.Module):
    """Cosines to `classes` L2-normalised centres; the label's gets the angular margin; cross-entropy."""

    def __init__(self, classes=CLASSES, embedding_size=EMBEDDING_SIZE):
        super().__init__()
        self.weight = nn.Parameter(torch.normal(0, 0.01, (classes, embedding_size)))

    def forward(self, embeddings, labels):
        cosine = F.linear(F.normalize(embeddings), F.normalize(self.weight)).clamp(-1 + 1e-7, 1 - 1e-7)
        target = cosine.gather(1, labels[:, None])
        logits = cosine.scatter(1, labels[:, None], torch.cos(torch.acos(target) + MARGIN))
        return F.cross_entropy(logits * SCALE, labels)


class TrainStep:
    """Calling it trains `backbone` and its head one step on a fixed random batch; returns the seconds."""

    def __init__(self, backbone, batch_size, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.images = torch.rand((batch_size, 3, IMAGE_SIZE, IMAGE_SIZE), generator=generator) * 2 - 1
        self.labels = torch.randint(0, CLASSES, (batch_size,), generator=generator)
        self.backbone, self.head = backbone.train(), ArcFaceHead()
        parameters = [p for p in [*backbone.parameters(), *self.head.parameters()] if p.requires_grad]
        self.optimizer = torch.optim.SGD(parameters, lr=0.1, momentum=0.9, weight_decay=5e-4)

    def __call__(self):
        start = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.head(self.backbone(self.images), self.labels)
        loss.backward()
        self.optimizer.step()
        loss.item()  # the step is done when its loss is on the host
        return time.perf_counter() - start
