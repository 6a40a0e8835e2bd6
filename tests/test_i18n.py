"""Every message exists in zh-CN and en with the same parameters, and every key the code
uses exists."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from jinja2 import nodes

from bot.config import LOCALES
from bot.i18n import TEMPLATES_DIR, environment, text
from storage.todo import Kind

ROOT = Path(__file__).resolve().parent.parent


def _macros(locale: str) -> dict[str, tuple[str, ...]]:
    found = {}
    for path in sorted((TEMPLATES_DIR / "i18n" / locale).glob("*.j2")):
        tree = environment().parse(path.read_text(encoding="utf-8"))
        for macro in tree.find_all(nodes.Macro):
            found[f"{path.stem}.{macro.name}"] = tuple(arg.name for arg in macro.args)
    return found


def test_both_locales_have_the_same_messages_and_parameters():
    zh, en = _macros("zh-CN"), _macros("en")
    assert zh and zh == en


def test_every_key_used_in_code_exists():
    macros = _macros("zh-CN")
    used = set()
    for path in [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/**/*.py"),
        *ROOT.glob("scheduler/*.py"),
    ]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'i18n\(\s*f?"([a-z_]+\.[^"]+)"', source))
        used |= set(re.findall(r'text\(\s*[\w.]+,\s*f?"([a-z_]+\.[^"]+)"', source))
    dynamic = {key for key in used if "{" in key}
    assert used - dynamic, "the scan found nothing: the pattern is broken"
    missing = {key for key in used - dynamic if key not in macros}
    assert not missing


def test_invite_problem_keys_exist_for_every_problem():
    from bot.domain.invitations import InviteProblem

    for locale in LOCALES:
        for problem in InviteProblem:
            assert text(locale, f"start.invite_{problem}")


def test_command_descriptions_fit_telegram_limits():
    from bot.commands import BASE_COMMANDS

    for locale in LOCALES:
        for name in (*BASE_COMMANDS, "invite"):
            assert 1 <= len(text(locale, f"commands.{name}")) <= 256


def test_user_text_is_escaped():
    assert text("en", "start.welcome", name="<i>x</i>", roles=[]).count("&lt;i&gt;") == 1
    assert inspect.signature(text).parameters["locale"].kind is inspect.Parameter.POSITIONAL_ONLY


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_console_demo_links_are_printed_as_they_are(locale: str) -> None:
    """The start-up console is a terminal, not HTML: a link's & must not become &amp;
    (regression: every demo link with a profile and a code was printed escaped)."""
    link = "http://127.0.0.1:8080/chat?profile=trainee&start=abc"
    printed = text(
        locale,
        "demo.console",
        home="http://127.0.0.1:8080",
        cards=[{"role_label": "学员", "link": link}],
    )
    assert link in printed and "&amp;" not in printed


def test_every_inbox_kind_has_a_name_and_icon_in_every_locale():
    """The to-do inbox names each kind of pending item (a kind added without its name would
    fail the whole /todo page)."""
    for locale in LOCALES:
        for kind in Kind:
            assert text(locale, "todo.kind_name", kind=kind)
            assert text(locale, "todo.kind_icon", kind=kind)
