"""Autoencoder features (PyTorch): an MLP 784-500-500-2000-D or a small conv net.

PyTorch is imported only when an autoencoder is built, so this module imports without
the ``[deep]`` extra; asking for one then raises MissingDependencyError with the hint.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from pixelmeans.errors import InputError
from pixelmeans.features._base import Embedding, as_image_dtype, check_features, validate_pixels
from pixelmeans.features._shape import image_shape_of
from pixelmeans.features._deps import require_torch
from pixelmeans.features._torch import (as_tensor, load_module, module_state, resolve_device, saved_weights,
                                        seed_of, to_float, torch_context, train, warp)

_DEFAULT_HIDDEN = {"mlp": (500, 500, 2000), "conv": (32, 64, 128)}


def _conv_sizes(h: int, w: int):
    """Spatial sizes after the three stride-2 convolutions (k5p2, k5p2, k3p0)."""
    def down(s, k, p):
        return (s + 2 * p - k) // 2 + 1
    sizes = [(h, w)]
    for k, p in ((5, 2), (5, 2), (3, 0)):
        sizes.append(tuple(down(s, k, p) for s in sizes[-1]))
    return sizes


def _build_module(torch, arch: str, d: int, image_shape, hidden, n_components: int):
    nn = torch.nn
    D = int(n_components)
    if arch == "mlp":
        widths = [d, *[int(x) for x in hidden]]
        enc, dec = [], []
        for a, b in zip(widths[:-1], widths[1:]):
            enc += [nn.Linear(a, b), nn.ReLU()]
        enc.append(nn.Linear(widths[-1], D))
        back = widths[::-1]
        dec.append(nn.Linear(D, back[0]))
        for a, b in zip(back[:-1], back[1:]):
            dec += [nn.ReLU(), nn.Linear(a, b)]
        return _glorot(torch, nn.ModuleDict({"encoder": nn.Sequential(*enc), "decoder": nn.Sequential(*dec)}))
    # arch == "conv": three stride-2 convolutions, a linear code; mirrored transposed convs.
    h, w = image_shape
    c1, c2, c3 = (int(x) for x in hidden)
    sizes = _conv_sizes(h, w)
    if min(sizes[-1]) < 1:
        raise InputError(f"autoencoder: images of {h}x{w} are too small for the conv variant (need ≥ 11x11)")
    flat = c3 * sizes[3][0] * sizes[3][1]

    def op(target, size_in, k, p):  # output_padding so that the transposed conv lands on target
        return tuple(t - ((s - 1) * 2 - 2 * p + k) for t, s in zip(target, size_in))

    enc = nn.Sequential(
        nn.Unflatten(1, (1, h, w)),
        nn.Conv2d(1, c1, 5, 2, 2), nn.ReLU(),
        nn.Conv2d(c1, c2, 5, 2, 2), nn.ReLU(),
        nn.Conv2d(c2, c3, 3, 2, 0), nn.ReLU(),
        nn.Flatten(), nn.Linear(flat, D),
    )
    dec = nn.Sequential(
        nn.Linear(D, flat), nn.ReLU(),
        nn.Unflatten(1, (c3, *sizes[3])),
        nn.ConvTranspose2d(c3, c2, 3, 2, 0, output_padding=op(sizes[2], sizes[3], 3, 0)), nn.ReLU(),
        nn.ConvTranspose2d(c2, c1, 5, 2, 2, output_padding=op(sizes[1], sizes[2], 5, 2)), nn.ReLU(),
        nn.ConvTranspose2d(c1, 1, 5, 2, 2, output_padding=op(sizes[0], sizes[1], 5, 2)),
        nn.Flatten(),
    )
    return _glorot(torch, nn.ModuleDict({"encoder": enc, "decoder": dec}))


def _glorot(torch, module):
    """Glorot-uniform weights and zero biases (the Keras default of DEC and N2D).

    PyTorch's default initialisation shrinks the signal through the deep MLP and its
    first epochs learn little more than the mean image; this starts much faster.
    """
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return module


def _augment(torch, xb, shape, shift: int, rotation: float, gen):
    """Random small affine moves of a batch (n, h*w): shifts of up to ``shift`` pixels,
    rotations of up to ``rotation`` degrees; bilinear, zero outside the image."""
    n = xb.shape[0]
    h, w = shape
    img = xb.view(n, 1, h, w)
    angle = (torch.rand(n, generator=gen, device=xb.device) * 2 - 1) * (rotation * math.pi / 180)
    move = torch.randint(-shift, shift + 1, (n, 2), generator=gen, device=xb.device).to(xb.dtype)
    shift_xy = torch.stack([move[:, 0] * (2.0 / w), move[:, 1] * (2.0 / h)], 1)
    return warp(torch, img, torch.cos(angle), torch.sin(angle), shift_xy).reshape(n, h * w)


class AutoencoderFeatures(Embedding):
    """Train an autoencoder on the pixels; its D-dimensional codes are the features.

    Parameters
    ----------
    n_components : int, default 10
        Code size D.
    arch : {"mlp", "conv"}, default "mlp"
        ``mlp``: fully connected d-500-500-2000-D encoder and its mirror image as decoder
        (ReLU, linear code and linear output). ``conv``: three stride-2 convolutions
        (32, 64, 128 channels) then a linear code; transposed convolutions back.
    hidden : tuple of int or None
        Layer widths (mlp) or channel counts (conv); None takes the defaults above.
    epochs : int, default 30
        Passes over the data (Adam, mean squared reconstruction error). 30 epochs of
        the MLP on 70,000 images take about 5 minutes on 2 CPU cores.
    batch_size : int, default 128
        128 rather than DEC/N2D's 256: on a CPU an epoch costs about the same and gives
        twice the updates, which is what a short training needs.
    lr : float, default 1e-3
        Adam learning rate (the peak one with the cosine schedule).
    schedule : {"cosine", "constant"}, default "cosine"
        Learning rate over the training steps: cosine decay from ``lr`` to 0, or fixed.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to the inputs during training
        (a denoising autoencoder); the target stays the clean image.
    shift, rotation : int, float or None, default None
        Data augmentation while training (as in DEC-DA: shifts of about 10% of the
        side, turns of 10 degrees): every image of a batch is moved by up to ``shift``
        pixels and turned by up to ``rotation`` degrees (the moved image is both input
        and target), so that codes of slightly moved digits are close. 0 and 0 turn it
        off, as :func:`~pixelmeans.features.make_features` does behind ``deskew+``
        (deskewed images are already centred and upright; moving them again would undo
        that) and ``hog+`` (descriptors are not images). None: 3 and 10.
    image_shape : (h, w) or None
        Needed by ``conv`` and augmentation when the images are not square and come
        flattened; default: the ``(h, w)`` of a 3-D input, else square from d.
    device : "auto", "cpu", "cuda", ...
        "auto" trains on a GPU when PyTorch sees one, else on the CPU.
    random_state : int, default 0
        Seeds weight initialisation, shuffling and noise: the same seed, data, thread
        count and device give identical codes.
    n_threads : int or None
        CPU threads for PyTorch during fit/transform (restored afterwards); None keeps
        PyTorch's current setting.
    verbose : bool or None, default None
        Progress bar with the loss per epoch (on stderr): True always, False never,
        None only when stderr is a terminal.

    Input ``X``: ``(n, d)`` or ``(n, h, w)`` pixels, uint8 (divided by 255) or float
    (taken as given, normally [0, 1]). Output of ``transform``: float32 ``(n, D)``.
    Fitted attributes: ``module_`` (torch ModuleDict with encoder/decoder, on the CPU),
    ``loss_curve_`` (mean training loss per epoch), ``n_features_in_``, ``image_shape_``.

    Deskewed images or histograms of oriented gradients come from the stages in front
    of it (``make_features("deskew+autoencoder")``: a Pipeline of
    :class:`~pixelmeans.features.Deskew` and this). Fed descriptors, it reconstructs
    descriptors, so ``decode`` gives descriptors and there are no decoded centroids.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).integers(0, 256, (64, 8, 8), dtype=np.uint8)
    >>> ae = AutoencoderFeatures(n_components=2, hidden=(16,), epochs=2, device="cpu", verbose=False)
    >>> codes = ae.fit_transform(X)
    >>> codes.shape, codes.dtype, len(ae.loss_curve_)
    ((64, 2), dtype('float32'), 2)
    >>> ae.decode(codes[:1]).shape
    (1, 64)
    """

    def __init__(
        self,
        n_components: int = 10,
        arch: str = "mlp",
        hidden=None,
        epochs: int = 30,
        batch_size: int = 128,
        lr: float = 1e-3,
        schedule: str = "cosine",
        noise: float = 0.0,
        shift=None,
        rotation=None,
        image_shape=None,
        device: str = "auto",
        random_state: int = 0,
        n_threads=None,
        verbose=None,
    ):
        self.n_components = n_components
        self.arch = arch
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.schedule = schedule
        self.noise = noise
        self.shift = shift
        self.rotation = rotation
        self.image_shape = image_shape
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _check_params(self, d: int, input_shape=None):
        if self.arch not in _DEFAULT_HIDDEN:
            raise InputError(f"autoencoder: arch must be 'mlp' or 'conv', got {self.arch!r}")
        if int(self.n_components) < 1:
            raise InputError(f"autoencoder: n_components must be ≥ 1, got {self.n_components}")
        if int(self.epochs) < 0 or int(self.batch_size) < 1:
            raise InputError("autoencoder: epochs must be ≥ 0 and batch_size ≥ 1")
        if self.schedule not in ("cosine", "constant"):
            raise InputError(f"autoencoder: schedule must be 'cosine' or 'constant', got {self.schedule!r}")
        shift, rotation = self._augmentation()
        if shift < 0 or rotation < 0 or float(self.noise) < 0:
            raise InputError("autoencoder: noise, shift and rotation must be ≥ 0")
        hidden = tuple(self.hidden) if self.hidden is not None else _DEFAULT_HIDDEN[self.arch]
        if self.arch == "conv" and len(hidden) != 3:
            raise InputError(f"autoencoder: conv needs three channel counts, got {hidden}")
        shape = None
        if self.arch == "conv" or shift or rotation:  # they need the images' (h, w)
            shape = image_shape_of(d, self.image_shape, input_shape, who="autoencoder")
        return hidden, shape

    def _augmentation(self) -> tuple[int, float]:
        """``(shift, rotation)`` with the defaults of ``None`` filled in."""
        shift = 3 if self.shift is None else int(self.shift)
        rotation = 10.0 if self.rotation is None else float(self.rotation)
        return shift, rotation

    def _schedule(self, torch, optimizer, total_steps: int):
        """Cosine decay of the learning rate from ``lr`` to 0 over the training, or none."""
        if self.schedule == "constant":
            return None
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps)))

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None):
        """Train the autoencoder on ``X`` (n, d); ``y`` is ignored. Returns self."""
        return self._fit_pixels(*self._pixels(X))

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Train on ``X`` and return its codes, float32 ``(n, D)``."""
        X, input_shape = self._pixels(X)
        return self._fit_pixels(X, input_shape)._encode(X)

    def _pixels(self, X):
        X, input_shape = validate_pixels(self, X, reset=True)
        return as_image_dtype(X), input_shape

    def _fit_pixels(self, X, input_shape):
        torch = require_torch("autoencoder features")
        n, d = X.shape
        hidden, shape = self._check_params(d, input_shape)
        device = resolve_device(torch, self.device, "autoencoder")
        seed = seed_of(self.random_state)
        with torch_context(torch, self.n_threads, device, seed):
            module = _build_module(torch, self.arch, d, shape, hidden, self.n_components).to(device)
            data = as_tensor(torch, X if X.dtype == np.uint8 else X.astype(np.float32, copy=False)).to(device)
            gen = torch.Generator(device="cpu").manual_seed(seed)
            noise_gen = torch.Generator(device=device).manual_seed(seed + 1)
            shift, rotation = self._augmentation()
            noise = float(self.noise)

            def batch_loss(idx):
                xb = to_float(torch, data[idx.to(device)])
                if shift or rotation:
                    xb = _augment(torch, xb, shape, shift, rotation, noise_gen)
                inp = xb + noise * torch.randn(xb.shape, generator=noise_gen, device=device) if noise else xb
                return torch.nn.functional.mse_loss(module["decoder"](module["encoder"](inp)), xb), xb.shape[0]

            losses = train(torch, module, batch_loss, n=n, batch_size=self.batch_size, epochs=self.epochs,
                           optimizer=torch.optim.Adam(module.parameters(), lr=float(self.lr)),
                           schedule=lambda opt, total: self._schedule(torch, opt, total), gen=gen, whole_batches=False, desc="autoencoder",
                           verbose=self.verbose)
            self.module_ = module.to("cpu")
        self.loss_curve_ = losses
        self.image_shape_ = shape
        return self

    def _run(self, part: str, A, batch: int = 4096, post=None) -> np.ndarray:
        torch = require_torch("autoencoder features")
        check_is_fitted(self, "module_")
        device = resolve_device(torch, self.device, "autoencoder")
        net = self.module_[part]
        outs = []
        with torch_context(torch, self.n_threads, device), torch.no_grad():
            net.to(device)
            try:
                src = as_tensor(torch, A)
                for start in range(0, A.shape[0], batch):
                    xb = to_float(torch, src[start:start + batch].to(device))
                    outs.append(net(xb).to("cpu").numpy().astype(np.float32, copy=False))
            finally:
                net.to("cpu")
        out = np.concatenate(outs) if outs else np.empty((0, 0), np.float32)
        return post(out) if post else out

    def transform(self, X) -> np.ndarray:
        """Encode pixels ``(n, d)`` (integers out of 255, or floats) → float32 codes ``(n, D)``."""
        return self._encode(as_image_dtype(validate_pixels(self, X, reset=False)[0]))

    def _encode(self, X) -> np.ndarray:
        if X.dtype != np.uint8:
            X = X.astype(np.float32, copy=False)
        return self._run("encoder", X)

    def decode(self, codes) -> np.ndarray:
        """Decode codes ``(n, D)`` → float32 pixels ``(n, d)`` clipped to [0, 1].

        Useful to show a k-means centroid in code space as an image. An autoencoder of
        descriptors gives descriptors (same range), not pixels.
        """
        codes = check_features(codes, name="codes")
        if codes.shape[1] != int(self.n_components):
            raise InputError(f"codes have {codes.shape[1]} columns, the autoencoder has {self.n_components}")
        return self._run("decoder", codes, post=lambda a: np.clip(a, 0.0, 1.0, out=a))

    def _get_state(self) -> dict:
        check_is_fitted(self, "module_")
        state = module_state(self.module_)
        state["loss_curve_"] = np.asarray(self.loss_curve_, dtype=np.float64)
        state["n_features_in_"] = np.asarray(self.n_features_in_)
        state["image_shape_"] = np.asarray(self.image_shape_ if self.image_shape_ else (), dtype=np.int64)
        return state

    def _set_state(self, state: dict) -> None:
        torch = require_torch("autoencoder features")
        d = int(state["n_features_in_"])
        saved_shape = tuple(int(v) for v in np.asarray(state.get("image_shape_", ())).ravel())
        hidden, shape = self._check_params(d, saved_shape or None)
        self.module_ = load_module(torch, lambda: _build_module(torch, self.arch, d, shape, hidden, self.n_components),
                                   saved_weights(torch, state))
        self.loss_curve_ = [float(v) for v in state["loss_curve_"]]
        self.n_features_in_ = d
        self.image_shape_ = tuple(int(s) for s in state["image_shape_"]) or None
