"""MobileFaceNet and IResNet-50 in PyTorch, with arcface_torch's architectures (not its code).

Layer for layer what insightface's recognition/arcface_torch/backbones/mobilefacenet.py
(`get_mbf`: scale 2, blocks 1, 4, 6, 2) and iresnet.py (`iresnet50`) build, and what the Keras
backbones arcface_module/backbones/mobilefacenet.py and iresnet.py build: the same parameter
counts (`trainer_peers` shows both). PyTorch's own layout (channels first), as arcface_torch.

Example:

    >>> sum(p.numel() for p in mobilefacenet().parameters())
    2059520
"""

import torch
from torch import nn

EMBEDDING_SIZE = 512
# iresnet50's basic blocks per stage (64, 128, 256 and 512 channels).
IRESNET50_BLOCKS = (3, 4, 14, 3)


def _conv_bn(inputs, outputs, kernel_size=1, stride=1, groups=1, activation=True, padding=None):
    """Conv-BN-PReLU (arcface_torch's ConvBlock), or Conv-BN (its LinearBlock) without activation."""
    padding = kernel_size // 2 if padding is None else padding
    layers = [nn.Conv2d(inputs, outputs, kernel_size, stride, padding, groups=groups, bias=False),
              nn.BatchNorm2d(outputs)]
    return nn.Sequential(*layers, nn.PReLU(outputs)) if activation else nn.Sequential(*layers)


class _DepthWise(nn.Module):
    """1x1 expansion, 3x3 depthwise (strided or not), 1x1 linear projection; a residual sum if asked."""

    def __init__(self, inputs, outputs, expansion, stride=1, residual=False):
        super().__init__()
        self.residual = residual
        self.layers = nn.Sequential(_conv_bn(inputs, expansion), _conv_bn(expansion, expansion, 3, stride, expansion),
                                    _conv_bn(expansion, outputs, activation=False))

    def forward(self, x):
        return x + self.layers(x) if self.residual else self.layers(x)


def mobilefacenet(num_features=EMBEDDING_SIZE):
    """arcface_torch's "mbf": 112x112 images -> `num_features`, initialised as it does."""

    def residual(channels, blocks, expansion):
        return [_DepthWise(channels, channels, expansion, residual=True) for _ in range(blocks)]

    model = nn.Sequential(
        _conv_bn(3, 128, 3, 2),
        _conv_bn(128, 128, 3, groups=64),  # the grouped stem: 64 groups of 2 channels
        _DepthWise(128, 128, 128, 2), *residual(128, 4, 128),
        _DepthWise(128, 256, 256, 2), *residual(256, 6, 256),
        _DepthWise(256, 256, 512, 2), *residual(256, 2, 256),
        _conv_bn(256, 512),
        _conv_bn(512, 512, 7, groups=512, activation=False, padding=0),  # global depthwise (GDC)
        nn.Flatten(), nn.Linear(512, num_features, bias=False), nn.BatchNorm1d(num_features),
    )
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
    return model


class _BasicBlock(nn.Module):
    """IBasicBlock: BN-conv-BN-PReLU-conv(strided)-BN, plus the input (projected if its shape changes)."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.residual = nn.Sequential(
            nn.BatchNorm2d(inputs), nn.Conv2d(inputs, outputs, 3, 1, 1, bias=False), nn.BatchNorm2d(outputs),
            nn.PReLU(outputs), nn.Conv2d(outputs, outputs, 3, stride, 1, bias=False), nn.BatchNorm2d(outputs))
        self.shortcut = (nn.Identity() if stride == 1 and inputs == outputs else
                         nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)))

    def forward(self, x):
        return self.residual(x) + self.shortcut(x)


def iresnet50(num_features=EMBEDDING_SIZE):
    """arcface_torch's "r50": 112x112 images -> `num_features`, initialised as it does."""
    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64)]
    inputs = 64
    for outputs, blocks in zip((64, 128, 256, 512), IRESNET50_BLOCKS):
        for block in range(blocks):
            layers.append(_BasicBlock(inputs, outputs, 2 if block == 0 else 1))
            inputs = outputs
    features = nn.BatchNorm1d(num_features)
    features.weight.requires_grad = False  # arcface_torch freezes it at 1
    model = nn.Sequential(*layers, nn.BatchNorm2d(512), nn.Flatten(), nn.Linear(512 * 7 * 7, num_features),
                          features)
    for layer in model.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, 0, 0.1)
    return model


BACKBONES = {"mbf": mobilefacenet, "r50": iresnet50}
