"""The named example graphs: each a title, a paragraph, its source, and bounded parameters.

A preset's parameters are named numbers of its source (sizes like N, or λ); its source text is
ordinary expression language, so what a preset shows a user can type too. A preset whose
structure depends on a parameter (deep-mlp's depth) writes its source from the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.engine.core.errors import InvalidRequestError, NotFoundError


@dataclass(frozen=True)
class PresetParam:
    name: str
    #: "int" (a size), "float", or "choice" (the index of one of `options`, from 0)
    kind: str
    default: float
    min: float
    max: float
    description: str
    #: a choice's options, by index (empty for a number)
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    description: str
    source: str
    params: list[PresetParam] = field(default_factory=list)
    lr: float = 0.01
    iterations: int = 100
    seed: int = 0
    #: whether a backward pass also computes the gradients of the data inputs (∂loss/∂x):
    #: only where the preset's source text does (colah's ∂e/∂a, micrograd's ∂o/∂x1)
    input_grads: bool = False
    #: writes the source from the parameters when they change its structure (None: `source`)
    generate: Callable[[dict], str] | None = None

    def source_for(self, numbers: dict) -> str:
        """The source of this preset with these parameters."""
        return self.source if self.generate is None else self.generate(numbers)

    @property
    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


#: deep-mlp's activations, by the index its `activation` parameter takes
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def _deep_mlp(numbers: dict, activation: str | None = None) -> str:
    """`depth` layers of `width` units (64 unless given) on a batch of N, a linear output, a
    squared error; each layer a `with group("layer k"):` block. ReLU layers start at He's
    scale √(2/fan-in), tanh and sigmoid layers at √(1/fan-in). The activation is the given
    one, else the `activation` parameter's choice (ReLU without one)."""
    if activation is None:
        activation = ACTIVATIONS[int(numbers.get("activation", 0))]
    depth, width = int(numbers["depth"]), int(numbers.get("width", 64))
    fan_in = 16 if activation == "relu" else width
    gain = 2 if activation == "relu" else 1
    lines = [f"x = input(N, {fan_in})", "y = input(N, 1)"]
    previous = "x"
    for k in range(1, depth + 1):
        lines += [f'with group("layer {k}"):',
                  f"    w{k} = param({fan_in}, {width}, scale={(gain / fan_in) ** 0.5:.4g})",
                  f"    h{k} = {activation}({previous} @ w{k})"]
        previous, fan_in = f"h{k}", width
    out_scale = 0.125 if activation == "relu" else round((1 / width) ** 0.5, 4)
    lines += ['with group("output"):', f"    w_out = param({width}, 1, scale={out_scale:g})",
              f"    loss = mean(({previous} @ w_out - y) ** 2)"]
    return "\n".join(lines) + "\n"


def _deep_tanh(numbers: dict) -> str:
    return _deep_mlp(numbers, "tanh")


PRESETS: dict[str, Preset] = {p.id: p for p in [
    Preset(
        "pytorch-numpy-two-layer",
        "PyTorch tutorial: a two-layer network in numpy",
        "The first example of 'Learning PyTorch with Examples': a ReLU network fitted to random "
        "data with a sum-of-squares loss, forward pass and hand-written backward pass in numpy. "
        "Gradwalk reproduces its losses exactly (np.random.seed(seed) draws x, y, w1, w2 in "
        "that order) and shows its gradients under the script's own names: grad_y_pred, "
        "grad_w2, grad_h_relu, grad_h, grad_w1 — each the gradient of the loss with respect to "
        "that variable, computed in reverse order because the chain rule starts from the loss. "
        "Why reverse? Switch to forward mode, or open the \"Why reverse?\" panel: one reverse "
        "sweep from the loss gives all 101,000 entries of ∂loss/∂w1 and ∂loss/∂w2; forward "
        "mode needs one sweep per entry — 101,000 of them.",
        "x = input(N, D_in)\n"
        "y = input(N, D_out)\n"
        "w1 = param(D_in, H)\n"
        "w2 = param(H, D_out)\n"
        "h = x @ w1\n"
        "h_relu = relu(h)\n"
        "y_pred = h_relu @ w2\n"
        "loss = sum((y_pred - y) ** 2)\n",
        [
            PresetParam("N", "int", 64, 1, 512, "batch size"),
            PresetParam("D_in", "int", 1000, 1, 2000, "input dimension"),
            PresetParam("H", "int", 100, 1, 1000, "hidden dimension"),
            PresetParam("D_out", "int", 10, 1, 100, "output dimension"),
        ],
        lr=1e-6, iterations=500,
    ),
    Preset(
        "d2l-mlp-l2",
        "D2L 4.7: an MLP with weight decay",
        "Dive into Deep Learning, section 4.7: z = x W1, h = relu(z), o = h W2, a "
        "cross-entropy loss L, and the L2 penalty s = λ/2 (‖W1‖² + ‖W2‖²); the objective is "
        "J = L + s. W1 and W2 each receive their gradient along two paths — through L and "
        "through s — and the two contributions are summed. Intermediates such as z and h are "
        "kept from the forward pass for the backward pass: watch the memory ledger.",
        "x = input(N, d)\n"
        "y = onehot(N, q)\n"
        "W1 = param(d, m, scale=0.5)\n"
        "W2 = param(m, q, scale=0.5)\n"
        "z = x @ W1\n"
        "h = relu(z)\n"
        "o = h @ W2\n"
        "L = -mean(sum(y * log_softmax(o, axis=1), axis=1))\n"
        "s = lam / 2 * (sum(W1 ** 2) + sum(W2 ** 2))\n"
        "J = L + s\n",
        [
            PresetParam("N", "int", 4, 1, 256, "batch size"),
            PresetParam("d", "int", 5, 1, 256, "input features"),
            PresetParam("m", "int", 4, 1, 256, "hidden units"),
            PresetParam("q", "int", 3, 2, 64, "classes"),
            PresetParam("lam", "float", 0.1, 0.0, 10.0, "weight decay λ"),
        ],
        lr=0.1, iterations=100,
    ),
    Preset(
        "colah-sum-of-paths",
        "Colah: derivatives on computational graphs",
        "From Chris Olah's 'Calculus on Computational Graphs': e = (a + b) · (b + 1) with "
        "a = 2, b = 1, so c = 3, d = 2, e = 6. ∂e/∂a = 2, and ∂e/∂b = 5 because b reaches e "
        "along two paths — through c (contributing 2) and through d (contributing 3) — and the "
        "contributions are summed. Reverse mode gets both derivatives in one backward pass; "
        "forward mode (the Forward switch) needs one pass per input, a and b — compare them in "
        "the \"Why reverse?\" panel.",
        "a = input(value=2.0)\n"
        "b = input(value=1.0)\n"
        "c = a + b\n"
        "d = b + 1\n"
        "e = c * d\n",
        lr=0.1, iterations=1, input_grads=True,
    ),
    Preset(
        "micrograd-neuron",
        "micrograd: one tanh neuron",
        "Andrej Karpathy's micrograd example: o = tanh(x1·w1 + x2·w2 + b) with x1 = 2, x2 = 0, "
        "w1 = -3, w2 = 1, b = 6.8813735870195432, so o ≈ 0.7071. Backward: ∂o/∂x1 = -1.5, "
        "∂o/∂w1 = 1, ∂o/∂x2 = 0.5, and ∂o/∂w2 = 0 because x2 = 0 — a weight whose input is "
        "zero learns nothing.",
        "x1 = input(value=2.0)\n"
        "x2 = input(value=0.0)\n"
        "w1 = param(value=-3.0)\n"
        "w2 = param(value=1.0)\n"
        "b = param(value=6.8813735870195432)\n"
        "o = tanh(x1*w1 + x2*w2 + b)\n",
        lr=0.1, iterations=20, input_grads=True,
    ),
    Preset(
        "logistic-regression",
        "Logistic regression",
        "A linear model p = σ(x w + b) on random features with 0/1 labels, trained on the "
        "binary cross-entropy −mean(y log p + (1 − y) log(1 − p)). The gradient of the loss "
        "with respect to the logits comes out as (p − y)/N, and b, broadcast over the batch, "
        "receives the sum over the batch.",
        "x = input(N, D)\n"
        "y = bernoulli(N, 1)\n"
        "w = param(D, 1, scale=0.1)\n"
        "b = param(value=0.0)\n"
        "p = sigmoid(x @ w + b)\n"
        "loss = -mean(y * log(p) + (1 - y) * log(1 - p))\n",
        [
            PresetParam("N", "int", 32, 1, 1024, "examples"),
            PresetParam("D", "int", 4, 1, 256, "features"),
        ],
        lr=0.5, iterations=100,
    ),
    Preset(
        "softmax-classifier",
        "Softmax classifier",
        "A linear classifier with a log-softmax cross-entropy: logits = x W + b, loss = "
        "−mean over the batch of Σ y · log_softmax(logits). The gradient of the loss with "
        "respect to the logits is (softmax(logits) − y)/N.",
        "x = input(N, D)\n"
        "y = onehot(N, C)\n"
        "W = param(D, C, scale=0.1)\n"
        "b = param(1, C, scale=0.1)\n"
        "logits = x @ W + b\n"
        "loss = -mean(sum(y * log_softmax(logits, axis=1), axis=1))\n",
        [
            PresetParam("N", "int", 16, 1, 1024, "examples"),
            PresetParam("D", "int", 4, 1, 256, "features"),
            PresetParam("C", "int", 3, 2, 64, "classes"),
        ],
        lr=0.5, iterations=100,
    ),
    Preset(
        "custom-backward",
        "D2L 4.7: a backward written by hand",
        "You write a backward function only for a function of your own. Here are two, "
        "written by hand although Gradwalk has them built in (softplus, log_sigmoid). "
        "my_softplus(x) = log(1 + eˣ) comes with its right backward, g·σ(x); "
        "my_log_sigmoid(x) = −my_softplus(−x) comes with a deliberately wrong one, g·σ(x) "
        "instead of g·σ(−x). Gradwalk checks every hand-written backward against central "
        "differences when the run is built: my_softplus passes, my_log_sigmoid fails — and "
        "the run still trains with it, because nothing stops a wrong backward: every "
        "gradient computed through it is wrong, and so is every update (watch the loss "
        "rise). Delete my_log_sigmoid_backward and Gradwalk differentiates through the "
        "definition instead, correctly.",
        "def my_softplus(x):\n"
        "    return log(1 + exp(x))\n"
        "\n"
        "def my_softplus_backward(g, out, x):\n"
        "    return g * sigmoid(x)\n"
        "\n"
        "def my_log_sigmoid(x):\n"
        "    return -my_softplus(-x)\n"
        "\n"
        "def my_log_sigmoid_backward(g, out, x):\n"
        "    return g * sigmoid(x)\n"
        "\n"
        "x = input(N, D)\n"
        "y = bernoulli(N, 1)\n"
        "w = param(D, H, scale=0.5)\n"
        "v = param(H, 1, scale=0.5)\n"
        "h = my_softplus(x @ w)\n"
        "z = h @ v\n"
        "loss = -mean(y * my_log_sigmoid(z) + (1 - y) * my_log_sigmoid(-z))\n",
        [
            PresetParam("N", "int", 16, 1, 512, "examples"),
            PresetParam("D", "int", 4, 1, 64, "features"),
            PresetParam("H", "int", 8, 1, 64, "hidden units"),
        ],
        lr=0.05, iterations=60,
    ),
    Preset(
        "max-pool-hinge",
        "Max-pooling and a hinge loss",
        "A linear layer, then max-pooling over pairs of features (reshape to pairs, max over "
        "the last axis) and a hinge loss mean(maximum(0, 1 − y·score)) with labels ±1. Both "
        "are routers, not scalers: max sends the gradient only to the winner of each pair "
        "(the loser gets 0), and maximum(0, ·) passes it only for the examples inside the "
        "margin — the others are already right and teach nothing.",
        "x = input(N, D)\n"
        "b = bernoulli(N, 1)\n"
        "W = param(D, 8, scale=0.5)\n"
        "v = param(4, 1, scale=0.5)\n"
        "y = 2 * b - 1\n"
        "h = x @ W\n"
        "pooled = max(reshape(h, (N, 4, 2)), axis=2)\n"
        "score = pooled @ v\n"
        "loss = mean(maximum(0, 1 - y * score))\n",
        [
            PresetParam("N", "int", 16, 1, 512, "examples"),
            PresetParam("D", "int", 6, 1, 64, "features"),
        ],
        lr=0.1, iterations=60,
    ),
    Preset(
        "batch-standardise",
        "Batch statistics: standardising a layer",
        "Batch normalisation's core: each feature of a layer is standardised with its batch "
        "mean and variance, (z − mean) / sqrt(var + 1e-5), then scaled and shifted by γ and "
        "β, before a cross-entropy over class labels. The mean and the variance depend on "
        "every example, so every example's gradient flows through them: a reduction "
        "broadcasts its gradient back to the whole batch.",
        "x = input(N, D)\n"
        "labels_y = labels(N, C)\n"
        "W = param(D, H, scale=0.5)\n"
        "gamma = ones(1, H)\n"
        "beta = zeros(1, H)\n"
        "V = param(H, C, scale=0.5)\n"
        "z = x @ W\n"
        "zn = (z - mean(z, axis=0, keepdims=True)) / sqrt(var(z, axis=0, keepdims=True) + "
        "1e-5)\n"
        "h = relu(zn * gamma + beta)\n"
        "loss = cross_entropy(h @ V, labels_y)\n",
        [
            PresetParam("N", "int", 16, 2, 512, "examples"),
            PresetParam("D", "int", 4, 1, 64, "features"),
            PresetParam("H", "int", 6, 1, 64, "hidden units"),
            PresetParam("C", "int", 3, 2, 16, "classes"),
        ],
        lr=0.2, iterations=60,
    ),
    Preset(
        "embedding-lookup",
        "Embeddings by indexing",
        "An embedding table E (one row per word of a 6-word vocabulary) looked up by indexing: "
        "the sentence is words 3, 1, 3, 0, stacked into a 4 × 5 matrix, scored, and fitted to "
        "targets. An indexing op scatters its gradient back into the table: only the rows "
        "used receive one, and row 3, used twice, receives two contributions that add (a "
        "fan-out, += in the code).",
        "E = param(6, 5, scale=0.5)\n"
        "w = param(5, 1, scale=0.5)\n"
        "target = input(4, 1)\n"
        "sentence = stack([E[3], E[1], E[3], E[0]])\n"
        "score = tanh(sentence @ w)\n"
        "loss = mean((score - target) ** 2)\n",
        lr=0.2, iterations=60,
    ),
    Preset(
        "small-cnn",
        "A small convolutional network",
        "A batch of N one-channel 8 × 8 images: a 3 × 3 convolution with K filters "
        "(padding 1 keeps 8 × 8), relu, 2 × 2 max pooling (to 4 × 4), flatten (the batch axis "
        "kept) and a linear layer to C class scores under a cross-entropy. A convolution shares "
        "its weights: each filter is used at all 64 positions of every image, so its gradient "
        "adds the contributions of every window it read. Max pooling is a router: each 2 × 2 "
        "window sends its gradient to its largest element only (on a tie the first), the three "
        "others get 0; relu then blocks what arrives where the convolution was negative.",
        "x = input(N, 1, 8, 8)\n"
        "y = labels(N, C)\n"
        "W1 = param(K, 1, 3, 3, scale=0.3)\n"
        "b1 = param(K, scale=0.1)\n"
        "W2 = param(C, K * 16, scale=0.1)\n"
        "b2 = param(C, scale=0.1)\n"
        "h = relu(conv2d(x, W1, b1, padding=1))\n"
        "p = max_pool2d(h, 2)\n"
        "f = flatten(p, 1)\n"
        "logits = f @ W2.T + b2\n"
        "loss = cross_entropy(logits, y)\n",
        [
            PresetParam("N", "int", 4, 1, 64, "images"),
            PresetParam("K", "int", 2, 1, 16, "convolution filters (channels)"),
            PresetParam("C", "int", 3, 2, 10, "classes"),
        ],
        lr=0.05, iterations=40,
    ),
    Preset(
        "deep-mlp",
        "D2L 4.7: memory against batch size and depth",
        "A stack of `depth` layers of width 64 (ReLU, tanh or sigmoid: the `activation` "
        "parameter) on a batch of N examples. Backpropagation "
        "reuses the intermediates of the forward pass, so they are held until the backward "
        "pass has used them: each layer keeps its pre-activation (relu's derivative reads it) "
        "and its activation (the next matrix product's gradient reads it), N × 64 numbers "
        "each. The memory ledger peaks at the end of the forward pass, at about "
        "2 × depth × N × 64 × 8 bytes: double the batch or the depth and the peak doubles — "
        "D2L's reason training needs far more memory than prediction. The layer strip under "
        "the graph shows each layer's ‖∂loss/∂W‖ as the backward pass reaches it: choose "
        "sigmoid and 16 layers, and the gradient vanishes — sigmoid's slope is at most 1/4, "
        "so each layer down passes on a fraction of what it received.",
        _deep_mlp({"depth": 4}),
        [
            PresetParam("depth", "int", 4, 1, 32, "hidden layers"),
            PresetParam("N", "int", 32, 1, 512, "batch size"),
            PresetParam("activation", "choice", 0, 0, len(ACTIVATIONS) - 1,
                        "each hidden layer's activation", ACTIVATIONS),
        ],
        lr=0.01, iterations=50, generate=_deep_mlp,
    ),
    Preset(
        "deep-tanh",
        "D2L 4.7: symbolic expressions swell",
        "deep-mlp with tanh: a stack of `depth` tanh layers of `width` units on a batch of N. "
        "Symbolic differentiation writes the loss out as one formula of the weights and "
        "differentiates the formula: every layer's output is written again wherever it is "
        "used, and tanh's derivative 1 − tanh² repeats its argument, so the derivative's "
        "expression grows much faster than the graph — open \"Symbolic\" and vary the "
        "depth. Reverse mode computes each intermediate once and reuses it: its operations "
        "grow with the depth, no faster.",
        _deep_tanh({"depth": 3, "width": 2}),
        [
            PresetParam("depth", "int", 3, 1, 32, "hidden tanh layers"),
            PresetParam("width", "int", 2, 1, 64, "units per layer"),
            PresetParam("N", "int", 1, 1, 512, "batch size"),
        ],
        lr=0.1, iterations=50, generate=_deep_tanh,
    ),
]}


def get_preset(preset_id: str) -> Preset:
    try:
        return PRESETS[preset_id]
    except (KeyError, TypeError):
        raise NotFoundError("preset", preset_id, f"presets are {', '.join(PRESETS)}") from None


def check_sweep(preset_id: str, vary: str, values: list, most: int) -> None:
    """`vary` is one of the preset's integer parameters and 1 to `most` values are given for
    it (a sweep of the memory ledger or of symbolic swell), else InvalidRequestError."""
    preset = get_preset(preset_id)
    sizes = [p.name for p in preset.params if p.kind == "int"]
    if vary not in sizes:
        raise InvalidRequestError(f"{vary!r} is not an integer parameter of {preset_id!r}; "
                                  f"those are: {', '.join(sizes) or 'none'}", "vary")
    if not 1 <= len(values) <= most:
        raise InvalidRequestError(f"give 1 to {most} values", "values")
