"""$ZDATE, $ZDATEH, $ZTIME, $ZTIMEH, $ZDATETIME, $ZDATETIMEH and the $H helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from cacheshell.lang.dates import (
    FUNCTIONS,
    date_to_h,
    h_to_date,
    horolog,
    ztimestamp,
)
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.markers import OMITTED as O

CASES = [
    # $ZDATE default format: two-digit years for 1900-1999 only
    ("ZDATE", (50000,), "11/23/77"),
    ("ZDATE", (60000,), "04/10/2005"),
    ("ZDATE", (0,), "12/31/1840"),
    ("ZDATE", (1,), "01/01/1841"),
    ("ZDATE", (21400,), "08/04/1899"),
    ("ZDATE", ("60000,12345",), "04/10/2005"),
    ("ZDATE", ("",), "12/31/1840"),
    ("ZDATE", (2980013,), "12/31/9999"),
    ("ZDATE", (66000, 3), "2021-09-13"),
    ("ZDATE", (64701, 3), "2018-02-22"),
    # every dformat for 60000 (a Sunday)
    ("ZDATE", (60000, 1), "04/10/2005"),
    ("ZDATE", (60000, 2), "10 Apr 2005"),
    ("ZDATE", (60000, 3), "2005-04-10"),
    ("ZDATE", (60000, 4), "10/04/2005"),
    ("ZDATE", (60000, 5), "Apr 10, 2005"),
    ("ZDATE", (60000, 6), "Apr 10 2005"),
    ("ZDATE", (60000, 7), "Apr 10 2005"),
    ("ZDATE", (60000, 8), "20050410"),
    ("ZDATE", (60000, 9), "April 10, 2005"),
    ("ZDATE", (60000, 10), "0"),
    ("ZDATE", (60000, 11), "Sun"),
    ("ZDATE", (60000, 12), "Sunday"),
    ("ZDATE", (60000, 13), "10/4/2548"),
    ("ZDATE", (60000, 14), "100"),
    ("ZDATE", (60000, 15), "10/04/2005"),
    ("ZDATE", (60000, 16), "2005\u5e744\u670810\u65e5"),
    ("ZDATE", (60000, 17), "2005\u5e74 4\u6708 10\u65e5"),
    ("ZDATE", (60000, -1), "04/10/2005"),
    # 1977: formats that honour yearopt
    ("ZDATE", (50000, 2), "23 Nov 77"),
    ("ZDATE", (50000, 4), "23/11/77"),
    ("ZDATE", (50000, 5), "Nov 23, 1977"),
    ("ZDATE", (50000, 7), "Nov 23 77"),
    ("ZDATE", (50000, 8), "19771123"),
    ("ZDATE", (50000, 15), "23/11/77"),
    ("ZDATE", (50001, 12), "Thursday"),
    ("ZDATE", (50000, 1, O, 4), "11/23/1977"),
    ("ZDATE", (60000, 1, O, 2), "04/10/05"),
    ("ZDATE", (60000, 1, O, 3, 59000, 61000), "04/10/05"),
    ("ZDATE", (62000, 1, O, 3, 59000, 61000), "10/01/2010"),
    ("ZDATE", (58133, 1, O, 3, 58133), "02/29/00"),
    ("ZDATE", (94656, 1, O, 3, 58133), "02/27/00"),
    ("ZDATE", (94657, 1, O, 3, 58133), "02/28/2100"),
    ("ZDATE", (59461, 2, " Ene Feb Mar Abr May Jun Jul Ago Sep Oct Nov Dic"), "19 Oct 2003"),
    ("ZDATE", (60000, 9, "/Jan/Feb/Mar/Avril/May"), "Avril/10,/2005"),
    ("ZDATE", (-1, 1, O, O, O, O, O, O, "bad"), "bad"),
    ("ZDATE", (-30, 3, O, O, O, O, -365), "1840-12-01"),
    # $ZDATEH
    ("ZDATEH", ("11/23/77",), 50000),
    ("ZDATEH", ("11/23/1977",), 50000),
    ("ZDATEH", ("04/10/2005",), 60000),
    ("ZDATEH", ("4/10/2005",), 60000),
    ("ZDATEH", ("12/31/1840",), 0),
    ("ZDATEH", ("2/29/2004",), 59594),
    ("ZDATEH", ("04/10/05",), 23475),
    ("ZDATEH", ("23 Nov 77", 2), 50000),
    ("ZDATEH", ("2021-09-13", 3), 66000),
    ("ZDATEH", ("23/11/1977", 4), 50000),
    ("ZDATEH", ("Nov 23, 1977", 5), 50000),
    ("ZDATEH", ("November 23, 1977", 9), 50000),
    ("ZDATEH", ("11/23/1977", 5), 50000),
    ("ZDATEH", ("1977-11-23", 6), 50000),
    ("ZDATEH", ("19771123", 8), 50000),
    ("ZDATEH", ("23.11.1977", 15), 50000),
    ("ZDATEH", ("23 11 1977", 15), 50000),
    ("ZDATEH", ("10/4/2548", 13), 60000),
    ("ZDATEH", ("bad date", 1, O, O, O, O, O, O, "oops"), "oops"),
    # $ZTIME
    ("ZTIME", (0,), "00:00:00"),
    ("ZTIME", (3600,), "01:00:00"),
    ("ZTIME", (46800,), "13:00:00"),
    ("ZTIME", (86399,), "23:59:59"),
    ("ZTIME", (48535, 2), "13:28"),
    ("ZTIME", (48504, 3), "01:28:24PM"),
    ("ZTIME", (48504, 4), "01:28PM"),
    ("ZTIME", (0, 3), "12:00:00AM"),
    ("ZTIME", (43200, 3), "12:00:00PM"),
    ("ZTIME", (43199, 4), "11:59AM"),
    ("ZTIME", (D("48535.999"), 1, 3), "13:28:55.999"),
    ("ZTIME", (D("3600.567"), 1, 2), "01:00:00.56"),
    ("ZTIME", (D("3600.567"),), "01:00:00"),
    ("ZTIME", (3600, 1, 2), "01:00:00.00"),
    ("ZTIME", ("3600,junk",), "01:00:00"),
    ("ZTIME", (86400, 1, O, "invalid"), "invalid"),
    # $ZTIMEH
    ("ZTIMEH", ("01:00:00",), 3600),
    ("ZTIMEH", ("13:28:55",), 48535),
    ("ZTIMEH", ("13:28",), 48480),
    ("ZTIMEH", ("1:00PM",), 46800),
    ("ZTIMEH", ("01:28:24PM",), 48504),
    ("ZTIMEH", ("12:00AM",), 0),
    ("ZTIMEH", ("12:00 pm",), 43200),
    ("ZTIMEH", ("NOON",), 43200),
    ("ZTIMEH", ("Midnight",), 0),
    ("ZTIMEH", ("13:28:55.5",), D("48535.5")),
    ("ZTIMEH", ("25:00", 1, "x"), "x"),
    # $ZDATETIME / $ZDATETIMEH
    ("ZDATETIME", ("66000,3600", 3), "2021-09-13 01:00:00"),
    ("ZDATETIME", ("64701,55047.9843342", 3, 1, 3), "2018-02-22 15:17:27.984"),
    ("ZDATETIME", ("60000,48504",), "04/10/2005 13:28:24"),
    ("ZDATETIME", ("60000,48504", 1, 4), "04/10/2005 01:28PM"),
    ("ZDATETIME", ("50000,0", 2, 2), "23 Nov 77 00:00"),
    ("ZDATETIME", (60000,), "04/10/2005 00:00:00"),
    ("ZDATETIME", ("60000,90000", 3, O, O, O, O, O, O, O, O, "err"), "err"),
    ("ZDATETIMEH", ("2021-09-13 01:00:00", 3), "66000,3600"),
    ("ZDATETIMEH", ("2021-09-13T01:00:00", 3), "66000,3600"),
    ("ZDATETIMEH", ("11/23/1977 01:00PM",), "50000,46800"),
    ("ZDATETIMEH", ("11/23/1977 01:00 PM",), "50000,46800"),
    ("ZDATETIMEH", ("Nov 23, 1977 13:00", 5), "50000,46800"),
    ("ZDATETIMEH", ("11/23/1977",), "50000,0"),
    ("ZDATETIMEH", ("2018-02-22 15:17:27.984", 3), "64701,55047.984"),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES)
def test_function(name: str, args: tuple[object, ...], expected: object) -> None:
    result = FUNCTIONS[name].impl(*args)
    assert (result, type(result)) == (expected, type(expected))


ERRORS = [
    ("ZDATE", (-1,), "VALUE OUT OF RANGE"),
    ("ZDATE", (2980014,), "VALUE OUT OF RANGE"),
    ("ZDATE", (D("1.5"),), "ILLEGAL VALUE"),
    ("ZDATE", (1, 22), "FUNCTION"),
    ("ZDATE", (1, 0), "FUNCTION"),
    ("ZDATE", (1, 1, O, 3), "FUNCTION"),
    ("ZDATE", (1, 1, O, 3, 100, 50), "ILLEGAL VALUE"),
    ("ZDATE", (60000, 2, " Jan Feb Mar"), "ILLEGAL VALUE"),
    ("ZDATE", (60000, 1, O, O, O, O, 5, 4), "ILLEGAL VALUE"),
    ("ZDATE", (60000, 1, O, O, O, O, O, 50000), "VALUE OUT OF RANGE"),
    ("ZDATEH", ("2/29/2003",), "ILLEGAL VALUE"),
    ("ZDATEH", ("13/01/2000",), "ILLEGAL VALUE"),
    ("ZDATEH", ("04/10/205",), "ILLEGAL VALUE"),
    ("ZDATEH", ("abc",), "ILLEGAL VALUE"),
    ("ZDATEH", ("",), "ILLEGAL VALUE"),
    ("ZDATEH", ("1/1/1800",), "VALUE OUT OF RANGE"),
    ("ZDATEH", ("1/1/2000", 10), "FUNCTION"),
    ("ZTIME", (86400,), "ILLEGAL VALUE"),
    ("ZTIME", (-1,), "ILLEGAL VALUE"),
    ("ZTIME", (1, 9), "FUNCTION"),
    ("ZTIMEH", ("25:00",), "ILLEGAL VALUE"),
    ("ZTIMEH", ("13:00PM",), "ILLEGAL VALUE"),
    ("ZTIMEH", ("10:61",), "ILLEGAL VALUE"),
    ("ZTIMEH", ("noonish",), "ILLEGAL VALUE"),
    ("ZDATETIME", ("60000,86400",), "ILLEGAL VALUE"),
    ("ZDATETIMEH", ("2021-13-01 00:00:00", 3), "ILLEGAL VALUE"),
]


@pytest.mark.parametrize(("name", "args", "error"), ERRORS)
def test_error(name: str, args: tuple[object, ...], error: str) -> None:
    with pytest.raises(ObjectScriptError) as info:
        FUNCTIONS[name].impl(*args)
    assert info.value.name == error


HELPERS = [
    (horolog(datetime(2021, 9, 13, 1, 0, 0)), "66000,3600"),
    (horolog(datetime(1841, 1, 1, 23, 59, 59)), "1,86399"),
    (horolog(datetime(2005, 4, 10, 0, 0, 0, 999999)), "60000,0"),
    (
        ztimestamp(datetime(2018, 2, 22, 15, 17, 27, 984334, tzinfo=UTC)),
        "64701,55047.984334",
    ),
    (ztimestamp(datetime(2018, 2, 22, 15, 17, 27, 500000, tzinfo=UTC)), "64701,55047.5"),
    (ztimestamp(datetime(2018, 2, 22, 15, 17, 27)), "64701,55047"),
    (
        ztimestamp(datetime(2018, 2, 23, 1, 0, 0, tzinfo=timezone(timedelta(hours=2)))),
        "64701,82800",
    ),
    (str(h_to_date(66000)), "2021-09-13"),
    (str(date_to_h(date(1841, 1, 1))), "1"),
    (str(date_to_h(date(1, 1, 1))), "-672045"),
]


@pytest.mark.parametrize(("actual", "expected"), HELPERS)
def test_helpers(actual: str, expected: str) -> None:
    assert actual == expected


def test_table_names_and_abbreviations() -> None:
    abbrevs = {name: spec.abbrev for name, spec in FUNCTIONS.items()}
    assert abbrevs == {
        "ZDATE": "ZD",
        "ZDATEH": "ZDH",
        "ZTIME": "ZT",
        "ZTIMEH": "ZTH",
        "ZDATETIME": "ZDT",
        "ZDATETIMEH": "ZDTH",
    }
