"""Opening hours: open now, next change, the week's hours; unknown rather than an error."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app.places.hours import PARIS, OpenState, OpenStatus, status, week, zone_for

HOURS = "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def test_open_on_a_weekday_morning_until_noon() -> None:
    result = status(HOURS, paris("2026-11-25 10:15"))  # a Wednesday
    assert result.state is OpenState.OPEN and result.is_open
    assert result.next_change == paris("2026-11-25 12:00")
    assert result.next_state is OpenState.CLOSED


def test_closed_during_the_lunch_break() -> None:
    result = status(HOURS, paris("2026-11-25 12:30"))
    assert result.state is OpenState.CLOSED
    assert result.next_change == paris("2026-11-25 14:00")
    assert result.next_state is OpenState.OPEN


def test_closed_after_hours_opens_next_morning() -> None:
    result = status(HOURS, paris("2026-11-25 18:00"))
    assert result.state is OpenState.CLOSED
    assert result.next_change == paris("2026-11-26 09:00")


@pytest.mark.parametrize("moment", ["2026-11-28 12:00", "2026-11-28 15:00", "2026-11-29 10:00"])
def test_closed_over_the_weekend_opens_monday(moment: str) -> None:
    result = status(HOURS, paris(moment))  # Saturday noon, Saturday afternoon, Sunday
    assert result.state is OpenState.CLOSED
    assert result.next_change == paris("2026-11-30 09:00")
    assert result.next_change is not None and result.next_change.weekday() == 0


def test_open_on_saturday_morning() -> None:
    result = status(HOURS, paris("2026-11-28 09:00"))
    assert result.state is OpenState.OPEN
    assert result.next_change == paris("2026-11-28 12:00")


def test_public_holidays_are_closed_when_the_hours_say_so() -> None:
    christmas = paris("2026-12-25 10:00")  # a Friday
    assert status("Mo-Fr 09:00-17:00", christmas).state is OpenState.OPEN
    result = status("Mo-Fr 09:00-17:00; PH off", christmas)
    assert result.state is OpenState.CLOSED
    assert result.next_change == paris("2026-12-28 09:00")


def test_other_time_zones_are_converted_to_paris_time() -> None:
    # 08:30 UTC is 09:30 in Paris in November.
    result = status(HOURS, datetime(2026, 11, 25, 8, 30, tzinfo=UTC))
    assert result.state is OpenState.OPEN
    assert result.next_change == paris("2026-11-25 12:00")
    # A naive datetime is Paris time.
    assert status(HOURS, datetime(2026, 11, 25, 8, 30)).state is OpenState.CLOSED


def test_a_comment_is_returned() -> None:
    result = status('Mo-Fr 09:00-12:00 "sur rendez-vous"', paris("2026-11-25 10:00"))
    assert (result.state, result.comment) == (OpenState.OPEN, "sur rendez-vous")


def test_a_comment_alone_is_not_always_open() -> None:
    result = status('"sur rendez-vous"', paris("2026-11-25 10:00"))
    assert (result.state, result.comment) == (OpenState.UNKNOWN, "sur rendez-vous")
    assert week('"sur rendez-vous"', date(2026, 11, 25)) is None


def test_a_fallback_rule_gives_the_state_only() -> None:
    horaires = "Mo-Fr 09:00-12:00 || unknown"
    assert status(horaires, paris("2026-11-25 10:00")) == OpenStatus(OpenState.OPEN)
    assert status(horaires, paris("2026-11-28 10:00")).state is OpenState.UNKNOWN
    assert week(horaires, date(2026, 11, 25)) is None


def test_always_open_has_no_next_change() -> None:
    result = status("24/7", paris("2026-11-25 03:00"))
    assert result.state is OpenState.OPEN
    assert result.next_change is None


@pytest.mark.parametrize(
    "horaires", [None, "", "   ", "du lundi au vendredi 9h-12h", "Mo-Fr 25:00-26:00", "24/24"]
)
def test_missing_or_unreadable_hours_are_unknown(horaires: str | None) -> None:
    result = status(horaires, paris("2026-11-25 10:00"))
    assert result.state is OpenState.UNKNOWN
    assert not result.is_known and not result.is_open
    assert result.next_change is None
    assert week(horaires, date(2026, 11, 25)) is None


def test_the_weeks_hours_day_by_day() -> None:
    days = week(HOURS, date(2026, 11, 27))  # any day of the week: Monday first
    assert days is not None
    assert [day.weekday for day in days] == list(range(7))
    morning, afternoon = (time(9), time(12)), (time(14), time(17, 30))
    for weekday in range(5):
        assert days[weekday].ranges == [morning, afternoon]
    assert days[5].ranges == [morning]
    assert days[6].ranges == []
    weekday, ranges = days[6]  # unpacks as (weekday, ranges)
    assert (weekday, ranges) == (6, [])


def test_a_public_holiday_closes_its_day_of_the_week() -> None:
    days = week("Mo-Fr 09:00-17:00; PH off", date(2026, 12, 22))
    assert days is not None
    assert days[3].ranges == [(time(9), time(17))]  # Thursday 24
    assert days[4].ranges == []  # Friday 25 December


def test_hours_past_midnight_are_split_by_day() -> None:
    days = week("Fr 20:00-02:00", date(2026, 11, 25))
    assert days is not None
    assert days[4].ranges == [(time(20), time(0))]  # until midnight
    assert days[5].ranges == [(time(0), time(2))]


def test_closed_all_week_is_not_unknown() -> None:
    days = week("off", date(2026, 11, 25))
    assert days is not None
    assert all(day.ranges == [] for day in days)


def test_overseas_places_have_their_own_time_zone() -> None:
    assert zone_for("974").key == "Indian/Reunion"
    assert zone_for("93") is PARIS
    # 10:00 in Paris is 13:00 in La Réunion: a place open 09:00-12:00 there is closed.
    moment = paris("2026-11-25 10:00")
    assert status("Mo-Fr 09:00-12:00", moment).is_open
    assert not status("Mo-Fr 09:00-12:00", moment, zone_for("974")).is_open
