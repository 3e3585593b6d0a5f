"""The affine warp that the autoencoder's and clr's random moves share."""

import pytest

torch = pytest.importorskip("torch")

from pixelmeans.features._torch import warp  # noqa: E402


@pytest.fixture
def img():
    return torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))


def _identity(b):
    return torch.ones(b), torch.zeros(b), torch.zeros(b, 2)


def test_identity_map_keeps_the_images(img):
    cos, sin, shift = _identity(3)
    assert torch.allclose(warp(torch, img, cos, sin, shift), img, atol=1e-6)


def test_mirror_flips_left_right_only_where_asked(img):
    cos, sin, shift = _identity(3)
    out = warp(torch, img, cos, sin, shift, mirror=torch.tensor([-1.0, 1.0, -1.0]))
    assert torch.allclose(out[0], img[0].flip(-1), atol=1e-6)
    assert torch.allclose(out[1], img[1], atol=1e-6)
    assert torch.allclose(out[2], img[2].flip(-1), atol=1e-6)


def test_shift_is_in_half_sides(img):
    # 0.5 half-sides is a quarter of the width: 2 pixels of 8
    cos, sin, shift = _identity(3)
    shift[:, 0] = 0.5
    out = warp(torch, img, cos, sin, shift)
    assert torch.allclose(out[..., :6], img[..., 2:], atol=1e-6)
    assert torch.count_nonzero(out[..., 6:]) == 0  # zero outside the image


def test_quarter_turn_is_a_rotation_of_the_grid(img):
    b = img.shape[0]
    out = warp(torch, img, torch.zeros(b), torch.ones(b), torch.zeros(b, 2))
    # the map takes output to input coordinates, so sin = 1 turns the picture
    # counter-clockwise as displayed (row 0 at the top)
    assert torch.allclose(out, torch.rot90(img, 1, dims=(2, 3)), atol=1e-6)
