"""Start-up warms the PDF font in a background thread (bot/fonts.py), so the first printed
business plan does not wait for the static instance to be made."""

from __future__ import annotations

from bot import fonts


def test_warming_makes_the_static_font_in_a_daemon_thread():
    thread = fonts.warm()
    assert thread.daemon and thread.name == "font-warm-up"
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert fonts.static_font().exists()
