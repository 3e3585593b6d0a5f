"""Every feature transformer passes scikit-learn's estimator checks, and the features go
in a Pipeline with KMeans whose output is a DataFrame.

The checks feed small tables of 1 to 10 columns, not square images: the image stages
(Deskew, HOG, and the contrastive encoder, which moves images) read them as images of
one row (``image_shape=(1, -1)``; HOG with cells and blocks of one pixel). The learned
transformers train for one epoch of a tiny network, and UMAP keeps 8 neighbours, so
that the checks' 20 to 30 samples give it one connected graph (umap-learn's layout of a
graph in several pieces is not the same from one fit to the next with the same seed).
No check is expected to fail: ``EXPECTED_FAILURES`` is where one would be listed, with
the reason.
"""

import importlib.util

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import pixelmeans
from pixelmeans.features import HOG, AEUMAP, Deskew, make_features

HAS_DEEP = all(importlib.util.find_spec(m) is not None for m in ("torch", "umap"))

TINY_NET = dict(hidden=(4,), epochs=1, batch_size=8, device="cpu", n_threads=1, verbose=False)
TINY_UMAP = dict(n_neighbors=8, n_epochs=5)

# {estimator class name: {check name: reason}}; none is needed today
EXPECTED_FAILURES: dict[str, dict[str, str]] = {}


def _expected(estimator) -> dict[str, str]:
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


PLAIN = [
    make_features("pixels"),
    make_features("pca:2"),
    Deskew(image_shape=(1, -1)),
    HOG(image_shape=(1, -1), cell=1, block=1),
]


def _deep():
    ae = make_features("autoencoder:2", shift=0, rotation=0, **TINY_NET)
    clr = make_features("clr:2", projection_dim=2, image_shape=(1, -1), **TINY_NET)
    umap = make_features("umap:2", **TINY_UMAP)
    return [ae, clr, umap, AEUMAP(autoencoder=ae, umap=umap), AEUMAP(autoencoder=clr, umap=umap)]


@parametrize_with_checks(PLAIN, expected_failed_checks=_expected)
def test_plain_features_pass_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.skipif(not HAS_DEEP, reason="the [deep] extra (torch, umap-learn) is not installed")
@parametrize_with_checks(_deep(), expected_failed_checks=_expected)
def test_learned_features_pass_sklearn_checks(estimator, check):
    check(estimator)


def test_make_features_specs_build_the_checked_classes():
    # the settings above go through make_features: the checked objects are what it builds
    assert [type(t).__name__ for t in PLAIN[:2]] == ["PixelFeatures", "PCAFeatures"]
    assert [type(t).__name__ for t in _deep()] == ["AutoencoderFeatures", "ContrastiveFeatures", "UMAPFeatures",
                                                   "AEUMAP", "AEUMAP"]
    assert type(make_features("ae+umap:2", **TINY_UMAP)) is AEUMAP


def test_pipeline_with_kmeans_outputs_dataframes():
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(0).integers(0, 256, (120, 28, 28), dtype=np.uint8)
    pipe = make_pipeline(make_features("pca:20"), pixelmeans.KMeans(3, random_state=0)).set_output(transform="pandas")
    pipe.fit(X)
    distances = pipe.transform(X)
    assert isinstance(distances, pd.DataFrame) and distances.shape == (120, 3)
    assert list(distances.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    features = pipe[:-1].transform(X)
    assert list(features.columns[:2]) == ["pcafeatures0", "pcafeatures1"] and features.shape == (120, 20)
    assert np.array_equal(pipe.predict(X), pipe[-1].predict(features))
    # the image stages in front: their flattened output goes into a DataFrame too
    staged = make_pipeline(make_features("deskew+hog+pca:5"), pixelmeans.KMeans(3, random_state=0))
    staged.set_output(transform="pandas").fit(X)
    assert list(staged[0].transform(X).columns) == [f"pcafeatures{i}" for i in range(5)]


def test_integer_pixels_are_intensities_out_of_255():
    X = np.random.default_rng(0).integers(0, 256, (10, 16), dtype=np.uint8)
    pixels = make_features("pixels").fit(X)
    np.testing.assert_array_equal(pixels.transform(X.astype(np.int64)), pixels.transform(X))
    scaled = X.astype(np.float32) / np.float32(255)
    np.testing.assert_allclose(Deskew().fit_transform(X.astype(np.int32)), Deskew().fit_transform(scaled), atol=1e-6)


def test_transform_before_fit_and_nan_are_refused():
    from sklearn.exceptions import NotFittedError

    from pixelmeans.errors import InputError

    with pytest.raises(NotFittedError):
        make_features("pca:2").transform(np.zeros((3, 4)))
    X = np.random.default_rng(0).random((10, 16))
    X[3, 5] = np.nan
    with pytest.raises(InputError, match="PCAFeatures: Input X contains NaN"):
        make_features("pca:2").fit(X)
