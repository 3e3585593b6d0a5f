"""What one step of pixelmeans' Dask fit costs, measured here: the inputs of the cost
model in docs/distributed.md ("Cost model"), and its predictions.

(a) Compute, on one thread, in this process (the code a worker runs, without Dask):
    ``ChunkState.step`` on ``--rows`` InfiMNIST images (uint8, d = 784, from the
    cached store) at k = ``--k``: a Lloyd step (every point against every centre), the
    steps of a Yinyang fit (the kernel "auto" runs at k = 256 for the 10^8 and 10^9
    images modelled, where Elkan's bounds would pass 1 GiB) from ``--k`` random rows
    to tol 1e-4 or ``--fit-steps`` steps (the last steps move few points), and the
    fixed part of a chunk's step (the same steps on a chunk of 100 rows).
(b) Overhead, on a real ``LocalCluster`` of 2 worker processes x 1 thread on 127.0.0.1:
    the round trip of a trivial task; the wall and CPU time (scheduler, client) per
    task of tasks submitted one by one (200 trivial ones, 64 carrying a step message);
    the client's time to fetch and add one k x d float64 result; one step of the fit on
    tiny chunks (100 rows each) for 2, 8 and 32 chunks, with uint8 data (sums added up
    on each worker) and float32 data (sums back per chunk): the latency of a step.
(c) Bytes of a step: computed from k, d and the dtypes, and as distributed counts them
    (client to scheduler, scheduler to workers, workers to client) for one tiny step.

Then the model (``model``) predicts the time of a step for 1e8 and 1e9 images on 8, 64
and 512 workers of one thread each and stores the table with the measurements.

Usage: python benchmarks/bench_dask_costs.py [--rows 50000] [--k 256] [--fit-steps 60]
       [--network-gbps 10] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from provenance import provenance, result_name, write_result

D = 784
TINY_ROWS = 100


def _median_time(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _message(t, centers, shift, kernel="lloyd"):
    # prev: a copy, as in a fit (the same object would be pickled once)
    return {"run": 0, "t": t, "kernel": kernel, "shift": shift, "centers": centers,
            "prev": None if t == 0 else centers.copy(), "keep": None, "want_inertia": False}


def measure_compute(X, k, fit_steps, seed=0):
    """(a): seconds of a chunk's step on one thread; see the module docstring."""
    import numba

    from pixelmeans.cluster import distributed as dk
    from pixelmeans.cluster.bounds import YinyangKernel
    from pixelmeans.cluster.kernels import data_shift
    from pixelmeans.cluster.lloyd import kmeans_single

    numba.set_num_threads(1)
    n = X.shape[0]
    shift, var, _, _ = data_shift(X, np.float32)
    rng = np.random.default_rng(seed)
    centers = np.ascontiguousarray(X[np.sort(rng.choice(n, k, replace=False))],
                                   dtype=np.float32) - shift

    def chunk_steps(rows, kernel, reps):
        state = dk.ChunkState(rows, None, 0, 0)
        state.step(_message(0, centers, shift, kernel))  # builds the kernel
        t = [1]

        def one():
            state.step(_message(t[0], centers, shift, kernel))
            t[0] += 1
        return _median_time(one, reps)

    out = {"rows": n, "k": k, "d": X.shape[1], "threads": 1}
    out["lloyd_step_seconds"] = chunk_steps(X, "lloyd", 2)
    out["fixed_step_seconds"] = {kern: chunk_steps(X[:TINY_ROWS], kern, 20)
                                 for kern in ("lloyd", "yinyang")}
    stamps = [time.perf_counter()]
    steps = []

    def record(step):
        if step.step:
            now = time.perf_counter()
            steps.append({"step": step.step, "seconds": now - stamps[-1],
                          "n_changed": int(step.n_changed)})
            stamps.append(now)

    run = kmeans_single(X, np.ones(n), centers, shift=shift, max_iter=fit_steps,
                        tol=float(np.mean(var)) * 1e-4, kernel_factory=YinyangKernel,
                        callback=record)
    last = steps[-10:]
    out["yinyang_fit"] = {
        "n_iter": run.n_iter, "converged": bool(run.converged), "steps": steps,
        "first_step_seconds": steps[0]["seconds"],
        "late_step_seconds": float(np.median([s["seconds"] for s in last])),
        "late_changed_fraction": float(np.median([s["n_changed"] for s in last]) / n),
    }
    return out


def _tiny_chunks(client, n_chunks, dtype, k, rng):
    import dask.array as da

    from pixelmeans.cluster import distributed as dk

    X = rng.integers(0, 256, size=(TINY_ROWS * n_chunks, D)).astype(dtype)
    _, chunks = dk._prepare(client, da.from_array(X, chunks=(TINY_ROWS, -1)), None)
    centers = np.ascontiguousarray(X[:k], dtype=np.float32)
    return chunks, centers, np.zeros(D, np.float32)


def _step_call(chunks, centers, shift, t):
    from pixelmeans.cluster import distributed as dk

    parts = chunks.call("step", _message(t, centers, shift),
                        combine=dk._add_steps if chunks.exact_sums else None)
    return dk._add_steps(parts)


def _noop(x):
    return None


def _cpu_seconds():
    return time.process_time()


def _task_costs(client, arg, n):
    """``n`` tasks submitted one by one, as a step submits its tasks: wall seconds per
    task, and the CPU seconds per task of the scheduler and of the client processes."""
    from distributed import wait

    # A LocalCluster's scheduler runs in the client's process: count that process once.
    shared = client.run_on_scheduler(os.getpid) == os.getpid()
    sched, mine, t = client.run_on_scheduler(_cpu_seconds), _cpu_seconds(), time.perf_counter()
    wait([client.submit(_noop, arg, pure=False) for _ in range(n)])
    wall = (time.perf_counter() - t) / n
    sched = (client.run_on_scheduler(_cpu_seconds) - sched) / n
    mine = (_cpu_seconds() - mine) / n
    return {"tasks": n, "wall_seconds_per_task": wall, "scheduler_in_client_process": shared,
            "cpu_seconds_per_task": mine if shared else sched + mine}


def _result_cost(client, k, n, reps=5):
    """Seconds for the client to fetch one k x d float64 array from a worker and add
    it to a running sum (``n`` at a time, the median of ``reps``)."""
    from distributed import wait

    def once():
        futures = [client.submit(np.full, (k, D), float(i), pure=False) for i in range(n)]
        wait(futures)
        t = time.perf_counter()
        total = np.zeros((k, D))
        for part in client.gather(futures, direct=True):
            total += part
        return (time.perf_counter() - t) / n
    return float(np.median([once() for _ in range(reps)]))


def _byte_counts(client):
    """Bytes sent so far: client to scheduler, scheduler to workers, workers to client."""
    to_workers = client.run_on_scheduler(
        lambda dask_scheduler: sum(b.byte_count for b in dask_scheduler.stream_comms.values()))
    served = client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
    return {"client_to_scheduler": client.scheduler_comm.byte_count,
            "scheduler_to_workers": to_workers, "workers_to_client": sum(served.values())}


def measure_overhead(k, reps=15):
    """(b) and (c) on a LocalCluster(2 workers x 1 thread); see the module docstring."""
    from distributed import Client, LocalCluster, wait

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    out = {"workers": 2, "threads_per_worker": 1, "k": k, "d": D}
    rng = np.random.default_rng(0)
    try:
        client.submit(_noop, 0, pure=False).result()
        out["trivial_task_round_trip_seconds"] = _median_time(
            lambda: client.submit(_noop, 0, pure=False).result(), 30)
        msg = _message(1, np.zeros((k, D), np.float32), np.zeros(D, np.float32))
        out["tasks"] = {"plain": _task_costs(client, None, 200),
                        "with_message": _task_costs(client, msg, 64)}
        out["seconds_per_result_at_client"] = _result_cost(client, k, 32)

        steps = {}
        for dtype in ("uint8", "float32"):
            for n_chunks in (2, 8, 32):
                chunks, centers, shift = _tiny_chunks(client, n_chunks, dtype, k, rng)
                _step_call(chunks, centers, shift, 0)
                t = [1]

                def one():
                    _step_call(chunks, centers, shift, t[0])
                    t[0] += 1
                steps[f"{dtype}-{n_chunks}"] = _median_time(one, reps)
                if n_chunks == 8:
                    before = _byte_counts(client)
                    one()
                    time.sleep(0.1)  # let the batched streams flush their counts
                    after = _byte_counts(client)
                    out[f"bytes_one_step_{dtype}_8_chunks"] = {
                        key: after[key] - before[key] for key in after}
                del chunks
        out["tiny_step_seconds"] = steps
        # The latency of a step: two tiny chunks, one task per worker.
        out["step_latency_seconds"] = steps["uint8-2"]
    finally:
        client.close()
        cluster.close()
    out["expected_bytes"] = expected_bytes(k, D, n_workers=2, n_chunks=8)
    return out


def expected_bytes(k, d, n_workers, n_chunks):
    """Payload bytes of one step from k, d and the dtypes (float32 centres, float64 sums).

    Out: each worker's task carries the centres and the previous centres (``2 k d``
    float32) and the shift (``d`` float32). Back: ``k d + k`` float64 numbers per
    worker (uint8 data, sums added on the worker) or per chunk (other data).
    """
    out = n_workers * (2 * k * d + d) * 4
    back = (k * d + k) * 8
    return {"out": out, "back_uint8": n_workers * back, "back_float": n_chunks * back,
            "out_per_worker": out // n_workers, "back_per_result": back}


def model(compute, overhead, *, images, workers, chunk_rows, kind, network_gbps, k, d=D):
    """Predicted seconds of one step (see docs/distributed.md, "Cost model").

    ``T = C + L + W (s + r + (b_out + b_back) / B)``: ``C`` the slowest worker's
    compute (its ``images / W`` rows at the measured rate, plus the fixed part of each
    of its chunks), ``L`` the latency of a step, and per worker: ``s`` the CPU time of
    the scheduler and of the client for a task carrying the centres (added, as if
    nothing overlapped), ``r`` the client's time to fetch and add one k x d float64
    result (uint8 data: one result per worker), and the bytes to and from that worker
    over a network of ``B``.
    """
    rows = compute["rows"]
    fixed = compute["fixed_step_seconds"]["lloyd" if kind == "lloyd" else "yinyang"]
    per_chunk = (compute["lloyd_step_seconds"] if kind == "lloyd"
                 else compute["yinyang_fit"]["late_step_seconds"])
    per_row = max(per_chunk - fixed, 0.0) / rows
    per_worker_rows = images / workers
    chunks_per_worker = max(1.0, per_worker_rows / chunk_rows)
    c = per_worker_rows * per_row + chunks_per_worker * fixed
    tasks = overhead["tasks"]["with_message"]
    task = tasks["cpu_seconds_per_task"]
    nbytes = expected_bytes(k, d, 1, 1)
    wire = (nbytes["out_per_worker"] + nbytes["back_per_result"]) / (network_gbps * 1e9 / 8)
    per_worker = task + overhead["seconds_per_result_at_client"] + wire
    o = overhead["step_latency_seconds"] + workers * per_worker
    return {"images": images, "workers": workers, "kind": kind, "chunk_rows": chunk_rows,
            "compute_seconds": c, "overhead_seconds": o, "step_seconds": c + o,
            "overhead_per_worker_seconds": per_worker,
            "best_workers": float(np.sqrt(images * per_row / per_worker)),
            "client_bytes_in": workers * nbytes["back_per_result"],
            "worker_data_bytes": per_worker_rows * d}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=256)
    parser.add_argument("--fit-steps", type=int, default=60)
    parser.add_argument("--network-gbps", type=float, default=10.0,
                        help="assumed bandwidth into the client and out of the scheduler "
                             "(not measured: loopback here)")
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    from pixelmeans.data.infimnist import open_infimnist

    out = {"provenance": provenance(), "load_before": os.getloadavg()}
    from importlib import metadata
    for name in ("dask", "distributed"):
        out["provenance"]["versions"][name] = metadata.version(name)
    images, _ = open_infimnist(args.rows)
    X = np.ascontiguousarray(np.asarray(images[:args.rows]).reshape(args.rows, -1))
    out["compute"] = measure_compute(X, args.k, args.fit_steps)
    del X
    print("compute", {key: v for key, v in out["compute"].items() if key != "yinyang_fit"},
          {key: v for key, v in out["compute"]["yinyang_fit"].items() if key != "steps"},
          flush=True)
    out["overhead"] = measure_overhead(args.k)
    print("overhead", out["overhead"], flush=True)
    out["load_after"] = os.getloadavg()
    out["network_gbps_assumed"] = args.network_gbps
    out["model"] = [model(out["compute"], out["overhead"], images=n, workers=w,
                          chunk_rows=100_000, kind=kind, network_gbps=args.network_gbps,
                          k=args.k)
                    for kind in ("late", "lloyd") for n in (10**8, 10**9) for w in (8, 64, 512)]
    for row in out["model"]:
        print(row, flush=True)
    path = write_result(args.out or result_name("dask-costs", f"-k{args.k}"), out)
    print("wrote", path)


if __name__ == "__main__":
    main()
