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


class EmbeddingClassifier(nn.Module):
    """Token ids (batch, seq) → embedding → mean over the sequence → linear → class."""

    def __init__(self, vocab=10, d=6, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.fc = nn.Linear(d, classes)

    def forward(self, ids):
        return self.fc(self.embed(ids).mean(dim=1))


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
    # ids (4, 5) over 10 rows: the run draws its own, with repeats, which accumulate in the table
    "dropout-mlp": (DropoutMLP, (torch.randn(8, 6),), "cross_entropy", labels(8, 3)),
    "embedding-classifier": (EmbeddingClassifier, (torch.arange(20).reshape(4, 5) % 7,),
                             "cross_entropy", labels(4, 3)),
}
