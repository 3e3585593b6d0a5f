"""What the PyTorch encoders share: device choice, a deterministic context, seeds,
tensors over NumPy arrays, moving images, the training loop and saving a module's
weights. Callers pass the ``torch`` module in, so importing this needs no PyTorch."""

from __future__ import annotations

import contextlib
import math
import sys
import warnings

import numpy as np

from pixelmeans.errors import InputError


def resolve_device(torch, device: str, who: str):
    """``torch.device`` for "auto" (a GPU when PyTorch sees one), "cpu", "cuda:1", ..."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise InputError(f"{who}: unknown device {device!r} ({err})") from None


@contextlib.contextmanager
def torch_context(torch, n_threads, device, seed=None):
    """Deterministic algorithms, a fixed thread count and (optionally) a forked, seeded RNG.

    Global torch settings are restored on exit, so the caller's state is left alone.
    """
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    old_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    # Denormal floats make CPU matmuls several times slower late in training; flushing
    # them to zero changes no result that matters (PyTorch's default, off, is restored).
    torch.set_flush_denormal(True)
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        if n_threads:
            torch.set_num_threads(int(n_threads))
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        with torch.random.fork_rng(devices=devices):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old_cudnn


def seed_of(random_state) -> int:
    """One integer seed from ``random_state``: an int, a RandomState, or None (fresh)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    return int(random_state)


def as_tensor(torch, A: np.ndarray):
    """A CPU tensor sharing memory with ``A`` (read-only arrays too: nothing writes to it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(np.ascontiguousarray(A))


def to_float(torch, batch):
    """A batch as float32 in [0, 1]: uint8 is divided by 255, floats are taken as given."""
    if batch.dtype == torch.uint8:
        return batch.float().mul_(1.0 / 255.0)
    return batch.float()


def warp(torch, img, cos, sin, shift, mirror=None):
    """Images ``(b, 1, h, w)`` moved by the linear map ``[[cos, -sin], [sin, cos]]`` (each
    ``(b,)``; their length sets the zoom) and ``shift`` ``(b, 2)`` in half-sides, the x
    column first multiplied by ``mirror`` ``(b,)`` of +-1 when given; bilinear, zero
    outside the image. The random draws stay with the callers, so each keeps its stream."""
    cx = cos if mirror is None else cos * mirror
    sx = sin if mirror is None else sin * mirror
    theta = torch.stack([torch.stack([cx, -sin, shift[:, 0]], 1),
                         torch.stack([sx, cos, shift[:, 1]], 1)], 1)
    grid = torch.nn.functional.affine_grid(theta, img.shape, align_corners=False)
    return torch.nn.functional.grid_sample(img, grid, align_corners=False)


def train(torch, module, batch_loss, *, n: int, batch_size: int, epochs: int, optimizer, schedule, gen,
          whole_batches: bool, desc: str, verbose):
    """Train ``module`` in place; return the mean training loss of every epoch (a list).

    Every epoch shuffles the ``n`` samples with ``gen`` and takes one optimiser step per
    batch of ``batch_size`` of them: all of them, or whole batches only when
    ``whole_batches`` (the last, smaller one is then left out).

    Parameters
    ----------
    batch_loss : callable
        ``batch_loss(idx)`` → ``(loss, size)``: the loss (a 0-d tensor to minimise) of the
        samples whose indices are ``idx`` (int64 CPU tensor), and how many samples it
        averages over; the model's part of the loop.
    optimizer : torch.optim.Optimizer
        Over ``module``'s parameters.
    schedule : callable
        ``schedule(optimizer, total_steps)`` → a learning-rate scheduler stepped after
        every optimiser step, or None for a fixed rate.
    gen : torch.Generator
        CPU generator of the shuffles.
    desc, verbose
        Progress bar label; True shows it, False hides it, None shows it only when
        stderr is a terminal.
    """
    from tqdm.auto import tqdm

    bs = int(batch_size)
    steps = n // bs if whole_batches else math.ceil(n / bs)
    scheduler = schedule(optimizer, max(1, int(epochs) * steps))
    losses = []
    bar = tqdm(range(int(epochs)), desc=desc, unit="epoch", file=sys.stderr, leave=False,
               disable=None if verbose is None else not verbose)
    module.train()
    for _ in bar:
        perm = torch.randperm(n, generator=gen)
        # summed on the device: reading a loss back every step would wait for a GPU
        total, count = 0.0, 0
        for step in range(steps):
            loss, size = batch_loss(perm[step * bs:(step + 1) * bs])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total = total + loss.detach() * size
            count += size
        losses.append(float(total) / max(count, 1))
        bar.set_postfix(loss=f"{losses[-1]:.5f}")
    bar.close()
    module.eval()
    return losses


def module_state(module) -> dict:
    """The module's weights as NumPy arrays under ``module/<name>`` keys (for saving)."""
    return {f"module/{k}": v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def saved_weights(torch, state: dict) -> dict:
    """The ``module/<name>`` entries of a saved state as tensors, keyed by ``<name>``."""
    return {k[len("module/"):]: torch.from_numpy(np.array(v)) for k, v in state.items() if k.startswith("module/")}


def load_module(torch, build, weights: dict):
    """``build()`` a module (its throw-away initialisation leaves the RNG alone), load
    ``weights`` into it and put it in eval mode.

    The module is first built on PyTorch's ``meta`` device (shapes, no memory): weights
    whose names or shapes differ from it raise InputError before a module of the size
    the saved parameters claim is allocated.
    """
    with torch.device("meta"):
        skeleton = build()
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in weights.items()}
    if got != expected:
        wrong = sorted(set(got) ^ set(expected)) or sorted(k for k in got if got[k] != expected[k])
        raise InputError(f"saved weights do not fit the network the parameters describe "
                         f"({len(wrong)} differ, e.g. {wrong[0]!r})")
    with torch.random.fork_rng(devices=[]):
        module = build()
    module.load_state_dict(weights)
    module.eval()
    return module
