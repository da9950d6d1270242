"""Protobuf bytes by hand: wire-format varints for the few places that read bytes directly
(checkpoint tables, the cheap GraphDef sniff, the lenient `keras_metadata.pb` reader), and
binary-or-text parsing decided by content, since names lie (`model.txt` may be binary).

Two varint modes because the callers want different things at a truncated varint: a table
reader must fail (`varint`), a sniffer or a lenient reader must stop quietly (`varint_or_end`).
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import message, text_format

from ...errors import FormatError


def text_start(*fields: str) -> re.Pattern[str]:
    """A pattern for the start of a text proto whose first field is one of `fields` (after
    blank lines and # comments)."""
    names = "|".join(re.escape(f) for f in fields)
    return re.compile(rf"\A(?:\s|#[^\n]*\n)*(?:{names})\s*[{{:]")


def parse(data: bytes, msg: Any, text: re.Pattern[str], what: str) -> Any:
    """Fill `msg` from `data`: protobuf text when its first 4 KiB match `text`, else binary.
    FormatError `broken WHAT: …` when the bytes do not parse."""
    if text.match(data[:4096].decode("utf-8", "replace")):
        try:
            text_format.Parse(data.decode("utf-8"), msg, allow_unknown_field=True)
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            raise FormatError(f"broken text {what}: {exc}") from exc
        return msg
    try:
        msg.ParseFromString(data)
    except message.DecodeError as exc:
        raise FormatError(f"broken {what}: {exc}") from exc
    return msg


def varint_or_end(buf: bytes, pos: int) -> tuple[int, int]:
    """(value, next position); (-1, len(buf)) when the buffer ends or the varint is over 64
    bits."""
    result = shift = 0
    end = len(buf)
    while pos < end and shift <= 63:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    return -1, end


def varint(buf: bytes, pos: int, what: str = "protobuf message") -> tuple[int, int]:
    """(value, next position); FormatError naming `what` when truncated or too long."""
    value, new_pos = varint_or_end(buf, pos)
    if value < 0:
        kind = "truncated" if _runs_to_end(buf, pos) else "bad"
        raise FormatError(f"{kind} varint in {what}")
    return value, new_pos


def _runs_to_end(buf: bytes, pos: int) -> bool:
    """True when every byte from pos on has its continuation bit set (and fewer than 10)."""
    return len(buf) - pos < 10 and all(b & 0x80 for b in buf[pos:])
