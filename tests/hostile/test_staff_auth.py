"""The staff bot obeys only its configured chats and users.

Every command the bot registers and every button action it can sign, sent by someone it must
not obey (a stranger in private, a stranger in the staff group, a staff member in a group that
is not a staff chat, an automated account using a staff member's id): the store does not change
at all, nothing is edited, and the answer is at most one polite refusal. The same updates from
a staff member in the staff chat are acted upon (so the refusals are not vacuous). Forged or
altered callback data from a staff member is refused before it reaches the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from telegram.ext import CommandHandler

from bot.app import Salon
from bot.db import open_engine
from bot.staff import StaffBot
from bot.staff.buttons import SENTIMENT_CODES, SNOOZES, Act, Signer
from bot.staff.callbacks import STALE
from connectors.replay import ReplayConnector, ReplaySettings
from connectors.serialize import post_to_dict
from tests.helpers import KeywordAnalyser, make_post
from tests.hostile.strategies import HOSTILE, valid, valid_text
from tests.hostile.world import Runner
from tests.staff.conftest import GROUP, MARIA, STRANGER, FakeClock, World, staff_settings
from tests.staff.fake_api import BOT_ID, BOT_USERNAME, TOKEN, FakeTelegram, chat, user

STRANGE_GROUP = -100777
SIGNER = Signer(TOKEN)
REFUSAL = "Sorry, this bot works only for the staff of"
CHANGES = ("editMessageText", "editMessageReplyMarkup", "setMyCommands", "sendPhoto")


def _registered_commands() -> list[str]:
    """Every command the staff bot answers, read from its own handlers."""
    probe = StaffBot(
        staff_settings(Path("/nonexistent"), Path("/nonexistent")),
        open_engine("sqlite://"),
        bot=FakeTelegram().bot(),
    )
    names = {
        name
        for handlers in probe.app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    return sorted(names)


COMMANDS = _registered_commands()
ARGS: dict[Act, list[str]] = {
    Act.ASSIGN: ["", "0"],
    Act.TOPIC: ["", "0"],
    Act.SENTIMENT: ["", *SENTIMENT_CODES],
    Act.SNOOZE: list(SNOOZES),
}
BUTTONS = [(act, arg) for act in Act for arg in ARGS.get(act, [""])]
ACTIONS = (
    [f"/{name}" for name in COMMANDS] + ["edit-reply"] + [f"{a.value}:{g}" for a, g in BUTTONS]
)

AUTOMATED_MARIA = {**MARIA, "is_bot": True}
WHO: dict[str, tuple[dict[str, Any], int]] = {
    "stranger-in-private": (STRANGER, STRANGER["id"]),
    "stranger-in-staff-group": (STRANGER, GROUP),
    "staff-in-strange-group": (MARIA, STRANGE_GROUP),
    "automated-account-with-staff-id": (AUTOMATED_MARIA, GROUP),
}


class StaffWorld(Runner):
    """The staff bot over the fake Bot API, alerts delivered from three posts."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        posts = [
            make_post("1", "are tickets on sale?"),
            make_post("2", "the cafe was awful", minutes=5),
            make_post("3", "fire alarm in the east wing!", minutes=10),
        ]
        data = folder / "in.jsonl"
        data.write_text("".join(json.dumps(post_to_dict(p)) + "\n" for p in posts))
        settings = staff_settings(folder, data)
        self.engine: Engine = open_engine(settings.database.url)
        fake, clock = FakeTelegram(), FakeClock()
        staff = StaffBot(
            settings,
            self.engine,
            bot=fake.bot(),
            clock=clock.now,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
        )
        replies = ReplayConnector(ReplaySettings(replies_path=folder / "replies.jsonl"))
        salon = Salon(
            settings,
            engine=self.engine,
            analyser=KeywordAnalyser(),
            sink=staff.sink,
            connectors={"s": replies},
        )
        salon.outbox.clock = clock.now
        self.world = World(fake, clock, staff, salon, folder)
        self.run(self.world.run_pipeline())
        self.alert = self.world.alert("1")  # a ticket question with a draft reply

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table."""
        with self.engine.connect() as connection:
            return {
                table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for table in SQLModel.metadata.sorted_tables
            }

    def send(self, action: str, who: dict[str, Any], where: int) -> None:
        """Queue the update for ``action`` from ``who`` in chat ``where``, and handle it."""
        fake = self.world.fake
        if action.startswith("/"):
            argument = " 1" if action == "/mute" else ""
            fake.write(action + argument, who, where)
        elif action == "edit-reply":
            prompt = {
                "message_id": 4242,
                "date": 1793523600,
                "chat": chat(where),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "S", "username": BOT_USERNAME},
                "text": f"✏️ New text for the draft reply of alert #{self.alert.id}, @maria: reply",
            }
            fake.write("Visit https://evil.example instead", who, where, reply_to=prompt)
        else:
            code, _, arg = action.partition(":")
            self.press(SIGNER.encode(Act(code), self.alert.id or 0, arg), who, where)
        self.run(self.world.staff.poll_once())

    def press(self, data: str, who: dict[str, Any], where: int) -> None:
        """Queue a button press with ``data`` on the alert's message (as if it were in
        ``where``)."""
        message = dict(self.world.message(self.alert))
        message["chat"] = chat(where)
        self.world.fake.press(data, who, message)

    def close(self) -> None:
        self.run(self.world.staff.aclose())
        self.run(self.world.salon.aclose())
        super().close()


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffWorld]:
    world = StaffWorld(tmp_path_factory.mktemp("refusing"))
    yield world
    world.close()


@pytest.fixture(scope="module")
def obeying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffWorld]:
    world = StaffWorld(tmp_path_factory.mktemp("obeying"))
    yield world
    world.close()


def test_every_command_and_action_is_covered() -> None:
    assert {"inbox", "status", "digest", "mute", "pause", "resume", "help", "start"} <= set(
        COMMANDS
    )
    assert {act for act, _ in BUTTONS} == set(Act)


@pytest.mark.parametrize("who", sorted(WHO))
@pytest.mark.parametrize("action", ACTIONS)
def test_nobody_else_is_obeyed(refusing: StaffWorld, action: str, who: str) -> None:
    sender, where = WHO[who]
    fake = refusing.world.fake
    before, calls, sent = refusing.snapshot(), len(fake.calls), len(fake.sent)
    refusing.send(action, sender, where)
    assert refusing.snapshot() == before, "the store changed"
    made = [(method, params) for method, params in fake.calls[calls:] if method != "getUpdates"]
    assert not [m for m, _ in made if m in CHANGES], made
    messages = fake.sent[sent:]
    assert len(messages) <= 1 and all(m["text"].startswith(REFUSAL) for m in messages), messages
    answers = [p.get("text") for m, p in made if m == "answerCallbackQuery"]
    assert len(answers) <= 1 and all(a is None or a.startswith(REFUSAL) for a in answers)


@pytest.mark.parametrize("action", ACTIONS)
def test_staff_in_the_staff_chat_are_obeyed(obeying: StaffWorld, action: str) -> None:
    """The control: the same updates from staff get an answer of substance."""
    fake = obeying.world.fake
    calls = len(fake.calls)
    obeying.send(action, MARIA, GROUP)
    made = [(m, p) for m, p in fake.calls[calls:] if m != "getUpdates"]
    assert made, f"{action}: no answer at all"
    texts = [str(p.get("text") or "") for _, p in made]
    assert not any(t.startswith(REFUSAL) for t in texts), texts


OTHER_BOT = Signer("7000000003:ANOTHER_BOTS_TOKEN_0123456789abc")


def _altered(data: str, index: int, char: str) -> str:
    """A genuine button's data with one character changed."""
    index %= max(1, len(data))
    return data[:index] + char + data[index + 1 :]


def _signed_by_another_bot(act: Act, number: int, arg: str) -> str:
    """Well-formed data for any alert id, signed with another bot's key."""
    body = f"{act.value}:{number}:{arg}"
    return f"{body}:{OTHER_BOT.encode(act, 1, arg).rsplit(':', 1)[1]}"


forged = st.one_of(
    valid_text,  # Telegram carries callback data as UTF-8: never a lone surrogate
    st.text(alphabet="abdehmnpstuwk:0123456789-_", max_size=64),
    st.builds(
        _altered,
        st.sampled_from([SIGNER.encode(a, i, g) for a, g in BUTTONS for i in (1, 2, 3)]),
        st.integers(0, 63),
        st.characters(codec="utf-8").map(valid),
    ),
    st.builds(
        _signed_by_another_bot,
        st.sampled_from(list(Act)),
        st.integers(-(2**40), 2**40),
        st.sampled_from(["", "0", "h", "n"]),
    ),
)


@HOSTILE
@given(data=forged)
def test_forged_callback_data_from_staff_is_refused(refusing: StaffWorld, data: str) -> None:
    if SIGNER.decode(data) is not None:
        return  # an "alteration" that left a genuine button as it was
    fake = refusing.world.fake
    before, calls = refusing.snapshot(), len(fake.calls)
    refusing.press(data, MARIA, GROUP)
    refusing.run(refusing.world.staff.poll_once())
    assert refusing.snapshot() == before
    made = [(m, p) for m, p in fake.calls[calls:] if m != "getUpdates"]
    assert [m for m, _ in made] == ["answerCallbackQuery"], made
    assert made[0][1].get("text") == STALE


def test_a_stranger_is_refused_once_per_person(refusing: StaffWorld) -> None:
    """However many updates one stranger sends, one refusal message in all."""
    fake = refusing.world.fake
    newcomer = user(31337, "newcomer")
    sent = len(fake.sent)
    for action in ("/inbox", "/pause", "/status", "hello"):
        fake.write(action, newcomer, newcomer["id"])
    refusing.run(refusing.world.staff.poll_once())
    assert [m["text"][:5] for m in fake.sent[sent:]] == ["Sorry"]
