"""dSprites-like images (Matthey et al., 2017), rendered exactly from their five latents."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray

IntArray = NDArray[np.int64]


SPRITE_FACTORS = ("shape", "scale", "rotation", "x", "y")
SPRITE_SHAPES = ("square", "ellipse", "heart")
# Values per factor in the dSprites dataset: 3 shapes, 6 scales, 40 orientations, 32 x 32 positions.
DSPRITES_STEPS = np.array([3, 6, 40, 32, 32])


def quantize_latents(latents: Any) -> FloatArray:
    """Round latents in [0, 1]^5 to the dSprites grid (each factor's equally spaced values).

    Looking an image up in the dataset does exactly this, so a latent shift that is not along
    an axis moves different images by different numbers of grid steps.

    Examples
    --------
    >>> quantize_latents([[0.3, 0.55, 0.0, 1.0, 0.49]])[0, :2]
    array([0.5, 0.6])
    """
    z = np.clip(np.asarray(latents, dtype=np.float64).reshape(-1, 5), 0.0, 1.0)
    out: FloatArray = np.round(z * (DSPRITES_STEPS - 1)) / (DSPRITES_STEPS - 1)
    return out


def _inside(shape: IntArray, u: FloatArray, v: FloatArray) -> NDArray[np.bool_]:
    """Whether sprite-frame coordinates (u, v), unit = half-size, fall inside each shape."""
    square = np.maximum(np.abs(u), np.abs(v)) <= 0.8
    ellipse = u**2 + (v / 0.5) ** 2 <= 1.0
    # The classic heart curve (x² + y² - 1)³ = x² y³, scaled into the unit box, point up.
    hu, hv = 1.15 * u, -1.15 * v + 0.12
    heart = (hu**2 + hv**2 - 1.0) ** 3 - hu**2 * hv**3 <= 0.0
    s = shape[:, None, None]
    out: NDArray[np.bool_] = np.where(s == 0, square, np.where(s == 1, ellipse, heart))
    return out


def render_sprites(latents: Any, *, size: int = 64) -> FloatArray:
    """Binary ``size`` x ``size`` images of sprites, one row of pixels per latent vector.

    Each latent row holds the five dSprites factors scaled to [0, 1]: shape (categorical:
    thirds of [0, 1] are square, ellipse, heart), scale (0.5 to 1), rotation (0 to 2π), and the
    x and y positions of the centre (kept 12/64 of the image from the border). Rendering is
    exact point-in-shape tests at pixel centres, so latents vary continuously.

    Examples
    --------
    >>> img = render_sprites([[0.9, 1.0, 0.0, 0.5, 0.5]])
    >>> img.shape, set(np.unique(img)) == {0.0, 1.0}
    ((1, 4096), True)
    """
    z = np.clip(np.asarray(latents, dtype=np.float64).reshape(-1, 5), 0.0, 1.0)
    shape = np.minimum((z[:, 0] * 3).astype(np.int64), 2)
    half = 10.0 / 64 * size * (0.5 + 0.5 * z[:, 1])
    angle = 2.0 * np.pi * z[:, 2]
    margin = 12.0 / 64 * size
    cx = margin + z[:, 3] * (size - 2 * margin)
    cy = margin + z[:, 4] * (size - 2 * margin)
    grid = np.arange(size) + 0.5
    dx = grid[None, None, :] - cx[:, None, None]
    dy = grid[None, :, None] - cy[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = (cos * dx + sin * dy) / half[:, None, None]
    v = (-sin * dx + cos * dy) / half[:, None, None]
    return _inside(shape, u, v).reshape(len(z), -1).astype(np.float64)
