"""Photo -> frame: the pixels the pendant's panel shows for a photo.

    from pendant.photo import render, RenderOptions
    r = render("IMG_0001.HEIC", RenderOptions(mask="heart"))
    r.rgb565, r.coverage, r.to_image()
"""

from .errors import PhotoError
from .options import RenderOptions
from .render import Rendered, render

__all__ = ["PhotoError", "RenderOptions", "Rendered", "render"]
