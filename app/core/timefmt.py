"""Dates as a Brazilian reads them (dd/mm/aaaa hh:mm in America/Sao_Paulo) and as the database
stores them (naive UTC): the conversions between the two, written once."""
from datetime import date, datetime, time, UTC
from zoneinfo import ZoneInfo

from flask import current_app


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["PWS_TIMEZONE"])


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_tz())


def to_naive_utc(value: datetime) -> datetime:
    """An aware datetime (a device's, a form's local time) as the naive UTC the database stores."""
    return value.astimezone(UTC).replace(tzinfo=None)


def local_midnight_utc(day: date) -> datetime:
    """00:00 of ``day`` in the portal's time zone, as naive UTC (date filters, months)."""
    return to_naive_utc(datetime.combine(day, time.min, local_tz()))


def format_datetime(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def format_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def isoformat_local(value: datetime | None) -> str | None:
    """ISO 8601 with the São Paulo offset, as the APIs speak."""
    return to_local(value).isoformat() if value else None
