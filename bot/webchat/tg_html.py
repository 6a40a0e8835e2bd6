"""Telegram's ``parse_mode=HTML``: plain text, MessageEntity dicts and safe HTML.

Our stand-in for the Bot API server must accept and refuse exactly what Telegram
does, or bots that pass here break in production.  So this follows TDLib's
``parse_html`` step by step rather than a real HTML parser: the same tag set, the
same leniency (an ``&`` that isn't a reference is text, ``</>`` closes any tag,
unknown attributes are ignored), the same error texts with UTF-8 byte offsets,
and UTF-16 entity offsets.  Telegram's later clean-up of the text (dropping
``\\r``, trimming) is the caller's business.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

_TAGS = {"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del"}
_TAGS |= {"tg-spoiler", "span", "tg-emoji", "code", "pre", "blockquote"}
_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}
_TYPES |= {"u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler"}
_TYPES |= {"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}  # Telegram knows no others
_SPACE = " \t\r\n\v\0"  # TDLib's is_space; "\0" also stands for the end of the text
_BLANK = _SPACE[:-1]
_TOKEN = string.ascii_letters + string.digits + ".-"  # an unquoted attribute value
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # TDLib lowers ASCII only
_HTML_TAGS = {  # entity type -> the tags that show it in the web page
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "custom_emoji": ("", ""),  # the page shows the fallback emoji inside
}


class EntityParseError(ValueError):
    """Telegram's 400 for bad markup; ``description`` is its full error text."""

    description: str

    def __init__(self, reason: str) -> None:
        self.description = f"Bad Request: can't parse entities: {reason}"
        super().__init__(self.description)


@dataclass(frozen=True)
class ParsedText:
    """text and entities go back to the bot as Telegram would store them; html is
    the same message for the web page's innerHTML, built only from our own tags."""

    text: str
    entities: list[dict]  # MessageEntity dicts, offsets in UTF-16 units, outer first
    html: str


def parse_plain(source: str) -> ParsedText:
    """A message sent without parse_mode: Telegram takes the text as is (and finds the phone
    numbers in it)."""
    entities = with_phone_numbers(source, [])
    return ParsedText(source, entities, render(source, entities))


def parse_html(source: str) -> ParsedText:
    """Parse like Telegram, or raise EntityParseError with Telegram's description."""
    text, entities = _Parser(source).run()
    entities = with_phone_numbers(text, entities)
    return ParsedText(text, entities, render(text, entities))


_PHONE = re.compile(r"(?<![0-9A-Za-z+])\+\d{1,3}[ -]?\d(?:[ -]?\d){6,13}(?![0-9A-Za-z])")
"""An international phone number (+86 13812345678, +86-138-1234-5678), as Telegram's clients
detect them; the page shows it as a tel: link."""


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def with_phone_numbers(text: str, entities: list[dict]) -> list[dict]:
    """`entities` plus a `phone_number` entity for each international number in the text that
    no link or code already covers or crosses (outer first, as `render` wants them)."""
    found = []
    for match in _PHONE.finditer(text):
        start, end = _utf16(text, match.start()), _utf16(text, match.end())
        clash = any(
            not (e["offset"] + e["length"] <= start or end <= e["offset"])
            and (
                e["type"] in ("text_link", "code", "pre")
                or not (e["offset"] <= start and end <= e["offset"] + e["length"])
            )
            for e in entities
        )
        if not clash:
            found.append({"type": "phone_number", "offset": start, "length": end - start})
    if not found:
        return entities
    return sorted([*entities, *found], key=lambda e: (e["offset"], -e["length"]))


class _Open(NamedTuple):
    tag: str
    argument: str  # href, language, spoiler class, emoji id, or "1" for expandable
    offset: int  # UTF-16 offset in the text
    start: int  # index into the text pieces, for <a> without href
    order: int  # opening order: outer entities sort first on equal spans


class _Parser:
    def __init__(self, source: str) -> None:
        self.s = source
        self.pieces: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[tuple[int, dict]] = []
        self.opened = 0

    def at(self, i: int) -> str:
        """The character at i, with "\\0" past the end, as TDLib reads its C string."""
        return self.s[i] if i < len(self.s) else "\0"

    def byte(self, i: int) -> int:
        """Telegram reports positions as UTF-8 byte offsets into the source."""
        return len(self.s[:i].encode("utf-8", "surrogatepass"))

    def error(self, reason: str, i: int) -> EntityParseError:
        return EntityParseError(f"{reason} at byte offset {self.byte(i)}")

    def run(self) -> tuple[str, list[dict]]:
        i, surrogate = 0, False
        while i < len(self.s):
            c = self.s[i]
            if c == "&" and (reference := _decode_reference(self.s, i)):
                c, i = reference
                surrogate |= "\ud800" <= c <= "\udfff"
            elif c == "<":
                i = self.end_tag(i) if self.at(i + 1) == "/" else self.start_tag(i)
                continue
            else:
                i += 1
            self.pieces.append(c)
            self.utf16 += 2 if c > "\uffff" else 1
        if self.stack:
            tag = self.stack[-1].tag
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        if surrogate:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.entities.sort(key=lambda pair: (pair[1]["offset"], -pair[1]["length"], pair[0]))
        entities = [entity for _, entity in self.entities]
        for entity in entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # a language counts only inside <pre>
        return "".join(self.pieces), entities

    def start_tag(self, begin: int) -> int:
        """Push the tag opening at begin; returns the index after its '>'."""
        i = begin + 1
        while self.at(i) not in _SPACE and self.at(i) != ">":
            i += 1
        if self.at(i) == "\0":
            raise self.error("Unclosed start tag", begin)
        tag = self.s[begin + 1 : i].translate(_LOWER)
        if tag not in _TAGS:
            raise self.error(f'Unsupported start tag "{tag}"', begin)
        argument = ""
        while self.at(i) != ">":
            while self.at(i) in _BLANK:
                i += 1
            if self.at(i) == ">":
                break
            name_start = i
            while self.at(i) not in _SPACE and self.at(i) not in "=>/\"'":
                i += 1
            name = self.s[name_start:i]
            if not name:
                raise self.error(f'Empty attribute name in the tag "{tag}"', begin)
            while self.at(i) in _BLANK:
                i += 1
            if self.at(i) != "=":  # a bare attribute, such as "expandable"
                if self.at(i) == "\0":
                    raise self.error(f'Unclosed start tag "{tag}"', begin)
                if tag == "blockquote" and name == "expandable":
                    argument = "1"
                continue
            i += 1
            while self.at(i) in _BLANK:
                i += 1
            if self.at(i) == "\0":
                raise self.error(f'Unclosed start tag "{tag}"', begin)
            value, i = self.attribute_value(i)
            if self.at(i) == "\0":
                raise self.error("Unclosed start tag", begin)
            argument = _argument(tag, name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', begin)
        self.stack.append(_Open(tag, argument, self.utf16, len(self.pieces), self.opened))
        self.opened += 1
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        """A lowered name token, or a quoted string with its references decoded."""
        quote = self.at(i)
        if quote not in "\"'":
            start = i
            while self.at(i) in _TOKEN:
                i += 1
            if self.at(i) not in _SPACE and self.at(i) != ">":
                raise self.error("Unexpected end of name token", start)
            return self.s[start:i].translate(_LOWER), i
        i += 1
        value = []
        while self.at(i) not in (quote, "\0"):
            if self.at(i) == "&" and (reference := _decode_reference(self.s, i)):
                char, i = reference
                value.append(char)
            else:
                value.append(self.s[i])
                i += 1
        return "".join(value), i + (self.at(i) == quote)

    def end_tag(self, begin: int) -> int:
        """Close the innermost tag; returns the index after the end tag's '>'."""
        if not self.stack:
            raise self.error("Unexpected end tag", begin)
        i = begin + 2
        while self.at(i) not in _SPACE and self.at(i) != ">":
            i += 1
        name = self.s[begin + 2 : i].translate(_LOWER)
        while self.at(i) in _BLANK:
            i += 1
        if self.at(i) != ">":
            raise self.error("Unclosed end tag", begin)
        tag = self.stack[-1].tag
        if name and name != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte(begin)}, "
                f'expected "</{tag}>", found "</{name}>"'
            )
        opened = self.stack.pop()
        if self.utf16 > opened.offset:  # Telegram drops empty entities
            self.add_entity(opened, self.utf16 - opened.offset)
        return i + 1

    def add_entity(self, opened: _Open, length: int) -> None:
        tag, argument = opened.tag, opened.argument
        entity: dict = {"type": _TYPES.get(tag, tag), "offset": opened.offset, "length": length}
        last = self.entities[-1][1] if self.entities else {}
        same_span = last.get("offset") == opened.offset and last.get("length") == length
        if tag == "a":
            url = _checked_url(argument or "".join(self.pieces[opened.start :]))
            if url is None:
                return  # Telegram silently drops links it can't check
            entity.update(type="text_link", url=url)
        elif tag == "tg-emoji":
            if not (argument.isascii() and argument.isdigit() and len(argument) <= 19):
                raise EntityParseError("Invalid custom emoji identifier specified")
            if str(int(argument)) != argument or not 0 < int(argument) < 2**63:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "blockquote" and argument:
            entity["type"] = "expandable_blockquote"
        elif tag == "pre" and same_span and last["type"] == "code" and "language" in last:
            last["type"] = "pre"  # <code class="language-x"><pre>...</pre></code>
            return
        elif tag == "code" and argument:
            if same_span and last["type"] == "pre":
                last["language"] = argument  # <pre><code class="language-x">...</code></pre>
                return
            entity["language"] = argument
        self.entities.append((opened.order, entity))


def _argument(tag: str, name: str, value: str, argument: str) -> str:
    """The one attribute a tag cares about; Telegram ignores all others."""
    if (tag, name) in (("a", "href"), ("tg-emoji", "emoji-id")):
        return value
    if (tag, name) == ("code", "class") and value.startswith("language-"):
        return value.removeprefix("language-")
    if (tag, name) == ("span", "class") and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if (tag, name) == ("blockquote", "expandable"):
        return "1"
    return argument


def _decode_reference(s: str, i: int) -> tuple[str, int] | None:
    """The character that the reference at s[i] == "&" stands for, and the index after it.

    Like TDLib: only four named references, numeric ones below U+10FFFF and under ten
    characters long, and the ";" is optional.  None means the "&" is plain text.
    """
    end = i + 1
    if s.startswith("#", end):
        hexadecimal = s.startswith("x", end + 1)
        end = start = end + 1 + hexadecimal
        digits = string.hexdigits if hexadecimal else string.digits
        while end < len(s) and s[end] in digits:
            end += 1
        if end - i >= 10 or end == start:
            return None
        code = int(s[start:end], 16 if hexadecimal else 10)
        if not 0 < code < 0x10FFFF:
            return None
        char = chr(code)
    else:
        while end < len(s) and s[end] in string.ascii_letters:
            end += 1
        char = _NAMED.get(s[i + 1 : end], "")
        if not char:
            return None
    return char, end + s.startswith(";", end)


def _checked_url(url: str) -> str | None:
    """The link as Telegram stores it, or None to drop it.

    Only http(s), tg and mailto links survive, so the web page never gets a
    javascript: or data: href; a bare "example.com" becomes "http://example.com/".
    """
    if not url or " " in url or not url.isprintable():
        return None
    if url.lower().startswith(("tg:", "mailto:")):
        return url
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        _ = parts.port  # raises ValueError for "javascript:alert(1)" read as host:port
    except ValueError:
        return None
    url = parts.scheme + url[len(parts.scheme) :]
    if not parts.path:
        head = len(parts.scheme) + 3 + len(parts.netloc)
        url = url[:head] + "/" + url[head:]
    return url


def text_of(text: str, entity: dict) -> str:
    """The text an entity covers (its offsets are UTF-16 units)."""
    units = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return units[start : start + length].decode("utf-16-le")


def render(text: str, entities: list[dict]) -> str:
    """Escaped text inside tags for the entities, which are sorted outer first and nested."""
    out: list[str] = []
    closing: list[tuple[int, str]] = []  # (UTF-16 end, end tag) of the open entities
    position = k = 0
    for char in [*text, ""]:
        while closing and closing[-1][0] <= position:
            out.append(closing.pop()[1])
        while k < len(entities) and entities[k]["offset"] <= position:
            entity = entities[k]
            start, end = _HTML_TAGS.get(entity["type"], ("", ""))
            if entity["type"] == "text_link":
                start, end = f'<a href="{html.escape(entity["url"])}">', "</a>"
            elif entity["type"] == "phone_number":
                number = re.sub(r"[^\d+]", "", text_of(text, entity))
                start, end = f'<a href="tel:{number}">', "</a>"
            elif "language" in entity:
                language = html.escape(entity["language"])
                start, end = f'<pre><code class="language-{language}">', "</code></pre>"
            out.append(start)
            closing.append((entity["offset"] + entity["length"], end))
            k += 1
        out.append(html.escape(char, quote=False))
        position += 2 if char > "\uffff" else 1
    return "".join(out)
