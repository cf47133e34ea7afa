"""How fast a campaign uses its quota, and when it will run out (spec §6, the account managers' dashboard).

Plain functions of plain values: the dashboard's queries hand them counts, they answer with rates,
dates and the points of the burn-down chart.
"""
import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WINDOW_DAYS = 28
SHORT_WINDOW_DAYS = 7


def local_midnights(today, days, tz):
    """The UTC instants of the local midnights from ``days`` days before ``today`` to today's, oldest first.

    Days are local days: across a daylight-saving change one of them lasts 23 or 25 hours.
    >>> [m.isoformat() for m in local_midnights(date(2026, 10, 26), 2, "Europe/Rome")]
    ['2026-10-23T22:00:00+00:00', '2026-10-24T22:00:00+00:00', '2026-10-25T23:00:00+00:00']
    """
    zone = ZoneInfo(tz)
    return [datetime.combine(today - timedelta(days=back), time(0), zone).astimezone(ZoneInfo("UTC"))
            for back in range(days, -1, -1)]


def burn_rate(bookings, days):
    """Bookings per day over a window: 21 bookings in the last 7 days burn 3 a day."""
    return bookings / days if days > 0 else 0.0


def forecast_exhaustion(today, purchased, taken, rate):
    """The day taken reaches purchased at ``rate`` bookings a day, or None when nothing burns.

    200 purchased, 189 taken, 1 a day: 11 places left, the 11th booked 11 days from today.
    2.5 a day: 4.4 days, so the last place goes on the 5th day. Already full: today.
    """
    remaining = purchased - taken
    if remaining <= 0:
        return today
    if rate <= 0:
        return None
    return today + timedelta(days=math.ceil(remaining / rate - 1e-9))


def burn_down(remaining_now, daily_bookings, bookings_today):
    """Places left when the window opened, at the end of each past day, and now: going back in
    time, each day's bookings were still places left. ``daily_bookings`` are the complete days,
    oldest first. (Cancellations and renewals inside the window are not replayed.)

    5 left now, 1 booked today, 2 yesterday, 3 the day before: [11, 8, 6, 5].
    """
    points = [remaining_now]
    left = remaining_now + bookings_today
    for count in reversed(daily_bookings):
        points.append(left)
        left += count
    points.append(left)
    points.reverse()
    return points


def chart_path(points, width, height, top=None):
    """SVG polyline points for values spread evenly from left to right, 0 at the bottom."""
    if not points:
        return ""
    top = max(top if top is not None else max(points), 1)
    step = width / max(len(points) - 1, 1)
    return " ".join(f"{index * step:.1f},{height - max(value, 0) * height / top:.1f}"
                    for index, value in enumerate(points))
