"""$HOROLOG dates and times: $ZDATE, $ZDATEH, $ZTIME, $ZTIMEH, $ZDATETIME, $ZDATETIMEH.

Day 0 is 1840-12-31 (day 1 is 1841-01-01); times count seconds since midnight.
The default (English) locale is modelled: "/" date separator, AM/PM, English names.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import FunctionSpec
from cacheshell.lang.markers import OMITTED, Omitted
from cacheshell.lang.objects import Value
from cacheshell.lang.values import Number, to_int, to_num, to_str

_EPOCH = date(1840, 12, 31).toordinal()
MAX_DATE = 2980013  # 9999-12-31
MIN_DATE = -672045  # 0001-01-01
_ABBR = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_FULL = (
    "January February March April May June July August September October November December"
).split()
_DAY_ABBR = "Sun Mon Tue Wed Thu Fri Sat".split()
_DAY_FULL = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()
_TWO_DIGIT_FORMATS = {1, 2, 4, 7, 15}
_NAMED_FORMATS = {2, 5, 6, 7, 9}
_DATE_FORMATS = set(range(1, 18))
_TIME_FORMATS = {1, 2, 3, 4}


def h_to_date(h: int) -> date:
    """The calendar date of a $HOROLOG day number."""
    return date.fromordinal(_EPOCH + h)


def date_to_h(d: date) -> int:
    """The $HOROLOG day number of a calendar date."""
    return d.toordinal() - _EPOCH


def horolog(now: datetime) -> str:
    """$HOROLOG for a local wall-clock time: "ddddd,sssss"."""
    return f"{date_to_h(now.date())},{now.hour * 3600 + now.minute * 60 + now.second}"


def ztimestamp(now_utc: datetime) -> str:
    """$ZTIMESTAMP for a UTC time: "ddddd,sssss.ffffff", trailing zeros dropped."""
    if now_utc.tzinfo is not None:
        now_utc = now_utc.astimezone(UTC)
    seconds = now_utc.hour * 3600 + now_utc.minute * 60 + now_utc.second
    fraction = f"{now_utc.microsecond:06d}".rstrip("0")
    return f"{date_to_h(now_utc.date())},{seconds}" + (f".{fraction}" if fraction else "")


def _given(v: object) -> bool:
    return v is not None and v is not OMITTED


def _option(v: object, default: int) -> int:
    """An optional integer argument where omitted and -1 both mean the default."""
    if not _given(v) or to_str(v) == "":
        return default
    n = to_int(v)
    return default if n == -1 else n


def _guarded(erropt: Value | Omitted, compute: Callable[[], Value]) -> Value:
    """Run compute(); an invalid-value error gives erropt instead when it was supplied."""
    try:
        return compute()
    except ObjectScriptError as e:
        # _given(erropt), spelled out so that the type checker sees a value returned.
        if (
            erropt is not None
            and erropt is not OMITTED
            and e.name in ("ILLEGAL VALUE", "VALUE OUT OF RANGE")
        ):
            return erropt
        raise


def _month_names(monthlist: object, full: bool) -> tuple[list[str], str]:
    """Month names and the separator they imply (the monthlist's first character)."""
    if not _given(monthlist) or to_str(monthlist) in ("", "-1"):
        return (_FULL if full else _ABBR), " "
    text = to_str(monthlist)
    return text[1:].split(text[0]), text[0]


def _limits(mindate: object, maxdate: object) -> tuple[int, int]:
    lo = _option(mindate, 0)
    hi = _option(maxdate, MAX_DATE)
    if hi > MAX_DATE or lo < MIN_DATE or lo > hi:
        raise ObjectScriptError("ILLEGAL VALUE")
    return lo, hi


def _two_digit_rule(yearopt: object, startwin: object, endwin: object) -> Callable[[int], bool]:
    """Whether a day number shows its year with two digits, per yearopt."""
    option = _option(yearopt, 0)
    if option in (0, 1):
        return lambda day: 1900 <= h_to_date(day).year <= 1999
    if option == 2:
        return lambda day: True
    if option == 4:
        return lambda day: False
    if option == 3 and _given(startwin):
        start = to_int(startwin)
        first = h_to_date(start)
        year = min(first.year + 100, 9999)
        last_day = calendar.monthrange(year, first.month)[1]  # 29 Feb may not exist then
        default_end = date_to_h(first.replace(year=year, day=min(first.day, last_day))) - 1
        end = _option(endwin, default_end)
        if end < start or end > default_end:
            raise ObjectScriptError("ILLEGAL VALUE")
        return lambda day: start <= day <= end
    # 5 and 6 are relative to today, which a pure function cannot know.
    raise ObjectScriptError("FUNCTION")


def _day_number(v: object) -> int:
    n = to_num(v)  # "66000,3600" reads as 66000: only the date part counts
    if n != int(n):
        raise ObjectScriptError("ILLEGAL VALUE")
    return int(n)


def _format_date(day: int, fmt: int, names: list[str], sep: str, short: bool) -> str:
    d = h_to_date(day)
    yyyy = f"{d.year:04d}"
    year = f"{d.year % 100:02d}" if short and fmt in _TWO_DIGIT_FORMATS else yyyy
    mm, dd = f"{d.month:02d}", f"{d.day:02d}"
    if fmt in _NAMED_FORMATS and d.month > len(names):
        raise ObjectScriptError("ILLEGAL VALUE")
    month = names[d.month - 1] if fmt in _NAMED_FORMATS else ""
    weekday = (d.weekday() + 1) % 7  # Sunday is 0
    layouts = {
        1: f"{mm}/{dd}/{year}",
        2: f"{dd}{sep}{month}{sep}{year}",
        3: f"{yyyy}-{mm}-{dd}",
        4: f"{dd}/{mm}/{year}",
        5: f"{month}{sep}{d.day},{sep}{yyyy}",
        6: f"{month}{sep}{d.day}{sep}{yyyy}",
        7: f"{month}{sep}{dd}{sep}{year}",
        8: f"{yyyy}{mm}{dd}",
        9: f"{month}{sep}{d.day},{sep}{yyyy}",
        10: str(weekday),
        11: _DAY_ABBR[weekday],
        12: _DAY_FULL[weekday],
        13: f"{d.day}/{d.month}/{d.year + 543}",
        14: f"{d.timetuple().tm_yday:03d}",
        15: f"{dd}/{mm}/{year}",
        16: f"{d.year}\u5e74{d.month}\u6708{d.day}\u65e5",
        17: f"{d.year}\u5e74 {d.month}\u6708 {d.day}\u65e5",
    }
    return layouts[fmt]


def zdate(
    hdate: object,
    dformat: object = OMITTED,
    monthlist: object = OMITTED,
    yearopt: object = OMITTED,
    startwin: object = OMITTED,
    endwin: object = OMITTED,
    mindate: object = OMITTED,
    maxdate: object = OMITTED,
    erropt: Value | Omitted = OMITTED,
    localeopt: object = OMITTED,
) -> Value:
    """$ZDATE(h[,dformat,monthlist,yearopt,startwin,endwin,mindate,maxdate,erropt])."""
    fmt = _option(dformat, 1)
    if fmt not in _DATE_FORMATS:
        raise ObjectScriptError("FUNCTION")
    names, sep = _month_names(monthlist, fmt == 9)
    two_digit = _two_digit_rule(yearopt, startwin, endwin)
    lo, hi = _limits(mindate, maxdate)

    def compute() -> str:
        day = _day_number(hdate)
        if not lo <= day <= hi:
            raise ObjectScriptError("VALUE OUT OF RANGE")
        return _format_date(day, fmt, names, sep, two_digit(day))

    return _guarded(erropt, compute)


# ---------------------------------------------------------------------------
# $ZDATEH

_SEP = r"[^0-9A-Za-z]"
_NUMERIC = {
    "MDY": re.compile(r"(\d{1,2})/(\d{1,2})/(\d+)"),
    "DMY": re.compile(r"(\d{1,2})/(\d{1,2})/(\d+)"),
    "DMY*": re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d+)"),
    "YMD": re.compile(r"(\d+)-(\d{1,2})-(\d{1,2})"),
    "YMD8": re.compile(r"(\d{4}|\d{2})(\d{2})(\d{2})"),
}
_DAY_FIRST = re.compile(r"(\d{1,2})[ ]+([^\W\d_]+)\.?[ ]+(\d+)")
_MONTH_FIRST = re.compile(r"([^\W\d_]+)\.?[ ]+(\d{1,2}),?[ ]+(\d+)")


def _year(text: str, yearopt: int) -> int:
    if len(text) == 4:
        return int(text)
    if len(text) == 2 and yearopt != 4:
        return 1900 + int(text)
    raise ObjectScriptError("ILLEGAL VALUE")


def _month_number(name: str, names: list[str] | None) -> int:
    choices = [names] if names is not None else [_ABBR, _FULL]
    for table in choices:
        for i, candidate in enumerate(table):
            if candidate.lower() == name.lower():
                return i + 1
    raise ObjectScriptError("ILLEGAL VALUE")


def _parse_date(text: str, fmt: int, names: list[str] | None, yearopt: int) -> date:
    """Read a date written in format `fmt` (5-9 and 15 accept several layouts)."""
    american = ["MDY", "DAY", "YMD", "YMD8", "MON"]
    tries = {
        1: ["MDY"],
        2: ["DAY"],
        3: ["YMD"],
        4: ["DMY"],
        8: american,
        13: ["THAI"],
        15: ["DMY*", "YMD", "YMD8", "DAY", "MON"],
    }.get(fmt, american)
    for layout in tries:
        if layout in ("DAY", "MON"):
            m = (_DAY_FIRST if layout == "DAY" else _MONTH_FIRST).fullmatch(text)
            if not m:
                continue
            day_text, name = (m[1], m[2]) if layout == "DAY" else (m[2], m[1])
            y, mo, d = _year(m[3], yearopt), _month_number(name, names), int(day_text)
        else:
            m = _NUMERIC["DMY" if layout == "THAI" else layout].fullmatch(text)
            if not m:
                continue
            if layout.startswith("YMD"):
                y, mo, d = _year(m[1], yearopt), int(m[2]), int(m[3])
            elif layout == "MDY":
                y, mo, d = _year(m[3], yearopt), int(m[1]), int(m[2])
            elif layout == "THAI":
                y, mo, d = int(m[3]) - 543, int(m[2]), int(m[1])
            else:
                y, mo, d = _year(m[3], yearopt), int(m[2]), int(m[1])
        try:
            return date(y, mo, d)
        except ValueError:
            raise ObjectScriptError("ILLEGAL VALUE") from None
    raise ObjectScriptError("ILLEGAL VALUE")


def zdateh(
    text: object,
    dformat: object = OMITTED,
    monthlist: object = OMITTED,
    yearopt: object = OMITTED,
    startwin: object = OMITTED,
    endwin: object = OMITTED,
    mindate: object = OMITTED,
    maxdate: object = OMITTED,
    erropt: Value | Omitted = OMITTED,
    localeopt: object = OMITTED,
) -> Value:
    """$ZDATEH(date[,dformat,...]): the $HOROLOG day number of a displayed date."""
    fmt = _option(dformat, 1)
    if fmt not in _DATE_FORMATS - {10, 11, 12, 14, 16, 17}:
        raise ObjectScriptError("FUNCTION")
    names = _month_names(monthlist, False)[0] if _given(monthlist) else None
    option = _option(yearopt, 0)
    lo, hi = _limits(mindate, maxdate)

    def compute() -> int:
        day = date_to_h(_parse_date(to_str(text).strip(), fmt, names, option))
        if not lo <= day <= hi:
            raise ObjectScriptError("VALUE OUT OF RANGE")
        return day

    return _guarded(erropt, compute)


# ---------------------------------------------------------------------------
# Times


def _format_time(seconds: Decimal, fmt: int, places: int) -> str:
    whole = int(seconds)
    h, m, s = whole // 3600, whole % 3600 // 60, whole % 60
    fraction = ""
    if places > 0:
        digits = (seconds - whole).scaleb(places).to_integral_value(ROUND_DOWN)
        fraction = "." + str(int(digits)).zfill(places)
    if fmt in (1, 2):
        return f"{h:02d}:{m:02d}" + (f":{s:02d}{fraction}" if fmt == 1 else "")
    suffix = "AM" if h < 12 else "PM"
    clock = f"{h % 12 or 12:02d}:{m:02d}"
    return clock + (f":{s:02d}{fraction}" if fmt == 3 else "") + suffix


def ztime(
    htime: object,
    tformat: object = OMITTED,
    precision: object = OMITTED,
    erropt: Value | Omitted = OMITTED,
    localeopt: object = OMITTED,
) -> Value:
    """$ZTIME(seconds[,tformat[,precision[,erropt]]]): formats 1-4; fractions truncated."""
    fmt = _option(tformat, 1)
    if fmt not in _TIME_FORMATS:
        raise ObjectScriptError("FUNCTION")
    places = _option(precision, 0)
    if places < 0:
        raise ObjectScriptError("FUNCTION")

    def compute() -> str:
        seconds = Decimal(to_num(htime))
        if not 0 <= seconds < 86400:
            raise ObjectScriptError("ILLEGAL VALUE")
        return _format_time(seconds, fmt, places)

    return _guarded(erropt, compute)


_TIME_RE = re.compile(
    r"(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(\.\d*)?)?)?[ ]*(AM|PM|A|P)?", re.IGNORECASE
)


def _parse_time(text: str) -> Number:
    word = text.upper()
    if word in ("NOON", "MIDNIGHT"):
        return 43200 if word == "NOON" else 0
    m = _TIME_RE.fullmatch(text)
    if not m:
        raise ObjectScriptError("ILLEGAL VALUE")
    hours, minutes, secs = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if m[5]:
        if not 1 <= hours <= 12:
            raise ObjectScriptError("ILLEGAL VALUE")
        hours = hours % 12 + (12 if m[5].upper().startswith("P") else 0)
    if hours > 23 or minutes > 59 or secs > 59:
        raise ObjectScriptError("ILLEGAL VALUE")
    return to_num(f"{hours * 3600 + minutes * 60 + secs}{m[4] or ''}")


def ztimeh(
    text: object,
    tformat: object = OMITTED,
    erropt: Value | Omitted = OMITTED,
    localeopt: object = OMITTED,
) -> Value:
    """$ZTIMEH(time[,tformat[,erropt]]): seconds since midnight of a displayed time."""
    if _option(tformat, 1) not in _TIME_FORMATS:
        raise ObjectScriptError("FUNCTION")
    return _guarded(erropt, lambda: _parse_time(to_str(text).strip()))


def zdatetime(
    hdatetime: object,
    dformat: object = OMITTED,
    tformat: object = OMITTED,
    precision: object = OMITTED,
    monthlist: object = OMITTED,
    yearopt: object = OMITTED,
    startwin: object = OMITTED,
    endwin: object = OMITTED,
    mindate: object = OMITTED,
    maxdate: object = OMITTED,
    erropt: Value | Omitted = OMITTED,
    localeopt: object = OMITTED,
) -> Value:
    """$ZDATETIME("ddddd,sssss"[,dformat[,tformat[,precision,...]]])."""
    day, _, seconds = to_str(hdatetime).partition(",")

    def compute() -> str:
        shown = zdate(day, dformat, monthlist, yearopt, startwin, endwin, mindate, maxdate)
        return f"{shown} {ztime(seconds or 0, tformat, precision)}"

    return _guarded(erropt, compute)


def zdatetimeh(
    text: object,
    dformat: object = OMITTED,
    tformat: object = OMITTED,
    monthlist: object = OMITTED,
    yearopt: object = OMITTED,
    startwin: object = OMITTED,
    endwin: object = OMITTED,
    mindate: object = OMITTED,
    maxdate: object = OMITTED,
    erropt: Value | Omitted = OMITTED,
    localeopt: object = OMITTED,
) -> Value:
    """$ZDATETIMEH(datetime[,dformat,tformat,...]): "ddddd,sssss" of a displayed date+time."""
    full = re.sub(r"^(\d+-\d+-\d+)T", r"\1 ", to_str(text).strip())
    words = full.split(" ")
    cut = len(words)
    if len(words) > 1 and words[-1].upper() in ("AM", "PM"):
        cut -= 1
    if cut > 1 and (":" in words[cut - 1] or words[cut - 1].upper() in ("NOON", "MIDNIGHT")):
        cut -= 1
    date_text, time_text = " ".join(words[:cut]), " ".join(words[cut:])

    def compute() -> str:
        day = zdateh(date_text, dformat, monthlist, yearopt, startwin, endwin, mindate, maxdate)
        seconds = ztimeh(time_text, tformat) if time_text else 0
        return f"{day},{to_str(seconds)}"

    return _guarded(erropt, compute)


FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec("ZDATE", "ZD", zdate, 1, 10, "Display form of a $HOROLOG date."),
        FunctionSpec("ZDATEH", "ZDH", zdateh, 1, 10, "$HOROLOG day number of a date."),
        FunctionSpec("ZTIME", "ZT", ztime, 1, 5, "Display form of seconds since midnight."),
        FunctionSpec("ZTIMEH", "ZTH", ztimeh, 1, 4, "Seconds since midnight of a time."),
        FunctionSpec("ZDATETIME", "ZDT", zdatetime, 1, 12, "Display form of a $HOROLOG value."),
        FunctionSpec("ZDATETIMEH", "ZDTH", zdatetimeh, 1, 11, "$HOROLOG value of a date+time."),
    )
}
