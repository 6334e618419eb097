"""Business-hours arithmetic for SLA targets (pure functions, no database).

A `BusinessHours` is a time zone, working intervals per weekday and a set of
holiday dates. Instants are compared in UTC so that a daylight-saving change in the
calendar's zone never shortens or stretches a working day by an hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# Stop searching for working time after ten years: a calendar whose every day is a
# holiday would otherwise loop for ever.
_MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessHours:
    tz: dt.tzinfo = dt.UTC
    # weekday (Monday = 0) -> sorted list of (start, end) local times
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def always(cls) -> BusinessHours:
        """Round the clock, every day (used when a policy has no calendar)."""
        whole_day = ((dt.time(0, 0), dt.time.max),)
        return cls(tz=dt.UTC, hours=dict.fromkeys(range(7), whole_day))

    @classmethod
    def from_rows(
        cls,
        *,
        tz_name: str,
        rows: list[tuple[int, dt.time, dt.time]],
        holidays: list[dt.date],
    ) -> BusinessHours:
        hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for weekday, start, end in rows:
            hours.setdefault(weekday, []).append((start, end))
        return cls(
            tz=ZoneInfo(tz_name),
            hours={day: tuple(sorted(spans)) for day, spans in hours.items()},
            holidays=frozenset(holidays),
        )

    def _spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of one local day, as UTC instants."""
        if day in self.holidays:
            return []
        spans = []
        for start, end in self.hours.get(day.weekday(), ()):
            begin = dt.datetime.combine(day, start, tzinfo=self.tz)
            if end == dt.time.max:
                finish = dt.datetime.combine(
                    day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=self.tz
                )
            else:
                finish = dt.datetime.combine(day, end, tzinfo=self.tz)
            spans.append((begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)))
        return spans

    @property
    def has_hours(self) -> bool:
        return any(self.hours.values())

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant `minutes` of business time after `start`."""
        remaining = dt.timedelta(minutes=minutes)
        cursor = start.astimezone(dt.UTC)
        if remaining <= dt.timedelta(0):
            return cursor
        if not self.has_hours:
            return cursor + remaining
        day = cursor.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for begin, finish in self._spans(day):
                if finish <= cursor:
                    continue
                begin = max(begin, cursor)
                available = finish - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                cursor = finish
            day += dt.timedelta(days=1)
        return cursor + remaining

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business minutes from `start` to `end` (0 when end is not later)."""
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        if end <= start:
            return 0.0
        if not self.has_hours:
            return (end - start).total_seconds() / 60
        total = dt.timedelta(0)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            for begin, finish in self._spans(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > dt.timedelta(0):
                    total += overlap
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60
