"""Contrastive features (PyTorch): an encoder trained so that two random moves of an image
land close together and other images far away (SimCLR's NT-Xent loss).

An autoencoder keeps whatever it needs to redraw the image, outline and size included;
on Fashion-MNIST its codes (and UMAP of them) group shoes by their outline, not their
class. A contrastive encoder learns what stays the same when an image is shifted,
scaled, turned, dimmed or partly erased: on all 70,000 Fashion-MNIST images
``hog+clr+umap`` then k-means reached 0.673 mean Hungarian accuracy (0.670 to 0.675
over seeds 0, 1, 2; 0.671 on another CPU) where ``hog+umap`` reached 0.617, and 0.967 on
MNIST (benchmarks/bench_features.py; docs/benchmarks.md).

With ``hog``, each moved image is described by its histograms of oriented gradients
(:mod:`pixelmeans.features.hog`) before it enters the encoder, an MLP; with
``arch="conv"`` two small convolutions read the moved image itself. The moves are
always made on the images. PyTorch is imported only when the encoder is built.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from pixelmeans.errors import InputError
from pixelmeans.features._base import Embedding, as_image_dtype, validate_pixels
from pixelmeans.features._shape import image_shape_of
from pixelmeans.features._deps import require_torch
from pixelmeans.features._torch import (as_tensor, load_module, module_state, resolve_device, saved_weights,
                                        seed_of, to_float, torch_context, train, warp)


def _build_module(torch, d: int, hidden, n_components: int, projection_dim: int, arch: str = "mlp", image_shape=None):
    nn = torch.nn
    enc = []
    if arch == "conv":
        # two small convolutions see the sandal's straps and the sneaker's sole, which an
        # MLP on whole-image inputs groups by the shoe's height
        h, w = image_shape
        enc = [nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
               nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
        d = 32 * (h // 4) * (w // 4)
    widths = [d, *[int(x) for x in hidden]]
    for a, b in zip(widths[:-1], widths[1:]):
        enc += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    enc.append(nn.Linear(widths[-1], int(n_components)))
    D, P = int(n_components), int(projection_dim)
    # the loss is taken after a small projection head, the features before it: the head
    # absorbs what the loss throws away (SimCLR, section 4.2)
    head = nn.Sequential(nn.BatchNorm1d(D), nn.ReLU(), nn.Linear(D, D), nn.ReLU(), nn.Linear(D, P))
    return nn.ModuleDict({"encoder": nn.Sequential(*enc), "head": head})


def _move(torch, img, gen, *, scale, rotation, translate, flip, erase, dim, gamma=1.0):
    """Random views of a batch of images ``(b, 1, h, w)`` in [0, 1] (float32, same shape).

    Each image is scaled by a factor in ``scale``, turned by up to ``rotation`` degrees,
    shifted by up to ``translate`` of its half-side, mirrored left-right with
    probability 1/2 when ``flip``, gets a blank square of 4 to 9 pixels at a random
    place with probability ``erase``, has its pixels raised to a power between
    ``1 / gamma`` and ``gamma`` (log-uniform), and is dimmed by a factor in ``[dim, 1]``.
    """
    b, _, h, w = img.shape

    def uniform(lo, hi, *shape):
        return torch.rand(*shape, generator=gen) * (hi - lo) + lo

    s = uniform(scale[0], scale[1], b)
    a = uniform(-rotation, rotation, b) * (math.pi / 180)
    t = uniform(-translate, translate, b, 2)
    # the mirror's coin is tossed even when ``flip`` is off, so the draws after it (and
    # every result measured with either setting) stay the same
    heads = torch.rand(b, generator=gen) < 0.5
    mirror = torch.where(heads, -1.0, 1.0) if flip else None
    out = warp(torch, img, torch.cos(a) / s, torch.sin(a) / s, t, mirror)
    centre = torch.rand(b, 2, generator=gen) * torch.tensor([h, w])
    half = torch.randint(4, 10, (b,), generator=gen).float() / 2
    hit = torch.rand(b, generator=gen) < erase
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    blank = ((ys - centre[:, 0].view(b, 1, 1)).abs() < half.view(b, 1, 1)) & \
            ((xs - centre[:, 1].view(b, 1, 1)).abs() < half.view(b, 1, 1)) & hit.view(b, 1, 1)
    out = out.masked_fill(blank.unsqueeze(1), 0.0)
    if gamma != 1.0:
        # a power changes how bright the inside of a garment is against its outline,
        # which dimming alone cannot do once hog has normalised the gradients away; with
        # gamma 1 nothing is drawn, so the random stream (and every earlier result) is kept
        g = math.log(gamma)
        out = out.clamp_(0.0, 1.0).pow_(torch.exp(uniform(-g, g, b, 1, 1, 1)))
    return (out * uniform(dim, 1.0, b, 1, 1, 1)).clamp_(0.0, 1.0)


def _nt_xent(torch, z1, z2, temperature: float):
    """SimCLR's loss: each view must pick its partner out of the other 2b - 2 views."""
    F = torch.nn.functional
    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = (z @ z.T) / temperature
    sim = sim.masked_fill(torch.eye(2 * b, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return F.cross_entropy(sim, target)


def _one_cycle(torch, optimizer, lr: float, total_steps: int):
    """One cycle of the learning rate: up over the first tenth of the steps, then down.

    PyTorch's cycle divides by the length of each phase, so the warm-up takes two steps
    at least (more than a tenth of a short training) and fewer than three steps get a
    fixed rate."""
    if total_steps < 3:
        return None
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=total_steps,
                                               pct_start=max(0.1, 2.0 / total_steps))


class ContrastiveFeatures(Embedding):
    """Train an encoder contrastively (SimCLR) on moved copies of the images; its
    L2-normalised outputs are the features.

    Parameters
    ----------
    n_components : int, default 128
        Feature size D (the encoder's output; the loss is taken after a projection head).
    hidden : tuple of int, default (1024, 512)
        Widths of the encoder's hidden layers (Linear, BatchNorm, ReLU each).
    projection_dim : int, default 64
        Output size of the projection head the loss is computed on.
    epochs : int, default 15
        Passes over the data; each image is seen as two views per pass. 15 epochs of
        ``hog+clr`` on 70,000 images took 146 to 285 s on 2 CPU cores (2026-12-01/02);
        50 or 100 epochs did not lift Fashion-MNIST's accuracy (README).
    batch_size : int, default 512
        Images per step (2 x 512 views); larger batches give the loss more negatives.
    lr : float, default 2e-3
        Peak Adam learning rate of a one-cycle schedule (10 % warm-up, cosine decay).
    temperature : float, default 0.2
        Temperature of the NT-Xent loss.
    scale, rotation, translate, flip, erase, dim, gamma : see below
        The random moves that make the two views of an image: a zoom by a factor in
        ``scale`` (default (0.8, 1.15)), a turn of up to ``rotation`` degrees (12), a
        shift of up to ``translate`` of the half-side (0.2, about 3 pixels on 28 x 28),
        a left-right mirror with probability 1/2 when ``flip`` (False: a mirrored digit is
        another symbol, and Fashion-MNIST did better without it too), a blank square
        of 4 to 9 pixels with probability ``erase`` (0.3), a power between 1/``gamma``
        and ``gamma`` applied to the pixels (1: none), and a dimming by a factor in
        [``dim``, 1] (0.7). Dimming alone changes nothing that ``hog`` keeps (its blocks
        are normalised); a power changes how bright a garment's inside is against its
        outline.
    image_shape : (h, w) or None
        The images' shape when they come flattened and are not square.
    hog : bool, default False
        Feed the encoder the (moved) images' histograms of oriented gradients
        (:mod:`pixelmeans.features.hog`) instead of their pixels. Unlike the other
        features this cannot be a :class:`~pixelmeans.features.HOG` stage in front: the
        descriptors are taken inside the training loop, of each randomly moved view.
    arch : {"mlp", "conv"}, default "mlp"
        "mlp": the hidden layers read the pixels (or descriptors) as one vector. "conv":
        two 3 x 3 convolutions (16 and 32 channels, each followed by BatchNorm, ReLU and
        2 x 2 max-pooling) read the moved images first, then the hidden layers; it
        cannot be combined with ``hog``. On Fashion-MNIST ``clr+umap`` with "conv" sorts
        the shoes by class where ``hog`` sorts them by height (README), at about 45 s an
        epoch of 70,000 images on 2 CPU cores, four times the MLP's.
    device : "auto", "cpu", "cuda", ...
        "auto" trains on a GPU when PyTorch sees one, else on the CPU.
    random_state : int, default 0
        Seeds the weights, the shuffling and the moves: the same seed, data, thread
        count and device give identical features.
    n_threads : int or None
        CPU threads for PyTorch during fit/transform (restored afterwards).
    verbose : bool or None, default None
        Progress bar with the loss per epoch (stderr): True always, False never, None
        only when stderr is a terminal.

    Input ``X``: ``(n, d)`` or ``(n, h, w)`` pixels, uint8 (divided by 255) or float in
    [0, 1]. Output of ``transform``: float32 ``(n, D)``, rows of unit length. Fitted
    attributes: ``module_`` (encoder and head, on the CPU), ``loss_curve_``,
    ``n_features_in_`` (pixels per image), ``image_shape_``. Deskewed images come from
    a stage in front of it (``make_features("deskew+clr")``: a Pipeline of
    :class:`~pixelmeans.features.Deskew` and this).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).integers(0, 256, (64, 16, 16), dtype=np.uint8)
    >>> clr = ContrastiveFeatures(n_components=8, hidden=(32,), epochs=1, batch_size=32, device="cpu",
    ...                           verbose=False)
    >>> Z = clr.fit_transform(X)
    >>> Z.shape, bool(np.allclose(np.linalg.norm(Z, axis=1), 1, atol=1e-5))
    ((64, 8), True)
    """

    def __init__(self, n_components: int = 128, hidden=(1024, 512), projection_dim: int = 64,
                 epochs: int = 15, batch_size: int = 512, lr: float = 2e-3, temperature: float = 0.2,
                 scale=(0.8, 1.15), rotation: float = 12.0, translate: float = 0.2, flip: bool = False,
                 erase: float = 0.3, dim: float = 0.7, gamma: float = 1.0, image_shape=None, hog: bool = False,
                 arch: str = "mlp", device: str = "auto", random_state: int = 0, n_threads=None,
                 verbose=None):
        self.n_components = n_components
        self.hidden = hidden
        self.projection_dim = projection_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.temperature = temperature
        self.scale = scale
        self.rotation = rotation
        self.translate = translate
        self.flip = flip
        self.erase = erase
        self.dim = dim
        self.gamma = gamma
        self.image_shape = image_shape
        self.hog = hog
        self.arch = arch
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    def _check_params(self, d: int, input_shape):
        if int(self.n_components) < 1 or int(self.projection_dim) < 1:
            raise InputError("clr: n_components and projection_dim must be ≥ 1")
        if int(self.epochs) < 0 or int(self.batch_size) < 2:
            raise InputError("clr: epochs must be ≥ 0 and batch_size ≥ 2")
        if not float(self.temperature) > 0:
            raise InputError(f"clr: temperature must be > 0, got {self.temperature}")
        lo, hi = (float(v) for v in self.scale)
        if not 0 < lo <= hi:
            raise InputError(f"clr: scale must be (low, high) with 0 < low ≤ high, got {self.scale}")
        if min(float(self.rotation), float(self.translate), float(self.erase)) < 0 or not 0 <= float(self.dim) <= 1:
            raise InputError("clr: rotation, translate and erase must be ≥ 0 and dim in [0, 1]")
        if not float(self.gamma) >= 1:
            raise InputError(f"clr: gamma must be ≥ 1 (powers from 1/gamma to gamma), got {self.gamma}")
        if self.arch not in ("mlp", "conv"):
            raise InputError(f"clr: arch must be 'mlp' or 'conv', got {self.arch!r}")
        if self.arch == "conv" and self.hog:
            raise InputError("clr: arch='conv' reads the images themselves: drop hog (hog descriptors are not images)")
        h, w = image_shape_of(d, self.image_shape, input_shape, who="clr")
        if self.arch == "conv" and min(h, w) < 4:
            raise InputError(f"clr: arch='conv' needs images of at least 4 x 4 pixels, got {h} x {w}")
        return h, w

    def _describe(self, torch, images):
        """Encoder input of float images ``(b, 1, h, w)``: pixels or their descriptors."""
        if self.arch == "conv":
            # channels_last is about a quarter faster for these convolutions on CPU (2 cores:
            # 46 s against 61 s per 140,000 views)
            return images.contiguous(memory_format=torch.channels_last)
        if not self.hog:
            return images.reshape(images.shape[0], -1)
        # hog is an option of this class, not a HOG stage in front of it: the moves are
        # made on the images inside the training loop, and the encoder reads the
        # descriptors of each moved view
        from pixelmeans.features.hog import hog

        return torch.from_numpy(hog(images[:, 0].cpu().numpy()))

    def fit(self, X, y=None):
        """Train the encoder on ``X`` (n, d) or (n, h, w); ``y`` is ignored. Returns self."""
        torch = require_torch("clr features")
        pixels, input_shape = validate_pixels(self, X, reset=True)
        pixels = as_image_dtype(pixels)
        n, d = pixels.shape
        h, w = self._check_params(d, input_shape)
        if n < 2:
            raise InputError(f"clr: needs at least 2 images, got n_samples={n}")
        device = resolve_device(torch, self.device, "clr")
        seed = seed_of(self.random_state)
        bs = min(int(self.batch_size), n)
        moves = dict(scale=tuple(float(v) for v in self.scale), rotation=float(self.rotation),
                     translate=float(self.translate), flip=bool(self.flip), erase=float(self.erase),
                     dim=float(self.dim), gamma=float(self.gamma))
        with torch_context(torch, self.n_threads, device, seed):
            images = as_tensor(torch, pixels).view(n, 1, h, w)
            d_in = self._describe(torch, images[:1].float()).shape[1]
            module = _build_module(torch, d_in, self.hidden, self.n_components, self.projection_dim,
                                   self.arch, (h, w)).to(device)
            gen = torch.Generator().manual_seed(seed)

            def batch_loss(idx):
                batch = to_float(torch, images[idx])
                views = [self._describe(torch, _move(torch, batch, gen, **moves)).to(device) for _ in range(2)]
                z1, z2 = (module["head"](module["encoder"](v)) for v in views)
                return _nt_xent(torch, z1, z2, float(self.temperature)), 1

            # whole batches only: BatchNorm and the loss want full ones
            losses = train(torch, module, batch_loss, n=n, batch_size=bs, epochs=self.epochs,
                           optimizer=torch.optim.Adam(module.parameters(), lr=float(self.lr), weight_decay=1e-6),
                           schedule=lambda opt, total: _one_cycle(torch, opt, float(self.lr), total),
                           gen=gen, whole_batches=True, desc="clr", verbose=self.verbose)
            self.module_ = module.to("cpu")
        self.loss_curve_ = losses
        self.image_shape_ = (h, w)
        return self

    def transform(self, X) -> np.ndarray:
        """Features of pixels ``(n, d)`` or ``(n, h, w)``: float32 ``(n, D)``, unit rows."""
        torch = require_torch("clr features")
        pixels = as_image_dtype(validate_pixels(self, X, reset=False)[0])
        device = resolve_device(torch, self.device, "clr")
        net = self.module_["encoder"]
        outs = []
        h, w = self.image_shape_
        with torch_context(torch, self.n_threads, device), torch.no_grad():
            net.to(device)
            try:
                src = as_tensor(torch, pixels)
                for start in range(0, pixels.shape[0], 4096):
                    batch = src[start:start + 4096].view(-1, 1, h, w)
                    batch = to_float(torch, batch)
                    z = net(self._describe(torch, batch).to(device))
                    outs.append(torch.nn.functional.normalize(z, dim=1).cpu().numpy().astype(np.float32))
            finally:
                net.to("cpu")
        return np.concatenate(outs)

    def _get_state(self) -> dict:
        check_is_fitted(self, "module_")
        state = module_state(self.module_)
        state["loss_curve_"] = np.asarray(self.loss_curve_, dtype=np.float64)
        state["n_features_in_"] = np.asarray(self.n_features_in_)
        state["image_shape_"] = np.asarray(self.image_shape_, dtype=np.int64)
        return state

    def _set_state(self, state: dict) -> None:
        torch = require_torch("clr features")
        weights = saved_weights(torch, state)
        d_in = 1 if self.arch == "conv" else int(weights["encoder.0.weight"].shape[1])
        shape = tuple(int(v) for v in state["image_shape_"])
        self.module_ = load_module(torch, lambda: _build_module(torch, d_in, self.hidden, self.n_components,
                                                                self.projection_dim, self.arch, shape), weights)
        self.loss_curve_ = [float(v) for v in state["loss_curve_"]]
        self.n_features_in_ = int(state["n_features_in_"])
        self.image_shape_ = tuple(int(s) for s in state["image_shape_"])
