"""Checks and shapes message content the way Telegram does: text, captions, keyboards, files."""

from __future__ import annotations

import io
import json
import mimetypes
import re
import secrets
from array import array
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from bot.webchat.errors import TOO_LARGE, bad_request
from bot.webchat.tg_html import EntityParseError, ParsedText, parse_html, parse_plain
from bot.webchat.tg_html import render as render_html

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
UPLOAD_LIMIT = 50 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
PHOTO_SIDES_LIMIT = 10_000  # width + height
PHOTO_RATIO_LIMIT = 20
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SAFE_URL = re.compile(r"^(https?|tg)://", re.IGNORECASE)
BLANKS = (0x20, 0x0A)  # the only characters TDLib trims: space and newline
KEEP_BLANK = {"text_link", "text_mention", "custom_emoji"}  # TDLib keeps these on blanks


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def json_param(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise bad_request(f"can't parse {name} JSON object") from error
    return value


def formatted(source: str | None, parse_mode: str | None, *, limit: int, what: str) -> ParsedText:
    """Parse text or a caption like Telegram: the source as sent (so error offsets match),
    then TDLib's clean-up, then the length. An empty result is the caller's to refuse."""
    mode = (parse_mode or "none").lower()
    if mode == "none":
        parsed = parse_plain(source or "")
    elif mode == "html":
        try:
            parsed = parse_html(source or "")
        except EntityParseError as error:
            raise bad_request(error.description.removeprefix("Bad Request: ")) from error
    elif mode in ("markdown", "markdownv2"):
        raise bad_request(f"the web chat supports parse_mode HTML only, not {parse_mode}")
    else:
        raise bad_request("unsupported parse_mode")
    parsed = cleaned(parsed)
    if utf16_len(parsed.text) > limit:
        raise bad_request(
            "message is too long" if what == "text" else "message caption is too long"
        )
    return parsed


def cleaned(parsed: ParsedText) -> ParsedText:
    """TDLib's fix_formatted_text, which Telegram runs on every text and caption it keeps:
    control characters become spaces and carriage returns go, entities lose leading blanks
    (and go if blank), the text loses trailing blanks and the leading ones before any entity."""
    kept = array("H")
    moved = [0]  # moved[i]: where UTF-16 unit i of the parsed text ends up
    for unit in array("H", parsed.text.encode("utf-16-le")):
        if unit != 0x0D:
            kept.append(0x20 if unit < 0x20 and unit != 0x0A else unit)
        moved.append(len(kept))
    entities = []
    for entity in parsed.entities:
        start, stop = moved[entity["offset"]], moved[entity["offset"] + entity["length"]]
        while entity["type"] not in KEEP_BLANK and start < stop and kept[start] in BLANKS:
            start += 1
        if start < stop:
            entities.append({**entity, "offset": start, "length": stop - start})
    end = len(kept)
    while end and kept[end - 1] in BLANKS:
        end -= 1
    begin, first = 0, min((entity["offset"] for entity in entities), default=end)
    while begin < first and kept[begin] in BLANKS:
        begin += 1
    entities = [
        {
            **e,
            "offset": e["offset"] - begin,
            "length": min(e["offset"] + e["length"], end) - e["offset"],
        }
        for e in entities
        if e["offset"] < end
    ]
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    text = kept[begin:end].tobytes().decode("utf-16-le")
    return ParsedText(text, entities, render_html(text, entities))


def text_fields(parsed: ParsedText, key: str = "text") -> dict[str, Any]:
    fields: dict[str, Any] = {key: parsed.text, "html": parsed.html}
    if parsed.entities:
        fields["entities" if key == "text" else "caption_entities"] = parsed.entities
    return fields


def reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """Validate a keyboard as Telegram does; returns it unchanged when good."""
    markup = json_param(params, "reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup["inline_keyboard"]):
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup["keyboard"]):
            for button in row:
                if not isinstance(button, str | dict):
                    raise bad_request("can't parse keyboard button")
                text = button if isinstance(button, str) else button.get("text")
                if not text:
                    raise bad_request("keyboard button text is empty")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _rows(rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode())
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not SAFE_URL.match(str(button["url"])):
            raise bad_request("inline keyboard button URL is invalid")
    else:
        raise bad_request(
            'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
        )


def for_bot(message: dict[str, Any]) -> dict[str, Any]:
    """The message as Telegram returns it to bots: no page extras, only inline keyboards."""
    result = {key: value for key, value in message.items() if key not in ("html", "files")}
    markup = result.get("reply_markup")
    if markup is not None and "inline_keyboard" not in markup:
        del result["reply_markup"]
    return result


def bot_commands(params: dict[str, Any]) -> list[dict[str, str]]:
    items = json_param(params, "commands")
    if not isinstance(items, list) or len(items) > 100:
        raise bad_request("can't parse commands JSON object")
    for item in items:
        if not isinstance(item, dict) or not COMMAND.match(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", ""))) <= 256:
            raise bad_request("command description is empty")
    return [{"command": item["command"], "description": item["description"]} for item in items]


def scope_keys(scope: dict[str, Any] | None) -> str:
    scope = {"type": "default"} if scope is None else scope
    if not isinstance(scope, dict):
        raise bad_request("wrong parameter scope")
    kind = scope.get("type", "default")
    if kind == "chat":
        return f"chat:{scope.get('chat_id')}"
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return kind
    raise bad_request("wrong parameter scope")


def new_file_record(data: bytes, name: str, kind: str, content_type: str | None) -> dict[str, Any]:
    """A file row for stored bytes; photos must be images of Telegram's proportions.
    Over 50 MB is Telegram's 413, whether or not the request itself passed the size cap.
    Like Telegram, the type comes from the name (bot libraries declare every part as
    octet-stream), or from the image itself for photos."""
    if len(data) > UPLOAD_LIMIT:
        raise TOO_LARGE
    if not data:
        raise bad_request("file must be non-empty")
    declared = None if content_type == "application/octet-stream" else content_type
    mime = mimetypes.guess_type(name)[0] or declared or "application/octet-stream"
    record: dict[str, Any] = {
        "file_id": secrets.token_urlsafe(24),
        "file_unique_id": secrets.token_urlsafe(12),
        "kind": kind,
        "name": Path(name).name or kind,
        "mime_type": mime,
        "size": len(data),
    }
    if kind == "photo":
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                record["mime_type"] = Image.MIME.get(image.format or "", mime)
        except (UnidentifiedImageError, OSError) as error:
            raise bad_request("IMAGE_PROCESS_FAILED") from error
        too_narrow = max(width, height) > PHOTO_RATIO_LIMIT * min(width, height)
        if width + height > PHOTO_SIDES_LIMIT or too_narrow:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        record.update(width=width, height=height)
    return record


def file_fields(record: dict[str, Any], file_url: str) -> dict[str, Any]:
    """The Telegram object(s) for a file on a message, plus the page's download link."""
    link = {"kind": record["kind"], "url": file_url, "name": record["name"], "size": record["size"]}
    ids = {
        "file_id": record["file_id"],
        "file_unique_id": record["file_unique_id"],
        "file_size": record["size"],
    }
    if record["kind"] == "photo":
        size = {**ids, "width": record["width"], "height": record["height"]}
        return {"photo": [size], "files": [link]}
    document = {**ids, "file_name": record["name"], "mime_type": record["mime_type"]}
    return {"document": document, "files": [link]}
