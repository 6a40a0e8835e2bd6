"""The built-in web chat: a local stand-in for Telegram's Bot API server plus a phone web page.

It keeps its own store (like Telegram keeps its own), so the bot talks to it only through the
Bot API, exactly as it talks to Telegram.
"""
