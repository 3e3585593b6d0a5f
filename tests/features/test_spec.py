import pytest

from pixelmeans.errors import InputError
from pixelmeans.features import (
    AEUMAP, AutoencoderFeatures, ContrastiveFeatures, FrozenFeatures, PCAFeatures, PixelFeatures, UMAPFeatures,
    make_features, save_features,
)


@pytest.mark.parametrize(
    "spec, cls, dim",
    [
        ("pixels", PixelFeatures, None),
        ("pca", PCAFeatures, 50),
        ("pca:7", PCAFeatures, 7),
        ("autoencoder", AutoencoderFeatures, 10),
        ("autoencoder:16", AutoencoderFeatures, 16),
        ("umap", UMAPFeatures, 10),
        ("umap:2", UMAPFeatures, 2),
        (" ae+umap ", AEUMAP, None),
        ("clr", ContrastiveFeatures, 128),
        ("clr:32", ContrastiveFeatures, 32),
        ("clr+umap", AEUMAP, None),
    ],
)
def test_names(spec, cls, dim):
    t = make_features(spec, random_state=3)
    assert type(t) is cls
    if dim is not None:
        assert t.n_components == dim


def test_ae_umap_routing():
    t = make_features("ae+umap:5", epochs=2, random_state=7, n_neighbors=25, ae_n_components=12, umap_min_dist=0.1)
    assert t.umap.n_components == 5 and t.umap.n_neighbors == 25 and t.umap.min_dist == 0.1
    assert t.autoencoder.n_components == 12 and t.autoencoder.epochs == 2
    assert t.autoencoder.random_state == 7 and t.umap.random_state == 7


def test_clr_umap_routing():
    t = make_features("hog+clr+umap:4", epochs=2, random_state=7, n_neighbors=25, clr_n_components=32,
                      umap_min_dist=0.1)
    assert isinstance(t.autoencoder, ContrastiveFeatures) and t.autoencoder.hog and "hog" not in t.umap.get_params()
    assert t.umap.n_components == 4 and t.umap.n_neighbors == 25 and t.umap.min_dist == 0.1
    assert t.autoencoder.n_components == 32 and t.autoencoder.epochs == 2
    assert t.autoencoder.random_state == 7 and t.umap.random_state == 7
    with pytest.raises(InputError, match="ae_epochs"):
        make_features("clr+umap", ae_epochs=3)


def test_common_keywords_are_accepted_everywhere():
    assert type(make_features("pixels", random_state=0, verbose=False)) is PixelFeatures
    assert make_features("pca:3", random_state=5).random_state == 5


@pytest.mark.parametrize("spec", ["", "foo", "pixels:3", "pca:0", "pca:x", "autoencoder:", "umap+ae"])
def test_bad_specs(spec):
    with pytest.raises(InputError):
        make_features(spec)


def test_unknown_parameters():
    with pytest.raises(InputError, match="epochs"):
        make_features("umap", epochs=3)
    with pytest.raises(InputError, match="bogus"):
        make_features("ae+umap", bogus=1)
    with pytest.raises(InputError, match="contradicts"):
        make_features("pca:3", n_components=4)


def test_saved_path(tmp_path, tiny):
    path = tmp_path / "pca.pmfeat"
    save_features(PCAFeatures(5).fit(tiny), path)
    t = make_features(str(path), random_state=0)
    assert isinstance(t, FrozenFeatures)
    assert t.fit(tiny[:10]) is t  # never refitted
    assert t.fit_transform(tiny).shape == (400, 5)
    assert t.components_.shape == (5, 784)
    with pytest.raises(InputError, match="no such file"):
        make_features(str(tmp_path / "missing.pmfeat"))
    with pytest.raises(InputError, match="takes no parameters"):
        make_features(str(path), epochs=3)
