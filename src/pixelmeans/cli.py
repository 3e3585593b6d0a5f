"""The ``pixelmeans`` command line.

The CLI only parses arguments and calls the library (run.py, sweep.py, data/, ...).
Errors in the user's input become one line on stderr and exit code 2; Ctrl-C is
exit code 130; ``--debug`` shows the traceback instead. Log messages of the
``pixelmeans`` logger go to stderr: INFO and above by default, ``-v`` adds DEBUG,
``-q`` keeps only warnings and errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from contextlib import contextmanager

from pixelmeans import __version__
from pixelmeans.errors import ClusterError, InputError, MissingDependencyError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def exit_on_sigterm():
    """Make SIGTERM unwind like Ctrl-C so temporary folders are cleaned up."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        pass


# --- subcommand handlers: each takes the parsed namespace and returns an exit code ---


def _cmd_datasets(args: argparse.Namespace) -> int:
    from pixelmeans.data.fetch import catalog_status, data_root

    rows = [("name", "cached", "where")]
    rows += [(r["name"], r["cached"], r["where"]) for r in catalog_status(args.data_dir)]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, cached, where in rows:
        print(f"{name:<{widths[0]}}  {cached:<{widths[1]}}  {where}")
    print(f"\ndata folder: {data_root(args.data_dir)} (change with --data-dir or $PIXELMEANS_DATA)")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from pixelmeans.data.fetch import cached_files, fetch_dataset
    from pixelmeans.data import catalog

    if args.name.strip().lower() == "infimnist":
        from pixelmeans.data.infimnist import MNIST8M_SIZE, fetch_infimnist

        from pixelmeans.data import load_dataset

        fetch_infimnist(lambda: load_dataset("mnist", split="train", data_dir=args.data_dir),
                        MNIST8M_SIZE if args.n is None else args.n, args.seed, args.data_dir)
        return 0
    if args.n is not None:
        raise InputError(f"--n: only for infimnist, which is generated; {args.name} is downloaded whole")
    folder = fetch_dataset(args.name, args.data_dir)
    files = cached_files(catalog.get(args.name), args.data_dir)
    print(f"{catalog.get(args.name).name}: {len(files)} files verified in {folder}")
    for f in files:
        print(f"  {f.name}  {f.stat().st_size:,} bytes")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from pixelmeans.config import RunConfig
    from pixelmeans.run import run

    exit_on_sigterm()
    config = RunConfig(**_fit_settings(args), k=args.k, animation=not args.no_animation,
                       centroid_units=args.centroid_units, map=args.map)
    with _cluster(args):
        run(config)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from pixelmeans.centroids import evaluate_file

    evaluate_file(args.centroids, args.data, out=args.out, overwrite=args.overwrite)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from pixelmeans.sweep import SweepConfig, parse_k, sweep

    exit_on_sigterm()
    config = SweepConfig(**_fit_settings(args), k=parse_k(args.k), resume=args.resume)
    with _cluster(args):
        sweep(config)
    return 0


def _cluster(args: argparse.Namespace):
    """The Dask cluster of ``--scheduler`` for the block (nothing without it)."""
    from pixelmeans.cluster.distributed import use_cluster

    return use_cluster(args.scheduler)


def _cmd_embed(args: argparse.Namespace) -> int:
    from pixelmeans.embed import embed

    exit_on_sigterm()
    from pixelmeans.config import parse_feature_options

    embed(features=args.features, dataset=args.dataset, data=args.data, split=args.split,
          seed=args.seed, out=args.out, overwrite=args.overwrite,
          feature_options=parse_feature_options(args.feature_options))
    return 0


# --- parser ---


FEATURES_HELP = ("[deskew+][hog+](pixels | pca[:D] | autoencoder[:D] | umap[:D] | ae+umap[:D] | clr[:D] "
                 "| clr+umap[:D]) | a file saved by `pixelmeans embed` (default: pixels)")
SET_HELP = ("a parameter of the features, as make_features takes it (repeatable): "
            "--set clr_arch=conv --set ae_epochs=15")
RUN_EXAMPLES = """examples:
  pixelmeans run                                       k = 10 on MNIST's pixels
  pixelmeans run --dataset fashion-mnist --k 12
  pixelmeans run --features deskew+hog+ae+umap --set ae_epochs=15
  pixelmeans run --data letters.csv --k 12 --init init.csv --empty-clusters drop --tol 0 --n-init 1
"""


def _shared_options():
    """The option groups several commands share, each defined once (argparse parents)."""
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, top_level=False)
    common.add_argument("--threads", type=_thread_count, metavar="N",
                        help="CPU threads to compute with (default: every core, or the limit "
                             "set on the BLAS/OpenMP thread pools)")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--dataset", default="mnist",
                      help="known data set name, see `pixelmeans datasets` (default: mnist)")
    data.add_argument("--data", metavar="FILE_OR_DIR",
                      help="your own images instead: IDX, label-first CSV, NPZ or a folder of PNGs")
    fit = argparse.ArgumentParser(add_help=False)
    fit.add_argument("--n-init", type=int, default=5, help="restarts; the best one is kept (default: 5)")
    fit.add_argument("--max-iter", type=int, default=300, help="most steps per restart (default: 300)")
    fit.add_argument("--tol", type=float, default=1e-4,
                     help="convergence tolerance, relative to the data's mean variance (default: 1e-4)")
    fit.add_argument("--init", default="k-means++",
                     help="k-means++ | k-means|| | random | random-points | FILE.csv or FILE.npy of "
                          "centroids, in pixel units 0..255 or in [0, 1] (default: k-means++)")
    fit.add_argument("--empty-clusters", choices=["relocate", "drop", "keep"], default="relocate",
                     help="what happens to a centroid that loses all its points (default: relocate)")
    fit.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    fit.add_argument("--overwrite", action="store_true",
                     help="replace an existing results folder that pixelmeans wrote")
    fit.add_argument("--scheduler", metavar="tcp://HOST:PORT|local:N",
                     help="fit on a Dask cluster: an existing scheduler, or N local worker "
                          "processes (needs pixelmeans[dask]; k-means++ then runs on a sample)")
    features = argparse.ArgumentParser(add_help=False)
    features.add_argument("--features", default="pixels", help=FEATURES_HELP)
    features.add_argument("--set", dest="feature_options", action="append", default=[],
                          metavar="KEY=VALUE", help=SET_HELP)
    return common, data, fit, features


def _add_common_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """--debug, -v and -q, on the top level and after each subcommand.

    After a subcommand their default is SUPPRESS, so that a value given on the top
    level stands when the option is not repeated there.
    """
    debug, count = (False, 0) if top_level else (argparse.SUPPRESS, argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", default=debug,
                        help="show the full traceback on errors")
    parser.add_argument("-v", "--verbose", action="count", default=count,
                        help="more messages: debugging detail as well")
    parser.add_argument("-q", "--quiet", action="count", default=count,
                        help="fewer messages: only warnings and errors, no progress lines")


def _fit_settings(args: argparse.Namespace) -> dict:
    """The FitConfig fields that run and sweep both take from the command line."""
    from pixelmeans.config import parse_feature_options

    return dict(dataset=args.dataset, data=args.data, n_init=args.n_init, max_iter=args.max_iter,
                tol=args.tol, init=args.init, empty_clusters=args.empty_clusters, seed=args.seed,
                features=args.features, feature_options=parse_feature_options(args.feature_options),
                out=args.out, overwrite=args.overwrite)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``pixelmeans`` command."""
    parser = argparse.ArgumentParser(
        prog="pixelmeans",
        description="k-means on MNIST-family images: centroids as pictures, and how well they match the labels.",
    )
    parser.add_argument("--version", action="version", version=f"pixelmeans {__version__}")
    _add_common_options(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common, data, fit, features = _shared_options()

    p = sub.add_parser("datasets", parents=[common], help="list the known data sets and whether each is cached")
    p.add_argument("--data-dir", help="data folder (default: $PIXELMEANS_DATA or the user cache)")
    p.set_defaults(handler=_cmd_datasets)

    p = sub.add_parser("fetch", parents=[common], help="download (or find) a data set and verify it into the cache")
    p.add_argument("name", help="data set name, see `pixelmeans datasets`")
    p.add_argument("--data-dir", help="cache folder (default: $PIXELMEANS_DATA or the user cache)")
    p.add_argument("--n", type=int, help="infimnist only: how many images to generate (default: 8100000)")
    p.add_argument("--seed", type=int, default=0, help="infimnist only: generator seed (default: 0)")
    p.set_defaults(handler=_cmd_fetch)

    p = sub.add_parser("run", parents=[common, data, fit, features],
                       help="fit k-means and write a results folder with an HTML report",
                       epilog=RUN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--k", type=int, help="number of clusters (default: the number of classes)")
    p.add_argument("--out", help="results folder (default: results/<dataset>-k<k>/)")
    p.add_argument("--no-animation", action="store_true", help="skip evolution.gif and steps/")
    p.add_argument("--centroid-units", choices=["features", "pixels"], default="features",
                   help="units of centroids.csv: the features' (default; [0, 1] on pixels) or "
                        "pixels 0..255 (pixel features only)")
    p.add_argument("--map", choices=["pca+umap", "pca", "none"], default="pca+umap",
                   help="2-D maps of a sample of the images, by cluster and by label: PCA and "
                        "UMAP (default; UMAP when umap-learn is installed, about 11 s more), "
                        "PCA only, or none")
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("evaluate", parents=[common],
                       help="majority-label accuracy of a centroids file on labelled images")
    p.add_argument("--centroids", required=True, metavar="FILE",
                   help="CSV (with or without a key column) or .npy, in pixel units 0..255 or in [0, 1]")
    p.add_argument("--data", required=True, metavar="FILE_OR_DIR",
                   help="labelled images: IDX, label-first CSV or NPZ")
    p.add_argument("--out", metavar="FILE", help="also write the result as FILE.json or FILE.csv")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(handler=_cmd_evaluate)

    p = sub.add_parser("sweep", parents=[common, data, fit, features],
                       help="fit a range of k with restarts: elbow, accuracy, stability")
    p.add_argument("--k", nargs="+", default=["5", "7", "10", "12"],
                   help="values of k: integers, a:b, a:b:step or a:b:log (default: 5 7 10 12)")
    p.add_argument("--out", help="results folder (default: results/<dataset>-sweep/)")
    p.add_argument("--resume", action="store_true", help="skip the cells a killed sweep already finished")
    p.set_defaults(handler=_cmd_sweep)

    p = sub.add_parser("embed", parents=[common, data],
                       help="train a feature embedding (PCA, autoencoder, UMAP) and save it")
    p.add_argument("--features", required=True, help=FEATURES_HELP)
    p.add_argument("--set", dest="feature_options", action="append", default=[], metavar="KEY=VALUE",
                   help=SET_HELP)
    p.add_argument("--split", choices=["train", "all"], default="train",
                   help="images to train on (default: train; all = train and test)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="where to save it; reuse with `pixelmeans run --features FILE`")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(handler=_cmd_embed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pixelmeans`` command; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        # A file name with bytes that are not UTF-8 reaches us as lone surrogates; print
        # it escaped rather than fail on it.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    with _messages_on_stderr(args.verbose - args.quiet), _thread_limit(getattr(args, "threads", None)):
        return _call(args)


def _thread_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return n


@contextmanager
def _thread_limit(n: int | None):
    """``--threads N``: every thread pool of the process (BLAS, OpenMP, numba) at N.

    KMeans reads the limit threadpoolctl reports (``n_threads=None``), so this one
    setting reaches every fit, and the feature extractors' libraries as well.
    """
    if n is None:
        yield
        return
    import numba
    from threadpoolctl import threadpool_limits

    before = numba.get_num_threads()
    with threadpool_limits(limits=n):
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        try:
            yield
        finally:
            numba.set_num_threads(before)


def _call(args: argparse.Namespace) -> int:
    """Run the subcommand's handler; the user's errors become one line and exit code 2."""
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("pixelmeans: interrupted; nothing half-written was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (InputError, MissingDependencyError, ClusterError, FileNotFoundError, FileExistsError,
            PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        if args.debug:
            raise
        print(f"pixelmeans: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


@contextmanager
def _messages_on_stderr(verbosity: int):
    """Show the ``pixelmeans`` logger's messages on stderr while the command runs.

    ``verbosity``: -v counts up, -q down; 0 shows INFO (progress lines, notes), 1 and
    more DEBUG, -1 and less WARNING. The handler and level are undone afterwards, so a
    caller of :func:`main` keeps its own logging configuration.
    """
    level = logging.INFO if verbosity == 0 else logging.DEBUG if verbosity > 0 else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("pixelmeans")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {exc.strerror or text}"
    return " ".join(text.split())
