"""MobileFaceNet and the IResNets in PyTorch, with arcface_torch's architectures and names (not its code).

Layer for layer what insightface's recognition/arcface_torch/backbones/mobilefacenet.py
(`get_mbf`: scale 2, blocks 1, 4, 6, 2) and iresnet.py (`iresnet18` .. `iresnet100`) build, with
their module names, so that `state_dict()` names every tensor as arcface_torch's models do
(`layer1.0.conv1.weight`, `layers.3.layers.0.layers.0.layers.0.weight`, ...) and their `.pth` and
ONNX files are what the model zoo publishes. The Keras backbones arcface_module/backbones/
mobilefacenet.py and iresnet.py build the same: the same parameter counts (`trainer_peers` shows
both), and `pretrained` loads these models' files into them. PyTorch's own layout (channels first).

Example:

    >>> sum(p.numel() for p in mobilefacenet().parameters())
    2059520
    >>> next(name for name, _ in iresnet("r50").named_parameters())
    'conv1.weight'
"""

import torch
from torch import nn

# The library's names, which load no Keras or TensorFlow: IResNet depth -> blocks per stage.
from arcface_module.catalog import IRESNET_BLOCKS

EMBEDDING_SIZE = 512


class _Layers(nn.Module):
    """A module whose layers are `self.layers`, an nn.Sequential (arcface_torch's ConvBlock, DepthWise...)."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def _conv_block(inputs, outputs, kernel_size=1, stride=1, groups=1, activation=True, padding=None):
    """Conv-BN-PReLU (arcface_torch's ConvBlock), or Conv-BN (its LinearBlock) without activation."""
    padding = kernel_size // 2 if padding is None else padding
    layers = [nn.Conv2d(inputs, outputs, kernel_size, stride, padding, groups=groups, bias=False),
              nn.BatchNorm2d(outputs)]
    return _Layers(*layers, nn.PReLU(outputs)) if activation else _Layers(*layers)


class _DepthWise(_Layers):
    """1x1 expansion, 3x3 depthwise (strided or not), 1x1 linear projection; a residual sum if asked."""

    def __init__(self, inputs, outputs, expansion, stride=1, residual=False):
        super().__init__(_conv_block(inputs, expansion), _conv_block(expansion, expansion, 3, stride, expansion),
                         _conv_block(expansion, outputs, activation=False))
        self.residual = residual

    def forward(self, x):
        return x + self.layers(x) if self.residual else self.layers(x)


class MobileFaceNet(nn.Module):
    """arcface_torch's "mbf": `layers` (a ModuleList of blocks), `conv_sep`, and `features` (the GDC head)."""

    def __init__(self, num_features=EMBEDDING_SIZE):
        super().__init__()

        def residual(channels, blocks, expansion):
            return _Layers(*(_DepthWise(channels, channels, expansion, residual=True) for _ in range(blocks)))

        self.layers = nn.ModuleList([
            _conv_block(3, 128, 3, 2),
            _conv_block(128, 128, 3, groups=64),  # the grouped stem: 64 groups of 2 channels
            _DepthWise(128, 128, 128, 2), residual(128, 4, 128),
            _DepthWise(128, 256, 256, 2), residual(256, 6, 256),
            _DepthWise(256, 256, 512, 2), residual(256, 2, 256),
        ])
        self.conv_sep = _conv_block(256, 512)
        # The global depthwise convolution (GDC), flatten, linear and BatchNorm1d.
        self.features = _Layers(_conv_block(512, 512, 7, groups=512, activation=False, padding=0), nn.Flatten(),
                                nn.Linear(512, num_features, bias=False), nn.BatchNorm1d(num_features))
        for layer in self.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        for block in self.layers:
            x = block(x)
        return self.features(self.conv_sep(x))


class _BasicBlock(nn.Module):
    """IBasicBlock: BN-conv-BN-PReLU-conv(strided)-BN, plus the input (`downsample`d if its shape changes)."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs)
        self.conv1 = nn.Conv2d(inputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.prelu = nn.PReLU(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(outputs)
        self.downsample = (None if stride == 1 and inputs == outputs else
                           nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)))

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (x if self.downsample is None else self.downsample(x))


class IResNet(nn.Module):
    """arcface_torch's IResNet: conv1, bn1, prelu, layer1..layer4, bn2, (dropout), fc, features."""

    def __init__(self, blocks, num_features=EMBEDDING_SIZE):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.prelu = nn.PReLU(64)
        inputs = 64
        for stage, (outputs, count) in enumerate(zip((64, 128, 256, 512), blocks), 1):
            layers = []
            for block in range(count):
                layers.append(_BasicBlock(inputs, outputs, 2 if block == 0 else 1))
                inputs = outputs
            setattr(self, f"layer{stage}", nn.Sequential(*layers))
        self.bn2 = nn.BatchNorm2d(512)
        self.fc = nn.Linear(512 * 7 * 7, num_features)
        self.features = nn.BatchNorm1d(num_features)
        self.features.weight.requires_grad = False  # arcface_torch freezes it at 1
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, 0, 0.1)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        # Flattened channels first (NCHW), as PyTorch does: the Keras import reorders fc's rows.
        return self.features(self.fc(torch.flatten(self.bn2(x), 1)))


def mobilefacenet(num_features=EMBEDDING_SIZE):
    """arcface_torch's "mbf": 112x112 images -> `num_features`, initialised as it does."""
    return MobileFaceNet(num_features)


def iresnet(depth, num_features=EMBEDDING_SIZE):
    """arcface_torch's IResNet `depth` ("r18", "r34", "r50", "r100"), initialised as it does."""
    return IResNet(IRESNET_BLOCKS[depth], num_features)


def iresnet50(num_features=EMBEDDING_SIZE):
    """arcface_torch's "r50"."""
    return iresnet("r50", num_features)


def get_model(name, num_features=EMBEDDING_SIZE):
    """A backbone by arcface_torch's name: "mbf" or an IResNet depth."""
    return mobilefacenet(num_features) if name == "mbf" else iresnet(name, num_features)


BACKBONES = {"mbf": mobilefacenet, "r50": iresnet50}
