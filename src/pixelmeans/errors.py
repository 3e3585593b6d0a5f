"""Errors pixelmeans raises for bad input.

`InputError` subclasses ValueError so that scikit-learn-style callers that catch
ValueError keep working; the CLI turns it into a one-line message and exit code 2.
"""


class InputError(ValueError):
    """Bad user input: a file, a name or a parameter that is not what was expected.

    The message names the thing and what was expected, on one line.
    """


class MissingDependencyError(ImportError):
    """An optional dependency is needed for what was asked; the message says what to install."""


class ClusterError(RuntimeError):
    """A Dask cluster could not finish a fit (workers lost beyond what Dask recomputes).

    The message says what was lost, on one line; the CLI exits with code 2.
    """
