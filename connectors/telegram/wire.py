"""Shape checks for getUpdates answers read as raw Bot API JSON.

The connector asks for updates as the decoded JSON the Bot API sends (no python-telegram-bot
objects), and the normalizer reads them as plain dicts. :func:`check_updates` runs first and
checks every field the normalizer reads, against the types the Bot API reference gives, so that
a payload of the wrong shape fails the whole fetch with one clear error naming the update and
the field (and the cursor does not move) instead of a ``KeyError`` halfway through a page.
Fields the normalizer does not read are not checked. ``null`` counts as absent, as in PTB.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")

# A schema is a JSON kind (a key of _KINDS), a tuple of (key, schema, required) fields for an
# object, or a one-item list [schema] for an array of that schema.
Schema = Any
_KINDS: dict[str, type] = {
    "integer": int,
    "boolean": bool,
    "string": str,
    "object": dict,
    "array": list,
}
_NAMES = {
    int: "an integer",
    bool: "a boolean",
    str: "a string",
    dict: "an object",
    list: "an array",
    float: "a number",
}

USER: Schema = (
    ("id", "integer", True),
    ("is_bot", "boolean", True),
    ("first_name", "string", True),
    ("last_name", "string", False),
    ("username", "string", False),
)
CHAT: Schema = (
    ("id", "integer", True),
    ("type", "string", True),
    ("title", "string", False),
    ("username", "string", False),
    ("first_name", "string", False),
    ("last_name", "string", False),
)
ENTITY: Schema = (
    ("type", "string", True),
    ("offset", "integer", True),
    ("length", "integer", True),
    ("user", USER, False),
)
EXTERNAL_REPLY: Schema = (("chat", CHAT, False), ("message_id", "integer", False))
_MESSAGE_FIELDS: Schema = (
    ("message_id", "integer", True),
    ("chat", CHAT, True),
    ("text", "string", False),
    ("caption", "string", False),
    ("from", USER, False),
    ("sender_chat", CHAT, False),
    ("message_thread_id", "integer", False),
    ("is_topic_message", "boolean", False),
    ("is_automatic_forward", "boolean", False),
    ("forum_topic_created", "object", False),
    ("edit_date", "integer", False),
    ("entities", [ENTITY], False),
    ("caption_entities", [ENTITY], False),
)
# the message a reply answers (the Bot API nests no further reply_to_message in it)
PARENT: Schema = _MESSAGE_FIELDS
MESSAGE: Schema = (
    ("date", "integer", True),
    *_MESSAGE_FIELDS,
    ("reply_to_message", PARENT, False),
    ("external_reply", EXTERNAL_REPLY, False),
)


class UnexpectedShape(ValueError):
    """A getUpdates answer that does not have the shape the Bot API documents."""


def _kind_of(value: Any) -> str:
    return "null" if value is None else _NAMES.get(type(value), type(value).__name__)


def _check(value: Any, schema: Schema, path: str) -> None:
    """Raise :class:`UnexpectedShape` unless ``value`` (found at ``path``) fits ``schema``."""
    if isinstance(schema, str):
        if type(value) is not _KINDS[schema]:
            raise UnexpectedShape(f"{path} is {_kind_of(value)}, expected {_NAMES[_KINDS[schema]]}")
    elif isinstance(schema, list):
        if type(value) is not list:
            raise UnexpectedShape(f"{path} is {_kind_of(value)}, expected an array")
        for index, item in enumerate(value):
            _check(item, schema[0], f"{path}[{index}]")
    else:
        if type(value) is not dict:
            raise UnexpectedShape(f"{path} is {_kind_of(value)}, expected an object")
        for key, inner, required in schema:
            item = value.get(key)
            if item is None:
                if required:
                    raise UnexpectedShape(f"{path}.{key} is missing")
            elif type(inner) is not str or type(item) is not _KINDS[inner]:
                _check(item, inner, f"{path}.{key}")  # (a scalar of the right type is done)


def message_key(update: JSON) -> str | None:
    """Which of :data:`MESSAGE_KEYS` ``update`` carries (None: another kind of update)."""
    return next((key for key in MESSAGE_KEYS if update.get(key) is not None), None)


def check_updates(result: Any) -> list[JSON]:
    """``result`` of getUpdates, checked: a list of updates, each with an integer
    ``update_id`` and, if it carries a message, every message field the normalizer reads."""
    if type(result) is not list:
        raise UnexpectedShape(f"result is {_kind_of(result)}, expected an array of updates")
    for index, update in enumerate(result):
        if type(update) is not dict:
            raise UnexpectedShape(f"result[{index}] is {_kind_of(update)}, expected an update")
        update_id = update.get("update_id")
        if type(update_id) is not int:
            problem = "is missing" if update_id is None else f"is {_kind_of(update_id)}"
            raise UnexpectedShape(f"result[{index}].update_id {problem}, expected an integer")
        key = message_key(update)
        if key is not None:
            _check(update[key], MESSAGE, f"update {update_id}: {key}")
    return result
