"""Exact k-means on a Dask cluster: ``KMeans`` on a Dask array, run where its chunks live.

:class:`~pixelmeans.cluster.estimator.KMeans` hands a Dask array to this module
(``fit``, ``predict``, ``transform``, ``score``). The fit runs on the active
``distributed.Client``:

* Each row chunk of ``X`` becomes a :class:`ChunkState` on the worker that computed
  it (a future, kept between steps): the chunk, its weights, its labels and a step
  kernel of :data:`pixelmeans.cluster.lloyd.KERNELS` built on that chunk with the
  fit's global shift. Per-point state (labels, Hamerly/Yinyang/Elkan bounds) never
  leaves the worker.
* A step is one task per worker, pinned to it, that steps the chunks it holds with
  the centres inline (so they go to each worker once) and the kernels on the worker's
  threads; it gives back ``(n_changed, inertia, sums, weight_sums)``, ``k x d`` and
  ``k`` float64 numbers, per chunk, or per worker (added up there) when the sums are
  exact in any order (uint8 pixels, integer weights; see below). The client adds them
  up in float64, per-chunk sums *in chunk order*, and applies the same M-step,
  empty-cluster policy and stopping rules as :func:`pixelmeans.cluster.lloyd.kmeans_single`.
* The data shift is the single-process one (:func:`pixelmeans.cluster.kernels.data_shift`):
  column sums per chunk, added in chunk order, then the same formulas and rounding.

Why the result is the single-process one. Labels are the canonical nearest centres
whatever the kernel and the chunking (see :mod:`pixelmeans.cluster._common`), so
from equal centres every step gives equal labels and ``n_changed``. The centres
are ``sums / weight_sums``; for uint8 pixels with integer weights every term
``w (x - shift)`` is a multiple of ``2**-2`` (the shift is rounded to that grid,
:func:`~pixelmeans.cluster.kernels.round_shift`) below ``2**53``, so the float64
sums are exact in any order and the centres are bit for bit those of one
process: by induction, the same labels, ``n_iter_`` and centres. For float data the
sums may differ from one process's by float64 rounding (different order of
addition), so centres may differ in their last bits; labels differ only if that
rounding moves a point across a boundary. The inertia is a float64 sum of
per-point distances added per chunk, so it equals the single-process value to
float64 rounding (about 1e-15 relative), not bit for bit.

Empty clusters. ``"keep"`` and ``"drop"`` are applied exactly as in one process
(``drop`` renumbers the labels on the workers). ``"relocate"`` needs the points
farthest from their centres: each chunk returns its ``n_empty`` farthest points
(a full distance pass against the current centres) and the client applies
:func:`~pixelmeans.cluster.update.relocate_empty_clusters` to those candidates, in
chunk order. The same points are chosen as in one process unless distances tie;
with several empty clusters in one step, which empty centre gets which far point may
differ (the selection order of ``argpartition`` depends on the array it sees).

Faults. Worker-side state is a cache, never the truth: every step message carries
the run, the step number, the previous centres and the dropped rows. A state that a
lost worker took with it is rebuilt by Dask from its chunk (whose graph is
deterministic: the data store, the generator or the client's array), and a state
that did not see the previous step recomputes its labels against the previous
centres with one full pass before stepping, so ``n_changed`` and the sums are those
of an uninterrupted fit. The step message travels inside the tasks, so Dask can
recompute it with them; a task waiting for a worker that has left is submitted again
without a restriction. What Dask cannot recompute (``KilledWorker`` after repeated
deaths, data scattered from a client that is gone) stops the fit with one line
(:class:`ClusterError`).

Initialisation on a Dask array:

* an array or file of centres, ``"random"``: exactly the single-process start;
* ``"random-points"``: exactly the single-process draw (the weights, ``8 n``
  bytes, come to the client for it);
* ``"k-means||"``: distributed, with the weighting step: each round each chunk
  updates its distances to the candidates added last and keeps each point with
  probability ``min(1, l w D^2 / phi)``, from a random stream seeded by the client's
  ``random_state``, the round and the chunk's index (so the start depends on the
  chunking, never on the number of workers); the candidates are weighted by the
  weight of the points nearest to them (counted on the workers), then reduced to
  ``k`` by greedy k-means++ and weighted Lloyd steps on the client, as in one
  process. Its random draws differ from the single-process k-means||; its
  distribution of potentials is the same (tested over seeds);
* ``"k-means++"``: greedy k-means++ on a sample of about ``max(10000, 100 k)``
  points drawn on the workers (exact k-means++ needs ``k`` passes over all data);
* a callable: called with the Dask array.
"""

from __future__ import annotations

import contextlib
import time
import warnings

import numpy as np

from pixelmeans.cluster._validation import (
    DATA_DTYPES,
    check_centers,
    check_n_clusters_vs_samples,
    check_sample_weight,
)
from pixelmeans.cluster.history import KMeansStep
from pixelmeans.cluster.init import (
    _RECLUSTER_STEPS,
    KMEANS_PARALLEL_OVERSAMPLING,
    KMEANS_PARALLEL_ROUNDS,
    _kmeans_plusplus,
    _random_points,
    _random_uniform,
)
from pixelmeans.cluster.io import read_centroids
from pixelmeans.cluster.kernels import (
    LloydKernel,
    compute_dtype,
    labels_inertia,
    round_shift,
    squared_distances,
)
from pixelmeans.cluster.lloyd import KERNELS, SingleRun, choose_kernel, kmeans_single
from pixelmeans.cluster.update import center_shift_total, update_centers
from pixelmeans.errors import ClusterError, InputError, MissingDependencyError

__all__ = ["ChunkState", "ClusterError", "connect", "fit", "is_dask_array", "n_workers",
           "on_cluster", "predict", "score", "transform", "use_cluster"]

INSTALL_HINT = "pip install 'pixelmeans[dask]'"
#: Seconds to wait for a scheduler to answer before giving up.
CONNECT_TIMEOUT = 3.0
#: k-means++ on a Dask array runs on about this many sampled points (at least 100 k).
PLUSPLUS_SAMPLE = 10_000
# Rows per block of the column sums (bounds the float64 temporary).
_STATS_ROWS = 4096
# uint8 data with integer weights adding up to less than this have exact float64 sums.
_EXACT_WEIGHT_TOTAL = 2.0**53 / (4 * 255)


def is_dask_array(X) -> bool:
    """Whether ``X`` is a Dask array, without importing Dask."""
    return type(X).__module__.split(".")[:2] == ["dask", "array"]


def _require_dask():
    try:
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"a Dask array or a scheduler needs dask and distributed: {INSTALL_HINT}") from exc


def _client():
    _require_dask()
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        raise InputError("X is a Dask array but no distributed.Client is active: start one "
                         "(distributed.Client(...)) or pass a NumPy array") from None


def connect(spec: str, timeout: float = CONNECT_TIMEOUT):
    """A ``distributed.Client`` for ``spec``, which becomes the active client.

    Parameters
    ----------
    spec : str
        ``"tcp://HOST:PORT"`` (an existing scheduler) or ``"local:N"`` (a
        ``LocalCluster`` of N worker processes with one thread each, on 127.0.0.1).
    timeout : float
        Seconds to wait for the scheduler.

    Returns
    -------
    distributed.Client
        Close it when done (it closes a local cluster it started too).
    """
    _require_dask()
    from distributed import Client, LocalCluster

    if spec.startswith("local:"):
        try:
            n = int(spec[len("local:"):])
        except ValueError:
            n = 0
        if n < 1:
            raise InputError(f"--scheduler {spec!r}: expected local:N with N >= 1 workers")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        return Client(cluster, set_as_default=True)
    if "://" not in spec:
        raise InputError(f"--scheduler {spec!r}: expected tcp://HOST:PORT or local:N")
    try:
        return Client(spec, timeout=timeout, set_as_default=True)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {spec}: no Dask scheduler answered within "
                         f"{timeout:g} s ({type(exc).__name__})") from None


# The cluster the command line asked for (``use_cluster``), and the Dask arrays made
# of its NumPy data (so that restarts and sweep cells upload the data once).
_SESSION = {"client": None, "arrays": []}


@contextlib.contextmanager
def use_cluster(spec: str | None):
    """Within the block, :func:`on_cluster` puts data on the cluster of ``spec``.

    ``spec``: as :func:`connect`, or None (nothing changes). The client, and a local
    cluster it started, are closed on exit.
    """
    if spec is None:
        yield None
        return
    client = connect(spec)
    _SESSION.update(client=client, arrays=[])
    try:
        yield client
    finally:
        _SESSION.update(client=None, arrays=[])
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def n_workers(client=None) -> int:
    """Workers of ``client`` (default: the active ``distributed`` client)."""
    if client is None:
        from distributed import get_client

        client = get_client()
    return len(client.scheduler_info().get("workers", {}))


def on_cluster(X):
    """``X`` as a Dask array on the cluster of :func:`use_cluster` (one chunk a worker,
    uploaded once), or ``X`` itself outside such a block."""
    client = _SESSION["client"]
    if client is None or is_dask_array(X):
        return X
    for source, array in _SESSION["arrays"]:
        if source is X:
            return array
    import dask.array as da

    rows = max(1, -(-X.shape[0] // max(1, n_workers(client))))
    with warnings.catch_warnings():
        # The data goes into the graph once, on purpose: a chunk a lost worker took
        # with it is then recomputed from the graph (Dask warns about large graphs).
        warnings.filterwarnings("ignore", message="Sending large graph")
        array = client.persist(da.from_array(X, chunks=(rows, -1)))
    _SESSION["arrays"].append((X, array))
    return array


# ---------------------------------------------------------------------------
# worker side


@contextlib.contextmanager
def _kernel_threads(n=1):
    """Compiled kernels on ``n`` threads inside a task (at most numba's pool). Results
    never depend on it: blocks depend on the data's shape only."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


class ChunkState:
    """What a worker keeps of one row chunk between steps.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), dtype uint8, float32 or float64
    sample_weight : ndarray of shape (n_rows,), dtype float64, or None (all ones)
    index : int
        Position of the chunk (chunk order is the order of every reduction).
    offset : int
        Global index of the chunk's first row.
    """

    def __init__(self, X, sample_weight, index, offset):
        self.X = np.ascontiguousarray(X)
        n = self.X.shape[0]
        self.sample_weight = (np.ones(n) if sample_weight is None
                              else np.ascontiguousarray(sample_weight, dtype=np.float64))
        self.index = int(index)
        self.offset = int(offset)
        self.kernel = None
        self.labels = None
        self.run = None  # (run id, steps done) the kernel and labels belong to
        self.seeding = None  # (seeding id, rounds applied, distances) of k-means||

    def __sizeof__(self):
        # Dask places tasks by the bytes they would move: the chunk is what counts.
        extra = 0 if self.labels is None else 24 * self.labels.size
        return int(self.X.nbytes + self.sample_weight.nbytes + extra)

    # -- steps

    def _sync(self, msg):
        """Bring kernel and labels to "step ``msg['t'] - 1`` of run ``msg['run']`` done".

        A state rebuilt by Dask, or a stale copy, recomputes the labels of the
        previous centres (one full pass): the canonical labels, the ones it lost.
        """
        if self.run == (msg["run"], msg["t"]):
            return False
        self.run = None
        prev = msg["prev"]
        k = prev.shape[0] if prev is not None else msg["centers"].shape[0]
        dtype = msg["shift"].dtype
        kernel = KERNELS[msg["kernel"]](self.X, self.sample_weight, msg["shift"], k, dtype)
        labels = np.full(self.X.shape[0], -1, dtype=np.int32)
        if prev is not None:
            kernel.step(prev, labels, want_sums=False, want_sqdist=False)
        self.kernel, self.labels = kernel, labels
        self.run = (msg["run"], msg["t"])
        return prev is not None

    def step(self, msg):
        """One step against ``msg['centers']`` (after dropping ``msg['keep']``).

        Returns
        -------
        n_changed : int
        inertia : float
            NaN unless ``msg['want_inertia']``.
        sums : ndarray of shape (k, n_features), dtype float64
        weight_sums : ndarray of shape (k,), dtype float64
        rebuilt : bool
            Whether the labels of the previous step had to be recomputed first.
        """
        rebuilt = self._sync(msg)
        run, t = self.run
        self.run = None  # invalid until this step is complete
        keep = msg["keep"]
        if keep is not None:
            remap = np.full(keep.size, -1, dtype=np.int32)
            remap[keep] = np.arange(int(keep.sum()), dtype=np.int32)
            self.labels = remap[self.labels]
            self.kernel.drop(keep)
        res = self.kernel.step(msg["centers"], self.labels, want_sqdist=msg["want_inertia"])
        self.run = (run, t + 1)
        return res.n_changed, res.inertia, res.sums, res.weight_sums, rebuilt

    def farthest(self, centers, shift, m):
        """The ``m`` points farthest from their nearest centre (a full pass; stateless).

        Returns ``(sqdist, rows, weights, labels)`` of those points, in row order.
        """
        n = self.X.shape[0]
        m = min(m, n)
        kernel = LloydKernel(self.X, self.sample_weight, shift, centers.shape[0], shift.dtype)
        labels = np.full(n, -1, dtype=np.int32)
        sqdist = kernel.step(centers, labels, want_sums=False).sqdist
        top = np.sort(np.argpartition(sqdist, -m)[-m:]) if m else np.zeros(0, dtype=np.int64)
        return sqdist[top], self.X[top], self.sample_weight[top], labels[top]

    def final(self, centers):
        """Labels and inertia against the final centres (data coordinates; stateless)."""
        return labels_inertia(self.X, centers, self.sample_weight)

    # -- statistics and rows

    def column_sums(self, center):
        """Column sums of ``x - center`` and of its square (float64), minimum, maximum."""
        d = self.X.shape[1]
        s1, s2 = np.zeros(d), np.zeros(d)
        lo, hi = np.full(d, np.inf), np.full(d, -np.inf)
        for r in range(0, self.X.shape[0], _STATS_ROWS):
            block = self.X[r:r + _STATS_ROWS].astype(np.float64)
            np.minimum(lo, block.min(axis=0), out=lo)
            np.maximum(hi, block.max(axis=0), out=hi)
            block -= center
            s1 += block.sum(axis=0)
            s2 += np.einsum("ij,ij->j", block, block)
        return self.X.shape[0], s1, s2, lo, hi

    def rows(self, local):
        return self.X[local]

    def weights(self):
        return self.sample_weight

    def pick(self, u):
        """The row where the cumulative weight passes ``u`` (a weighted draw)."""
        i = int(np.searchsorted(np.cumsum(self.sample_weight), u, side="right"))
        i = min(i, self.X.shape[0] - 1)
        return self.X[i]

    def sample(self, seed, prob):
        """Each row kept with probability ``prob`` (a stream of ``seed`` and the chunk)."""
        keep = np.random.default_rng([seed, self.index]).random(self.X.shape[0]) < prob
        return self.X[keep], self.sample_weight[keep]

    # -- k-means||

    def seeding_potential(self, sid, rounds, shift):
        """Distances to the candidates of ``rounds`` (a list of arrays, one per round),
        updated with the rounds not applied yet; returns ``sum(w * D^2)``."""
        if self.seeding is None or self.seeding[0] != sid or self.seeding[1] > len(rounds):
            self.seeding = (sid, 0, np.full(self.X.shape[0], np.inf))
        _, done, dist = self.seeding
        self.seeding = None
        for new in rounds[done:]:
            kernel = LloydKernel(self.X, self.sample_weight, shift, new.shape[0], shift.dtype)
            labels = np.full(self.X.shape[0], -1, dtype=np.int32)
            step = kernel.step(new, labels, want_sums=False, want_sqdist=True)
            np.minimum(dist, step.sqdist, out=dist)
        self.seeding = (sid, len(rounds), dist)
        return float(self.sample_weight @ dist)

    def seeding_draw(self, sid, rounds, shift, seed, ell, potential):
        """Rows kept in this round: each with probability ``ell w D^2 / potential``."""
        self.seeding_potential(sid, rounds, shift)
        dist = self.seeding[2]
        rng = np.random.default_rng([seed, len(rounds), self.index])
        keep = rng.random(self.X.shape[0]) < ell * self.sample_weight * dist / potential
        return self.X[keep & (dist > 0.0)]

    def nearest_weights(self, candidates):
        """Total weight of this chunk's points nearest to each candidate."""
        owner = labels_inertia(self.X, candidates, return_inertia=False)
        return np.bincount(owner, weights=self.sample_weight, minlength=candidates.shape[0])


def _new_state(chunk, sample_weight, index, offset):
    return ChunkState(chunk, sample_weight, index, offset)


def _call_group(states, calls, combine=None):
    """``state.method(*args)`` for each state and ``(method, *args)``, in order: one
    task per worker and step, the kernels on the worker's threads (its chunks one after
    another, each chunk's rows split between the threads). With ``combine``, the
    results are ``[combine(results)]``: added up on the worker."""
    from distributed import get_worker

    try:
        threads = get_worker().state.nthreads
    except ValueError:  # not on a worker (a test calling it directly)
        threads = 1
    with _kernel_threads(threads):
        out = [getattr(state, method)(*args) for state, (method, *args) in zip(states, calls)]
    return out if combine is None else [combine(out)]


def _add_steps(parts):
    """Step results ``(n_changed, inertia, sums, weight_sums, rebuilt)`` added in the
    order given (float64 sums); ``rebuilt`` becomes a count."""
    sums = np.zeros_like(parts[0][2])
    weight_sums = np.zeros_like(parts[0][3])
    for p in parts:
        sums += p[2]
        weight_sums += p[3]
    return (sum(int(p[0]) for p in parts), sum(float(p[1]) for p in parts), sums,
            weight_sums, sum(int(p[4]) for p in parts))


# ---------------------------------------------------------------------------
# client side


class _Chunks:
    """The row chunks of a Dask array as :class:`ChunkState` futures on the workers.

    Also a read-only row source (``shape``, ``X[indices]``) for the initialisations
    that pick rows of ``X``.
    """

    def __init__(self, client, X, sample_weight):
        self.client = client
        sizes = [int(c) for c in X.chunks[0]]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.shape = (int(self.offsets[-1]), int(X.shape[1]))
        self.dtype = X.dtype
        parts = client.compute(list(X.to_delayed().ravel()))
        weights = ([None] * len(parts) if sample_weight is None else
                   [sample_weight[a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])])
        self.states = [client.submit(_new_state, p, w, i, int(o), pure=False)
                       for i, (p, w, o) in enumerate(zip(parts, weights, self.offsets))]
        del parts  # the states hold the chunks
        self._where = {}
        # uint8 pixels and integer weights: every w (x - shift) is a multiple of 1/4
        # and each sum is below 2**53 / 4, so float64 adds them exactly in any order.
        total = self.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        self.exact_sums = bool(
            np.dtype(self.dtype) == np.uint8 and total < _EXACT_WEIGHT_TOTAL
            and (sample_weight is None or np.array_equal(sample_weight, np.round(sample_weight))))

    def __len__(self):
        return len(self.states)

    def call(self, method, *args, combine=None):
        """``state.method(*args)`` on every chunk; results in chunk order, or with
        ``combine`` one ``combine(results)`` per task (each worker's chunks added up
        there; only for results whose sum does not depend on the order)."""
        return self._run({c: (method, *args) for c in range(len(self.states))}, combine)

    def _placement(self):
        """The worker each state lives on (cached; asked of the scheduler when unknown).

        A state keeps to its worker: Dask may otherwise move a task to an idle worker
        and copy the state there, and the copy left behind falls a step behind (it
        then rebuilds itself, correct but slow). Asking costs a round trip to the
        scheduler, so it is done once, and again only after a worker was lost: a
        wrong guess costs time, never correctness (the state is copied and rebuilds).
        """
        from distributed import wait

        if len(self._where) < len(self.states) or None in self._where.values():
            wait(self.states)
            who = self.client.who_has(self.states)
            for c, state in enumerate(self.states):
                holders = sorted(who.get(state.key, ()))
                if self._where.get(c) not in holders:
                    self._where[c] = holders[0] if holders else None
        return self._where

    def _run(self, calls, combine=None):
        """``{chunk: (method, *args)}`` -> results in the order of ``calls`` (with
        ``combine``: one combined result per task, in no particular order).

        One task per worker runs the calls of the chunks whose states it holds, with
        their arguments inline: the centres of a step go to each worker once, in its
        task (which Dask can recompute, unlike a scattered value), and a step costs
        one task per worker, however many chunks each holds. A task whose worker has
        left while it waited is submitted again, one per chunk, without a restriction.
        """
        from distributed import wait

        where = self._placement()
        groups = {}
        for c in calls:
            groups.setdefault(where[c], []).append(c)

        def submit(worker, cs):
            place = ({"workers": [worker], "allow_other_workers": False}
                     if worker is not None else {})
            return self.client.submit(_call_group, [self.states[c] for c in cs],
                                      [calls[c] for c in cs], combine, pure=False, **place)

        tasks = [(cs, w, submit(w, cs)) for w, cs in groups.items()]
        while True:
            try:
                wait([f for _, _, f in tasks], timeout=2.0)
                break
            except TimeoutError:
                pass
            alive = set(self.client.scheduler_info(n_workers=-1).get("workers", {}))
            kept = []
            for cs, w, f in tasks:
                if f.done() or w is None or w in alive:
                    kept.append((cs, w, f))
                    continue
                f.cancel()
                for c in cs:
                    where[c] = None  # asked of the scheduler again next call
                    kept.append(([c], None, submit(None, [c])))
            tasks = kept
        gathered = self._gather([f for _, _, f in tasks])
        if combine is not None:
            return [part for parts in gathered for part in parts]
        results = {}
        for (cs, _, _), parts in zip(tasks, gathered):
            results.update(zip(cs, parts))
        return [results[c] for c in calls]

    def _gather(self, futures):
        from distributed.scheduler import KilledWorker

        try:
            return self.client.gather(futures, direct=True)
        except KilledWorker as exc:
            raise ClusterError(f"Dask cluster: a task killed its workers repeatedly ({exc}); "
                               "the fit stopped") from None
        except Exception as exc:
            if type(exc).__name__ in ("CancelledError", "FutureCancelledError"):
                raise ClusterError(f"Dask cluster: lost data that cannot be recomputed "
                                   f"({type(exc).__name__}); the fit stopped") from None
            raise

    def __getitem__(self, indices):
        """Rows ``indices`` (global, any order) in that order, in the data's dtype."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        which = np.searchsorted(self.offsets, indices, side="right") - 1
        out = np.empty((indices.size, self.shape[1]), dtype=self.dtype)
        calls, places = {}, []
        for c in np.unique(which):
            at = np.flatnonzero(which == c)
            calls[int(c)] = ("rows", indices[at] - self.offsets[c])
            places.append(at)
        for at, rows in zip(places, self._run(calls)):
            out[at] = rows
        return out

    def weights(self):
        return np.concatenate(self.call("weights"))


def _prepare(client, X, sample_weight):
    import dask.array as da

    if X.ndim != 2:
        raise InputError(f"X: expected a 2-D Dask array (n_samples, n_features), got {X.ndim}-D")
    if np.dtype(X.dtype) not in [np.dtype(t) for t in DATA_DTYPES]:
        if X.dtype.kind not in "biuf":
            raise InputError(f"X: expected numbers, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    X = X.rechunk({1: -1})  # each chunk whole rows
    if sample_weight is not None:
        if isinstance(sample_weight, da.Array):
            sample_weight = sample_weight.compute()
        sample_weight = check_sample_weight(sample_weight, int(X.shape[0]))
    return X, _Chunks(client, X, sample_weight)


def _column_stats(chunks):
    """``kernels.column_stats`` over the chunks: the same passes, summed in chunk order."""
    d = chunks.shape[1]
    n = chunks.shape[0]
    first = chunks.call("column_sums", np.zeros(d))
    s1 = np.zeros(d)
    for part in first:
        s1 += part[1]
    lo = np.min([p[3] for p in first], axis=0)
    hi = np.max([p[4] for p in first], axis=0)
    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise InputError("Input X contains NaN or infinity.")
    mean = s1 / n
    dev, s2 = np.zeros(d), np.zeros(d)
    for part in chunks.call("column_sums", mean):
        dev += part[1]
        s2 += part[2]
    var = np.maximum((s2 - dev * dev / n) / n, 0.0)
    return mean + dev / n, var, lo, hi


def _read_init(init_kind, init, n_clusters, n_features, dtype):
    if init_kind == "file":
        return check_centers(read_centroids(init), n_clusters, n_features, dtype,
                             source=str(init))
    return check_centers(init, n_clusters, n_features, dtype)


def fit(estimator, X, sample_weight=None, *, is_better=None):
    """``KMeans.fit`` on a Dask array (the estimator's parameters, the cluster's work).

    Parameters
    ----------
    estimator : KMeans
    X : dask.array.Array of shape (n_samples, n_features)
        uint8, float32 or float64 (other numbers become float64), any row chunks.
    sample_weight : array-like or dask.array.Array of shape (n_samples,), optional
    is_better : callable
        The estimator's rule for the best restart,
        ``is_better(inertia, labels, best_inertia, best_labels)``.

    Returns
    -------
    estimator
        With ``cluster_centers_``, ``labels_`` (a NumPy array: 4 bytes per sample come
        back), ``inertia_``, ``n_iter_``, ``converged_`` (and ``history_``) set.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state

    client = _client()
    init_kind, init = estimator._check_params()
    X, chunks = _prepare(client, X, sample_weight)
    n_samples, n_features = chunks.shape
    n_clusters = int(estimator.n_clusters)
    check_n_clusters_vs_samples(n_clusters, n_samples)
    n_init = estimator._resolve_n_init(init_kind, init if init_kind == "method" else None)
    dtype = compute_dtype(X.dtype)
    if init_kind in ("array", "file"):
        init = _read_init(init_kind, init, n_clusters, n_features, dtype)

    mean, var, lo, hi = _column_stats(chunks)
    shift = round_shift(mean, np.maximum(np.abs(lo), np.abs(hi)), dtype)
    tol = float(np.mean(var) * estimator.tol) if estimator.tol else 0.0
    random_state = check_random_state(estimator.random_state)
    kernel = choose_kernel(estimator.algorithm, n_clusters, n_features, n_samples)
    name = next(key for key, value in KERNELS.items() if value is kernel)

    best = None
    for run in range(n_init):
        if init_kind in ("array", "file"):
            centers = init
        elif init_kind == "callable":
            centers = check_centers(init(X, n_clusters, random_state=random_state),
                                    n_clusters, n_features, dtype)
        elif init == "k-means||":
            centers = _kmeans_parallel(chunks, n_clusters, random_state, shift)
        elif init == "k-means++":
            centers = _plusplus_on_sample(chunks, n_clusters, random_state, shift)
        elif init == "random":
            centers = _random_uniform(lo, hi, n_clusters, random_state, dtype)
        else:  # "random-points": the single-process draw, rows fetched from the workers
            centers = _random_points(chunks, n_clusters, chunks.weights(), random_state, dtype)
        if estimator.verbose:
            print("Initialization complete" + (f" (run {run + 1} of {n_init})" if n_init > 1 else ""))
        result = _run(chunks, np.asarray(centers, dtype=dtype) - shift, shift, run=run,
                      kernel=name, max_iter=int(estimator.max_iter), tol=tol,
                      empty_clusters=estimator.empty_clusters,
                      record_history=bool(estimator.record_history),
                      verbose=int(estimator.verbose), callback=estimator.callback)
        if best is None or is_better(result.inertia, result.labels, best.inertia, best.labels):
            best = result
        if result.stopped:
            break  # the callback stops the whole fit, not only this run

    n_centers = best.centers.shape[0]
    expected = n_centers if estimator.empty_clusters == "drop" else n_clusters
    distinct = np.unique(best.labels).size
    if distinct < expected:
        warnings.warn(f"Number of distinct clusters ({distinct}) found smaller than "
                      f"n_clusters ({expected}).", ConvergenceWarning, stacklevel=3)
    estimator.n_features_in_ = n_features
    estimator.__dict__.pop("feature_names_in_", None)
    estimator.cluster_centers_ = best.centers
    estimator._n_features_out = n_centers
    estimator.labels_ = best.labels
    estimator.inertia_ = float(best.inertia)
    estimator.n_iter_ = int(best.n_iter)
    estimator.converged_ = bool(best.converged)
    if estimator.record_history:
        estimator.history_ = best.history
    else:
        estimator.__dict__.pop("history_", None)
    return estimator


def _run(chunks, centers, shift, *, run, kernel, max_iter, tol, empty_clusters,
         record_history, verbose, callback=None) -> SingleRun:
    """:func:`pixelmeans.cluster.lloyd.kmeans_single` with the E-step on the chunks."""
    dtype = shift.dtype
    centers = np.array(centers, dtype=dtype, order="C")
    ids = np.arange(centers.shape[0], dtype=np.int64)
    history = [] if record_history else None
    observers = [f for f in (history.append if record_history else None, callback) if f]

    def tell(record):  # as in kmeans_single: any true answer stops the run
        return any([bool(f(record)) for f in observers])

    stopped = bool(observers) and tell(KMeansStep(0, centers + shift, ids, float("nan"), 0))
    want_inertia = bool(observers or verbose)
    prev, keep, converged = None, None, False
    workers = n_workers(chunks.client)
    i = -1
    for i in range(0 if stopped else max_iter):
        started = time.perf_counter()
        msg = {"run": run, "t": i, "kernel": kernel, "shift": shift, "centers": centers,
               "prev": prev, "keep": keep, "want_inertia": want_inertia}
        # Exact sums are added up on each worker first (any order gives the same
        # bits); other sums come back per chunk and are added in chunk order.
        parts = chunks.call("step", msg, combine=_add_steps if chunks.exact_sums else None)
        n_changed, inertia, sums, weight_sums, rebuilt = _add_steps(parts)
        relocate_args = None
        if empty_clusters == "relocate" and np.any(weight_sums == 0):
            n_empty = int(np.count_nonzero(weight_sums == 0))
            far = chunks.call("farthest", centers, shift, n_empty)
            relocate_args = (np.concatenate([f[1] for f in far]), shift,
                             np.concatenate([f[2] for f in far]),
                             np.concatenate([f[3] for f in far]),
                             np.concatenate([f[0] for f in far]))
        new_centers, keep, n_empty = update_centers(centers, sums, weight_sums, empty_clusters,
                                                    relocate_args=relocate_args)
        moved = center_shift_total(centers, new_centers, keep)
        if keep is not None:
            ids = ids[keep]
        prev, centers = centers, new_centers
        if verbose:
            empty_note = ""
            if n_empty:
                verb = {"relocate": "relocated", "drop": "dropped", "keep": "kept"}[empty_clusters]
                empty_note = f", {n_empty} empty cluster{'s' if n_empty > 1 else ''} {verb}"
            if rebuilt:
                empty_note += f", {rebuilt} chunk state{'s' if rebuilt > 1 else ''} rebuilt"
            print(f"Step {i + 1}: inertia {inertia:.6g}, {n_changed} points changed, centre "
                  f"shift {moved:.3g}{empty_note} ({time.perf_counter() - started:.2f} s, "
                  f"{workers} workers)")
        if observers and tell(KMeansStep(i + 1, centers + shift, ids, inertia, n_changed, moved)):
            stopped = not (n_changed == 0 or moved <= tol)
            converged = not stopped
            break
        if n_changed == 0 or moved <= tol:
            converged = True
            break
    n_iter = i + 1
    final_centers = centers + shift
    parts = chunks.call("final", final_centers)
    labels = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
    inertia = sum(float(p[1]) for p in parts)
    if verbose:
        if converged:
            print(f"K-means converged after {n_iter} steps.")
        elif stopped:
            print(f"K-means stopped by the callback after {n_iter} steps.")
        else:
            print(f"K-means stopped at max_iter={max_iter} steps without converging.")
    return SingleRun(final_centers, labels, inertia, n_iter, converged, ids, history, stopped)


def _kmeans_parallel(chunks, n_clusters, random_state, shift,
                     rounds=KMEANS_PARALLEL_ROUNDS, oversampling=KMEANS_PARALLEL_OVERSAMPLING):
    """k-means|| with the rounds on the workers (see the module docstring)."""
    dtype = shift.dtype
    ell = oversampling * n_clusters
    totals = np.array([w.sum() for w in chunks.call("weights")])
    u = random_state.uniform() * totals.sum()
    c = min(int(np.searchsorted(np.cumsum(totals), u, side="right")), len(totals) - 1)
    u -= totals[:c].sum()
    [first] = chunks._run({c: ("pick", u)})
    chosen = [np.asarray(first, dtype=dtype)[None, :]]
    sid = int(random_state.randint(np.iinfo(np.int32).max))
    seed = int(random_state.randint(np.iinfo(np.int32).max))
    new_rounds = [chosen[0] - shift]
    for _ in range(rounds):
        potential = sum(chunks.call("seeding_potential", sid, new_rounds, shift))
        if potential <= 0.0:
            break
        drawn = chunks.call("seeding_draw", sid, new_rounds, shift, seed, ell, potential)
        new = np.asarray(np.concatenate(drawn), dtype=dtype)
        if new.shape[0] == 0:
            break
        chosen.append(new)
        new_rounds.append(new - shift)
    candidates = np.ascontiguousarray(np.concatenate(chosen))
    if len(candidates) <= n_clusters:  # too few distinct points: top up at random
        w = chunks.weights()
        extra = random_state.choice(chunks.shape[0], size=n_clusters - len(candidates) + 1,
                                    replace=False, p=w / w.sum())
        candidates = np.concatenate([candidates, np.asarray(chunks[extra], dtype=dtype)])
    cw = np.zeros(len(candidates))
    for part in chunks.call("nearest_weights", candidates):
        cw += part
    if np.count_nonzero(cw) < n_clusters:
        cw = cw + 1e-12 * cw.sum()  # every candidate stays eligible
    seeds, _ = _kmeans_plusplus(candidates, n_clusters, cw, random_state, shift)
    run = kmeans_single(candidates, cw, seeds - shift, shift=shift,
                        max_iter=_RECLUSTER_STEPS, tol=0.0, empty_clusters="relocate")
    return np.ascontiguousarray(run.centers, dtype=dtype)


def _plusplus_on_sample(chunks, n_clusters, random_state, shift):
    """Greedy k-means++ on about ``max(PLUSPLUS_SAMPLE, 100 k)`` rows drawn on the workers."""
    n = chunks.shape[0]
    prob = min(1.0, max(PLUSPLUS_SAMPLE, 100 * n_clusters) / n)
    seed = int(random_state.randint(np.iinfo(np.int32).max))
    parts = chunks.call("sample", seed, prob)
    rows = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
    w = np.concatenate([p[1] for p in parts])
    if rows.shape[0] < n_clusters or not w.sum() > 0:  # a tiny sample: take every row
        rows, w = chunks[np.arange(n)], chunks.weights()
    return _kmeans_plusplus(rows, n_clusters, w, random_state, shift)[0]


# ---------------------------------------------------------------------------
# predict, transform, score


def _rows_of(X, n_features):
    if X.ndim != 2 or X.shape[1] != n_features:
        raise InputError(f"X has {X.shape[-1] if X.ndim else 0} features, but KMeans is "
                         f"expecting {n_features} features as input.")
    if np.dtype(X.dtype) not in [np.dtype(t) for t in DATA_DTYPES]:
        X = X.astype(np.float64)
    return X.rechunk({1: -1})


def _predict_block(block, centers):
    with _kernel_threads():
        labels = labels_inertia(np.ascontiguousarray(block), centers, return_inertia=False)
    if labels.size and labels.min() < 0:
        raise InputError("Input X contains NaN or infinity (or values whose squares overflow).")
    return labels


def _transform_block(block, centers):
    with _kernel_threads():
        return np.sqrt(squared_distances(np.ascontiguousarray(block), centers))


def _inertia_block(block, weights, centers):
    with _kernel_threads():
        w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
        return np.array([labels_inertia(np.ascontiguousarray(block), centers, w)[1]])


def predict(estimator, X):
    """``KMeans.predict`` on a Dask array: a lazy int32 Dask array of labels."""
    _require_dask()
    X = _rows_of(X, estimator.n_features_in_)
    return X.map_blocks(_predict_block, estimator.cluster_centers_, drop_axis=1,
                        dtype=np.int32)


def transform(estimator, X):
    """``KMeans.transform`` on a Dask array: a lazy Dask array of distances."""
    _require_dask()
    X = _rows_of(X, estimator.n_features_in_)
    centers = estimator.cluster_centers_
    dtype = np.result_type(compute_dtype(X.dtype), compute_dtype(centers.dtype))
    return X.map_blocks(_transform_block, centers, chunks=(X.chunks[0], (centers.shape[0],)),
                        dtype=dtype)


def score(estimator, X, sample_weight=None):
    """``KMeans.score`` on a Dask array: minus the inertia, per-chunk inertias added in
    chunk order (computed on the active scheduler)."""
    import dask.array as da

    X = _rows_of(X, estimator.n_features_in_)
    if sample_weight is None:
        parts = X.map_blocks(_inertia_block, None, estimator.cluster_centers_, drop_axis=1,
                             chunks=((1,) * X.numblocks[0],), dtype=np.float64)
    else:
        if isinstance(sample_weight, da.Array):
            sample_weight = sample_weight.compute()
        w = check_sample_weight(sample_weight, int(X.shape[0]))
        # (n, 1), so that its blocks pair with X's row blocks
        w = da.from_array(w[:, None], chunks=(X.chunks[0], (1,)))
        parts = da.map_blocks(_inertia_block, X, w, estimator.cluster_centers_, drop_axis=1,
                              chunks=((1,) * X.numblocks[0],), dtype=np.float64)
    total = 0.0
    for v in parts.compute():  # chunk order
        total += float(v)
    return -total
