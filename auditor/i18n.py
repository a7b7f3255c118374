"""Translations: English msgids in the code and templates, Danish in a Babel catalogue.

The .po file is compiled in memory at start-up, so the repository holds one source of truth
and no binary .mo file that can go stale.
"""

from __future__ import annotations

import contextvars
import io
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from auditor.paths import TRANSLATIONS_DIR

LOCALES = ("da", "en")
DEFAULT_LOCALE = "da"
LANGUAGE_COOKIE = "auditor_lang"
REPORT_TIME_ZONE = ZoneInfo("Europe/Copenhagen")  # the time of day a report prints

_current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)


# The locale whose dates each language writes: English as in Britain and Europe ("26 November 2026"), never the
# United States' "11/26/26" that Babel's plain "en" gives.
DATE_LOCALES = {"da": "da_DK", "en": "en_GB"}


def format_day(value: date | None, lang: str, *, short_month: bool = False) -> str:
    """A date as the language writes it in running text: Danish "26. november 2026", English "26 November 2026".
    With `short_month`, for tables and lists: "26. nov. 2026" / "26 Nov 2026", with no-break spaces, so that a
    narrow column never splits a date over lines. Every page and report writes its dates through here."""
    if value is None:
        return ""
    if short_month:
        return format_date(value, "medium", locale=DATE_LOCALES.get(lang, lang)).replace(" ", "\u00a0")
    return format_date(value, "long", locale=DATE_LOCALES.get(lang, lang))


def format_clock(value: time | datetime, lang: str) -> str:
    """A time of day on the 24-hour clock: Danish "14.05", English "14:05"."""
    return format_time(value, "HH:mm", locale=DATE_LOCALES.get(lang, lang))


def format_moment(value: datetime | None, lang: str, tzinfo=None) -> str:
    """A date and a time of day: "26. november 2026 kl. 14.05" / "26 November 2026, 14:05", in `tzinfo` if given."""
    if value is None:
        return ""
    if tzinfo is not None:
        value = value.astimezone(tzinfo)
    clock = format_clock(value, lang)
    return (
        f"{format_day(value.date(), lang)} kl. {clock}"
        if lang == "da"
        else f"{format_day(value.date(), lang)}, {clock}"
    )


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue for a locale (English needs none)."""
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == "en" or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def set_locale(locale: str) -> contextvars.Token:
    return _current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def reset_locale(token: contextvars.Token) -> None:
    """Give back the locale that `set_locale` replaced (its token)."""
    _current_locale.reset(token)


def get_locale() -> str:
    return _current_locale.get()


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


def translate(message: str, locale: str) -> str:
    """Translate into a given locale, whatever the request's locale (reports use this)."""
    return translations(locale).gettext(message)


def negotiate_locale(*, cookie: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The user's remembered choice first, then the browser's preference, then the installation's default."""
    if cookie in LOCALES:
        return cookie
    if accept_language:
        ranked = []
        for index, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            ranked.append((-quality, index, tag.strip().lower()[:2]))
        for _, _, primary in sorted(ranked):
            if primary in LOCALES:
                return primary
    return default


def localized(text: dict[str, str] | None, locale: str | None = None) -> str:
    """Pick the locale's text from a {da, en} mapping, falling back to the other language."""
    if not text:
        return ""
    locale = locale or get_locale()
    return text.get(locale) or next((v for v in text.values() if v), "")
