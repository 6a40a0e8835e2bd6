"""Named files packed into ZIP archives that each fit an upload limit (Telegram's 50 MB for a
bot): one archive when everything fits, else numbered archives `<stem>-1.zip`, `<stem>-2.zip`,
… each a complete ZIP of whole files; a single file too large for any archive is packed alone
and its archive cut into numbered pieces `<stem>-N.zip.001`, `.002`, … (7-Zip and WinRAR join
them). Pure: bytes in, bytes out."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime

TELEGRAM_UPLOAD = 50 * 1024 * 1024
LIMIT = TELEGRAM_UPLOAD - 1024 * 1024
"""What one archive may weigh: Telegram's limit less a megabyte for the request around it."""


def _zip(files: Sequence[tuple[str, bytes]], stamp: datetime | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(stamp or datetime(2000, 1, 1)).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # the name is UTF-8 (Chinese names open right in Windows)
            archive.writestr(info, data)
    return buffer.getvalue()


def pack(
    stem: str,
    files: Sequence[tuple[str, bytes]],
    limit: int = LIMIT,
    stamp: datetime | None = None,
) -> list[tuple[str, bytes]]:
    """The archives (file name, bytes) holding `files`, in order, each at most `limit` bytes."""
    if not files:
        return [(f"{stem}.zip", _zip([], stamp))]
    groups: list[list[tuple[str, bytes]]] = []
    sizes: list[int] = []
    for item in files:
        alone = len(_zip([item], stamp))
        if groups and sizes[-1] + alone <= limit:
            groups[-1].append(item)
            sizes[-1] += alone
        else:
            groups.append([item])
            sizes.append(alone)
    archives: list[bytes] = []
    for group in groups:
        made = _zip(group, stamp)
        if len(made) > limit and len(group) > 1:  # cannot happen by the sizes; never send more
            archives.extend(_zip([item], stamp) for item in group)
        else:
            archives.append(made)
    if len(archives) == 1 and len(archives[0]) <= limit:
        return [(f"{stem}.zip", archives[0])]
    out: list[tuple[str, bytes]] = []
    for number, data in enumerate(archives, start=1):
        name = f"{stem}-{number}.zip"
        if len(data) <= limit:
            out.append((name, data))
            continue
        for piece, start in enumerate(range(0, len(data), limit), start=1):
            out.append((f"{name}.{piece:03d}", data[start : start + limit]))
    return out
