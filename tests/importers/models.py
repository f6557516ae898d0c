"""Small models a course writes, as PyTorch modules, with example inputs: the import tests'
set. Each entry: (module factory, example inputs, loss, target)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class LayerNormMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 12)
        self.norm = nn.LayerNorm(12)
        self.fc2 = nn.Linear(12, 3)

    def forward(self, x):
        return self.fc2(F.gelu(self.norm(self.fc1(x))))


class AttentionHead(nn.Module):
    """One self-attention head over a sequence, a residual and a layer norm, then a
    regression head: the loss is the module's own."""

    def __init__(self, d=8):
        super().__init__()
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, 1)
        self.scale = 1 / math.sqrt(d)

    def forward(self, x, y):
        scores = self.q(x) @ self.k(x).T * self.scale
        h = self.norm(x + F.softmax(scores, dim=-1) @ self.v(x))
        return F.mse_loss(self.out(h), y)


class TwoStepRNN(nn.Module):
    """An Elman RNN unrolled over two steps, classifying from the last state."""

    def __init__(self):
        super().__init__()
        self.ih = nn.Linear(5, 7)
        self.hh = nn.Linear(7, 7)
        self.head = nn.Linear(7, 3)

    def forward(self, x1, x2):
        h = torch.tanh(self.ih(x1))
        h = torch.tanh(self.ih(x2) + self.hh(h))
        return self.head(h)


class Deep(nn.Module):
    """Sequential blocks: the groups nest as the modules do."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Sigmoid())
        self.classifier = nn.Linear(8, 2)

    def forward(self, x):
        return self.classifier(self.features(x))


class LeNet(nn.Module):
    """LeNet-5's shape on 1 × 28 × 28 with fewer channels (the tests stay fast): two 5 × 5
    convolutions, each with relu and 2 × 2 max pooling, then two linear layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 5)
        self.conv2 = nn.Conv2d(3, 4, 5)
        self.fc1 = nn.Linear(4 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class PoolVariants(nn.Module):
    """Strides, padding, dilation and average pooling: every attribute the importers write."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(3, 2, (3, 2), padding=(1, 0), dilation=(1, 2), bias=False)
        self.fc = nn.Linear(2 * 3 * 1, 3)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 3, stride=2, padding=1)
        x = F.max_pool2d(self.conv2(x), 2, stride=1)
        return self.fc(x.flatten(1))


class EmbeddingClassifier(nn.Module):
    """Token ids (batch, seq) → embedding → mean over the sequence → linear → class."""

    def __init__(self, vocab=10, d=6, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.fc = nn.Linear(d, classes)

    def forward(self, ids):
        return self.fc(self.embed(ids).mean(dim=1))


class BatchNormCNN(nn.Module):
    """Two conv-batchnorm-relu-pool stages on 1 × 12 × 12 (batch statistics: training mode),
    then a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 3 * 3, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


class BasicBlock(nn.Module):
    """ResNet's basic block: conv-bn-relu-conv-bn, the identity added back, relu."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + x)


class ResNetBlock(nn.Module):
    """A stem convolution, one basic block, global average pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.block = BasicBlock(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        h = self.block(torch.relu(self.stem(x)))
        return self.fc(h.mean(dim=(2, 3)))


class DropoutMLP(nn.Module):
    """Dropout between two layers: the run draws its mask by its seed; the torch twin of the
    tests multiplies by that same mask (test_torch_import._as_torch)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def labels(n, c):
    return torch.arange(n) % c


MODELS = {
    "mlp": (MLP, (torch.randn(8, 6),), "cross_entropy", labels(8, 4)),
    "layer-norm-mlp": (LayerNormMLP, (torch.randn(8, 6),), "mse", torch.randn(8, 3)),
    "attention-head": (AttentionHead, (torch.randn(5, 8), torch.randn(5, 1)), None, None),
    "two-step-rnn": (TwoStepRNN, (torch.randn(4, 5), torch.randn(4, 5)), "cross_entropy",
                     labels(4, 3)),
    "sequential": (Deep, (torch.randn(6, 4),), "cross_entropy", labels(6, 2)),
    "lenet": (LeNet, (torch.randn(4, 1, 28, 28),), "cross_entropy", labels(4, 10)),
    "pool-variants": (PoolVariants, (torch.randn(3, 2, 13, 13),), "cross_entropy", labels(3, 3)),
    "batch-norm-cnn": (BatchNormCNN, (torch.randn(4, 1, 12, 12),), "cross_entropy",
                       labels(4, 10)),
    "resnet-block": (ResNetBlock, (torch.randn(4, 1, 6, 6),), "cross_entropy", labels(4, 3)),
    # ids (4, 5) over 10 rows: the run draws its own, with repeats, which accumulate in the table
    "embedding-classifier": (EmbeddingClassifier, (torch.arange(20).reshape(4, 5) % 7,),
                             "cross_entropy", labels(4, 3)),
    "dropout-mlp": (DropoutMLP, (torch.randn(8, 6),), "cross_entropy", labels(8, 3)),
}
