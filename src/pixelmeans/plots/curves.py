"""Line figures against k for the sweep: elbow, accuracy, and a generic one
(silhouette, stability)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from pixelmeans.errors import InputError

_COLOURS = ("#1f4e8c", "#d1495b", "#2e8b57", "#e09f3e", "#6a4c93", "#555555")


def _as_x(ks) -> np.ndarray:
    x = np.asarray(ks, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise InputError("no k values to plot")
    return x


def _use_log(x: np.ndarray, logx: bool | None) -> bool:
    if logx is not None:
        return bool(logx)
    pos = x[x > 0]
    return pos.size == x.size and pos.size >= 3 and pos.max() / pos.min() >= 20


def _axes(fig: Figure, x: np.ndarray, logx: bool, xlabel: str):
    ax = fig.add_subplot()
    if logx:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    if x.size <= 16:
        ax.set_xticks(x)
    ax.set_xlabel(xlabel)
    ax.grid(True, color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _check_y(y, n: int, name: str) -> np.ndarray:
    a = np.asarray(y, dtype=np.float64)
    if a.shape[0] != n:
        raise InputError(f"{name}: expected {n} values (one per k), got {a.shape[0]}")
    return a


def elbow_figure(ks, inertia, fit_time=None, knee=None, *, logx: bool | None = None,
                 title: str | None = None) -> Figure:
    """Inertia against k, with the knee marked and fit time on a second axis.

    Parameters
    ----------
    ks : array_like of int, shape (n,)
        Numbers of clusters, increasing.
    inertia : array_like of float, shape (n,) or (n, r)
        Inertia per k; with ``r`` restarts per k, the best (lowest) is drawn as the
        line and every restart as a faint dot, showing the spread.
    fit_time : array_like of float, shape (n,) or (n, r), optional
        Seconds per fit (the mean over restarts is drawn), on the right axis.
    knee : int, optional
        The k to mark, e.g. from `knee_point`.
    logx : bool, optional
        Log-2 k axis; default when k spans a factor of 20 or more.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = _as_x(ks)
    inert = _check_y(inertia, x.size, "inertia")
    logx = _use_log(x, logx)
    fig = Figure(figsize=(8.0, 4.6), layout="constrained")
    ax = _axes(fig, x, logx, "k (number of clusters)")
    best = inert.min(axis=1) if inert.ndim == 2 else inert
    if inert.ndim == 2 and inert.shape[1] > 1:
        ax.scatter(np.repeat(x, inert.shape[1]), inert.reshape(-1), s=10, color=_COLOURS[0],
                   alpha=0.3, linewidths=0, label="each restart")
    ax.plot(x, best, marker="o", ms=4, color=_COLOURS[0], lw=1.8,
            label="inertia (best restart)" if inert.ndim == 2 else "inertia")
    ax.set_ylabel("inertia (sum of squared distances)")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
    handles, labels = ax.get_legend_handles_labels()
    if knee is not None:
        hit = np.flatnonzero(x == float(knee))
        ax.axvline(float(knee), color="#888888", ls="--", lw=1)
        if hit.size:
            ax.plot([x[hit[0]]], [best[hit[0]]], marker="o", ms=11, mfc="none",
                    mec=_COLOURS[1], mew=2)
        ax.annotate(f"knee: k = {knee:g}" if isinstance(knee, (int, float, np.number)) else f"knee: k = {knee}",
                    xy=(float(knee), 1.0), xycoords=("data", "axes fraction"),
                    xytext=(5, -5), textcoords="offset points", ha="left", va="top",
                    color=_COLOURS[1], fontsize=9)
    if fit_time is not None:
        ft = _check_y(fit_time, x.size, "fit_time")
        ft = ft.mean(axis=1) if ft.ndim == 2 else ft
        ax2 = ax.twinx()
        ax2.plot(x, ft, marker="s", ms=3, color=_COLOURS[3], lw=1.2, ls=":",
                 label="fit time (mean)")
        ax2.set_ylabel("fit time (s)", color=_COLOURS[3])
        ax2.tick_params(axis="y", colors=_COLOURS[3])
        ax2.set_ylim(bottom=0)
        ax2.spines["top"].set_visible(False)
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="upper right", frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def line_figure(x, ys, *, xlabel: str = "k (number of clusters)", ylabel: str = "",
                errors=None, title: str | None = None, logx: bool | None = None,
                ylim: tuple[float | None, float | None] | None = None,
                annotate: bool | None = None, mark=None) -> Figure:
    """One or more named series against x (silhouette, stability, anything per k).

    Parameters
    ----------
    x : array_like of float, shape (n,)
    ys : array_like of float, shape (n,), or mapping of name -> array_like (n,)
        One unnamed series, or several drawn in distinct colours with a legend.
        NaN leaves a gap (e.g. no test split).
    xlabel, ylabel, title : str
    errors : array_like (n,) or mapping name -> array_like (n,), optional
        Half-widths of a shaded band around each series (e.g. a standard deviation).
    logx : bool, optional
        Log-2 x axis; default when x spans a factor of 20 or more.
    ylim : (float or None, float or None), optional
    annotate : bool, optional
        Write each value beside its point; default when there are at most 12 points.
    mark : float, optional
        An x to mark with a dashed vertical line (e.g. the chosen k).

    Returns
    -------
    matplotlib.figure.Figure
    """
    xv = _as_x(x)
    series = dict(ys) if isinstance(ys, Mapping) else {"": ys}
    if errors is not None and not isinstance(errors, Mapping):
        errors = {next(iter(series)): errors}
    errors = errors or {}
    logx = _use_log(xv, logx)
    annotate = xv.size <= 12 if annotate is None else annotate
    fig = Figure(figsize=(8.0, 4.4), layout="constrained")
    ax = _axes(fig, xv, logx, xlabel)
    for n, (name, y) in enumerate(series.items()):
        yv = _check_y(y, xv.size, name or ylabel or "values").reshape(-1)
        colour = _COLOURS[n % len(_COLOURS)]
        ax.plot(xv, yv, marker="o", ms=4, lw=1.8, color=colour, label=name or None)
        if name in errors:
            ev = _check_y(errors[name], xv.size, f"errors of {name or 'values'}").reshape(-1)
            ax.fill_between(xv, yv - ev, yv + ev, color=colour, alpha=0.15, linewidth=0)
        if annotate:
            below = n % 2 == 1
            for xi, yi in zip(xv, yv):
                if np.isfinite(yi):
                    ax.annotate(f"{yi:.3f}", (xi, yi), xytext=(0, -11 if below else 6),
                                textcoords="offset points", ha="center", fontsize=7,
                                color=colour)
    if mark is not None:
        ax.axvline(float(mark), color="#888888", ls="--", lw=1)
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if any(series):
        ax.legend(frameon=False, fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return fig


def accuracy_vs_k_figure(ks, train, test=None, *, title: str | None = None,
                         logx: bool | None = None, ylabel: str = "accuracy (majority-label purity)") -> Figure:
    """Train (and test) accuracy of the best restart against k.

    Parameters
    ----------
    ks : array_like of int, shape (n,)
    train : array_like of float in [0, 1], shape (n,)
    test : array_like of float in [0, 1], shape (n,), optional
    title : str, optional
    logx : bool, optional
        Default when k spans a factor of 20 or more.
    ylabel : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    ys = {"train": train}
    if test is not None:
        ys["test"] = test
    values = np.concatenate([np.asarray(v, dtype=float).reshape(-1) for v in ys.values()])
    finite = values[np.isfinite(values)]
    bottom = max(0.0, np.floor((finite.min() - 0.05) * 10) / 10) if finite.size else 0.0
    return line_figure(ks, ys, ylabel=ylabel, title=title, logx=logx, ylim=(bottom, 1.0))
