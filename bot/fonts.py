"""The one CJK font every picture and PDF uses, shipped by a Python dependency.

Noto Sans SC (SIL OFL) comes with the `justmytype-intl-cjk` wheel as a variable font, so Chinese
renders after `make run` alone, with no system font. Pillow draws the variable font directly at
the regular weight; PDF libraries embed a static instance, made once with fontTools' instancer
(about 12 s) and cached as a file (`cache_dir`, written atomically so several processes may race).
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import cache
from importlib.resources import files
from pathlib import Path

from PIL import ImageFont

REGULAR = 400
BOLD = 700
_NAMES = {REGULAR: "Regular", BOLD: "Bold"}
VARIABLE_FONT = Path(
    str(files("justmytype_intl_cjk") / "fonts" / "ofl" / "notosanssc" / "NotoSansSC[wght].ttf")
)
_lock = threading.Lock()


def cache_dir() -> Path:
    """Where static instances are kept: the user's cache directory (`XDG_CACHE_HOME`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wangchuang" / "fonts"


@cache
def pillow_font(size: int, weight: int = REGULAR) -> ImageFont.FreeTypeFont:
    """Noto Sans SC at `size` px and `weight`, for Pillow."""
    face = ImageFont.truetype(str(VARIABLE_FONT), size)
    face.set_variation_by_name(_NAMES[weight])
    return face


def static_font(weight: int = REGULAR) -> Path:
    """A static TTF of Noto Sans SC at `weight` (what PDF writers embed), made on first use."""
    target = cache_dir() / f"NotoSansSC-{weight}.ttf"
    if target.exists():
        return target
    with _lock:
        if target.exists():
            return target
        from fontTools.ttLib import TTFont
        from fontTools.varLib import instancer

        target.parent.mkdir(parents=True, exist_ok=True)
        instance = instancer.instantiateVariableFont(TTFont(str(VARIABLE_FONT)), {"wght": weight})
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".ttf.part")
        os.close(handle)
        try:
            instance.save(temporary)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return target


def warm() -> threading.Thread:
    """Make the PDF font in a background thread, so the first printed plan is not slow (the
    first instancing takes about 12 s; later starts find the cached file at once)."""
    thread = threading.Thread(target=static_font, name="font-warm-up", daemon=True)
    thread.start()
    return thread
