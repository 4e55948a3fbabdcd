"""Numbers, yen and times written the way the page shows them (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Final

JST: Final = timezone(timedelta(hours=9), "JST")


def format_man_yen(yen: int) -> str:
    """Yen the Japanese way: 4,500,000 is 450万円, 120,000,000 is 1億2,000万円, 4,567,890 is 456万7,890円."""
    if yen < 0:
        return "-" + format_man_yen(-yen)
    oku, rest = divmod(yen, 100_000_000)
    man, en = divmod(rest, 10_000)
    parts = []
    if oku:
        parts.append(f"{oku:,}億")
    if man:
        parts.append(f"{man:,}万")
    if en or not parts:
        parts.append(f"{en:,}")
    return "".join(parts) + "円"


def format_yen(yen: int) -> str:
    """Yen with thousands separators: 4,500,000円."""
    return f"{yen:,}円"


def band_text(min_yen: int | None, max_yen: int | None, min_open: bool, max_open: bool) -> str:
    """A band as people write it: 450万〜700万円, 1,100万円〜1,800万円+, 1,500万円以上, 〜400万円."""
    low = format_man_yen(min_yen) if min_yen is not None else None
    high = format_man_yen(max_yen) if max_yen is not None else None
    if low is not None and high is not None:
        text = low if min_yen == max_yen else f"{low}〜{high}"
        return ("〜" if min_open else "") + text + ("+" if max_open else "")
    if low is not None:
        return f"{low}以上" if max_open or not min_open else low
    if high is not None:
        return f"〜{high}" if min_open or not max_open else high
    return "金額なし"


def band_exact(min_yen: int | None, max_yen: int | None, min_open: bool, max_open: bool) -> str:
    """The same band in full yen: 4,500,000円 〜 7,000,000円."""
    low = format_yen(min_yen) if min_yen is not None else ("(下限なし)" if min_open else "?")
    high = format_yen(max_yen) if max_yen is not None else ("(上限なし)" if max_open else "?")
    return f"{low} 〜 {high}" + (" 以上" if max_open and max_yen is not None else "")


def format_seconds(seconds: float) -> str:
    """0.26秒, 12.3秒, 2分05秒, 1時間02分."""
    if seconds < 10:
        return f"{seconds:.2f}秒"
    if seconds < 60:
        return f"{seconds:.1f}秒"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}分{secs:02d}秒"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}時間{minutes:02d}分"


def format_time(moment: datetime | None) -> str:
    """A timestamp in Japan time: 2026-11-30 01:11:50 JST."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")
