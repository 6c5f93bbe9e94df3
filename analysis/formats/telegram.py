"""Reader for Telegram Desktop's JSON export (``result.json``): one record per text message."""

from __future__ import annotations

import json
import re

from analysis.records import Record

from . import FormatError, NoTextError, metadata_date, publisher_name
from .encoding import decode_bytes

__all__ = ["flatten_text", "read_telegram", "read_telegram_export"]

_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


def flatten_text(text: object) -> str:
    """Plain text of a message's ``text`` (a string, or a list of strings and entity dicts).

    Arguments:
        text: the ``text`` (or ``text_entities``) field of an exported message.

    Returns:
        The concatenated text of all fragments (a ``text_link`` keeps its visible text).
    """
    # Iterative, not recursive: a hostile export may nest fragments thousands of levels deep.
    parts: list[str] = []
    stack = [text]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            stack.append(item.get("text"))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return "".join(parts)


def _username(export: dict) -> str | None:
    for key in ("username", "channel_username", "link"):
        value = export.get(key)
        if isinstance(value, str):
            value = value.strip().removeprefix("https://").removeprefix("http://").removeprefix("t.me/")
            match = _USERNAME.match(value)
            if match:
                return match.group(1)
    return None


def _chats(export: dict) -> list[dict]:
    """The chats of an export: itself for a single-chat export, ``chats.list`` for a full account export."""
    if isinstance(export.get("messages"), list):
        return [export]
    chats = export.get("chats")
    if isinstance(chats, dict) and isinstance(chats.get("list"), list):
        return [
            chat
            for chat in chats["list"]
            if isinstance(chat, dict) and isinstance(chat.get("messages"), list)
        ]
    return []


def read_telegram_export(
    export: dict,
    source: str,
    *,
    dayfirst: bool = True,
    username: str | None = None,
    details: dict | None = None,
) -> list[Record]:
    """Records from a parsed Telegram Desktop export.

    Service messages (joins, pins, …), messages without text (photos, videos, stickers) and broken
    messages (a field no reader can take) are skipped and counted; the others are kept.

    Arguments:
        export: the parsed ``result.json`` (``{"name", "type", "id", "messages": [...]}``, or a full
            account export with ``chats.list``).
        source: ``Record.source`` for every message.
        dayfirst: passed on to date parsing (the export's ISO dates are not ambiguous).
        username: the channel's public username for ``https://t.me/<username>/<id>`` links, when the
            export does not hold it.
        details: a dict that receives ``messages``, ``service_skipped``, ``media_only_skipped``,
            ``broken_skipped`` (messages that could not be read, each noted in ``notes``) and ``channel``.

    Returns:
        One ``Record(format="telegram")`` per text message, ``seq`` in export order; its publisher is the
        channel (``channel``), or for a forwarded message the channel it came from (``forwarded``, with the
        export's channel as ``forwarded_by``).

    Raises:
        FormatError: the export has no ``messages`` list.
        NoTextError: no message has text.
    """
    details = {} if details is None else details
    chats = _chats(export)
    if not chats:
        raise FormatError(
            'not a Telegram export: expected a "messages" list; export the channel again as JSON.'
        )
    records: list[Record] = []
    total = service = media_only = broken = 0
    names: list[str] = []
    for chat in chats:
        name = chat.get("name") if isinstance(chat.get("name"), str) else None
        if name:
            names.append(name)
        handle = username or _username(chat) or _username(export)
        for position, message in enumerate(chat["messages"]):
            total += 1
            if not isinstance(message, dict) or message.get("type", "message") != "message":
                service += 1
                continue
            try:
                record = _record(message, position, source, name, handle, len(records), dayfirst)
            except Exception as error:  # one bad message (a date of Infinity, a bad field) skips only itself
                broken += 1
                notes = details.setdefault("notes", [])
                if len(notes) < 20:
                    notes.append(f"message {position} skipped ({type(error).__name__}: {error})"[:300])
                continue
            if record is None:
                media_only += 1
                continue
            records.append(record)
    details["messages"] = total
    details["service_skipped"] = service
    details["media_only_skipped"] = media_only
    if broken:
        details["broken_skipped"] = broken
    details["channel"] = names[0] if len(names) == 1 else (", ".join(names) or None)
    if not records:
        raise NoTextError(
            f"no message with text ({total} messages: {service} service, {media_only} media-only"
            + (f", {broken} broken" if broken else "") + ")"
        )
    return records


def _record(message: dict, position: int, source: str, name: str | None, handle: str | None, seq: int,
            dayfirst: bool) -> Record | None:
    """The record of one text message, or None when it has no text."""
    raw = message.get("text")
    if raw in (None, "", []) and "text_entities" in message:
        raw = message["text_entities"]
    body = flatten_text(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        return None
    message_id = message.get("id")
    valid_id = isinstance(message_id, int) and not isinstance(message_id, bool)
    extra: dict = {"message_id": message_id if valid_id else None, "position": position}
    for key in ("forwarded_from", "media_type", "from", "reply_to_message_id"):
        if isinstance(message.get(key), str | int) and not isinstance(message.get(key), bool):
            extra[key] = message[key]
    if "photo" in message:
        extra["photo"] = True
    if name:
        extra["channel"] = name
    date = metadata_date(message.get("date"), dayfirst=dayfirst)
    if date is None and message.get("date_unixtime") is not None:
        try:
            date = metadata_date(int(message["date_unixtime"]), dayfirst=dayfirst)
        except (TypeError, ValueError, OverflowError):  # "Infinity", "NaN", "soon"
            date = None
    channel = publisher_name(name)
    forwarded = publisher_name(message.get("forwarded_from")) if isinstance(message.get("forwarded_from"), str) else None
    return Record(
        source=source,
        text=body,
        format="telegram",
        publisher=forwarded or channel,
        publisher_method="forwarded" if forwarded else ("channel" if channel else None),
        forwarded_by=channel if forwarded else None,
        seq=seq,
        title=None,
        url=f"https://t.me/{handle}/{message_id}" if handle and valid_id else None,
        date=date,
        segmentable=False,
        extra=extra,
    )


def read_telegram(
    data: bytes,
    source: str,
    *,
    dayfirst: bool = True,
    username: str | None = None,
    details: dict | None = None,
) -> list[Record]:
    """Read a Telegram Desktop ``result.json`` from bytes (see ``read_telegram_export``).

    Raises:
        FormatError: broken JSON or not a Telegram export.
        NoTextError: no message has text.
    """
    details = {} if details is None else details
    text, encoding = decode_bytes(data)
    details["encoding"] = encoding
    try:
        export = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise FormatError(f"broken JSON ({error}); export the channel again.") from error
    if not isinstance(export, dict):
        raise FormatError('not a Telegram export: expected a JSON object with a "messages" list.')
    return read_telegram_export(export, source, dayfirst=dayfirst, username=username, details=details)
