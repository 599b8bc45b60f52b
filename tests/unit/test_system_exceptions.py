"""%Exception.SystemException as CATCH receives it: Name, Code, Location, Data, DisplayString(),
AsSystemError(), AsStatus(); and the number of every system error the product raises.

Sources:
- the codes: Caché's call-in header ccallin.h, its CACHE_ERxxx table ("Definitions for the
  Call-In Interface to Cache"; CacheErrxlate() maps each back to its name);
- the DisplayString() form, Name Code Location Data: the %Exception.SystemException class
  reference (https://docs.intersystems.com/latest/csp/documatic/%25CSP.Documatic.cls?
  CLASSNAME=%25Exception.SystemException) and InterSystems Japan's ObjectScript cookbook,
  which shows `<DIVIDE> 18 zABC+3^CookBook.Class1.1` and
  `<UNDEFINED> 9 zTest1+8^CookBook.Class1.1 p1`;
- AsSystemError(): the class reference, "a traditional $ZE string" (RCOS_vzerror);
- #5002 in Caché 2018's words, "Cache error: %1" (RERR_gen, error codes 5000 to 5999).
"""

from __future__ import annotations

import re
from importlib import resources

import pytest

from cacheshell.lang.errors import ERROR_CODES

TRY = "Do Run^Probe"
PROBE = (
    "Run Try {{\n"
    " {code}\n"
    ' }} Catch e {{ Write e.Name,"|",e.Code,"|",e.Location,"|",e.Data }}\n'
    " Quit\n"
)

# (code that fails on line Run+1 of ^Probe, Name|Code|Location|Data)
CODES = [
    ("Write 1/0", "<DIVIDE>|18|Run+1^Probe|"),
    ("Write zz", "<UNDEFINED>|9|Run+1^Probe|zz"),
    ("Write $SELECT(0:1)", "<SELECT>|2|Run+1^Probe|"),
    ('Set x="9E145" Write x*10', "<MAXNUMBER>|1|Run+1^Probe|"),
    ('Write $ZHEX("G")', "<FUNCTION>|6|Run+1^Probe|"),
    ("Do Nowhere", "<NOLINE>|8|Run+1^Probe|"),
    ('Set x("")=1', '<SUBSCRIPT>|16|Run+1^Probe|x() Subscript 1 is ""'),
    ("Do ^NoRoutine", "<NOROUTINE>|17|Run+1^Probe|NoRoutine"),
    ("Do Run^Probe(1)", "<PARAMETER>|40|Run+1^Probe|"),
    ("Set $X=-1", "<ILLEGAL VALUE>|80|Run+1^Probe|"),
    ('Write $LIST("x")', "<LIST>|82|Run+1^Probe|"),
    ('ZNspace "NOPE"', "<NAMESPACE>|83|Run+1^Probe|NOPE"),
    ("Write x.Prop", "<UNDEFINED>|9|Run+1^Probe|x"),
    ("Set x=1 Write x.Prop", "<INVALID OREF>|119|Run+1^Probe|"),
    (
        "Do ##class(%SYSTEM.Status).Nope()",
        "<METHOD DOES NOT EXIST>|120|Run+1^Probe|Nope,%SYSTEM.Status",
    ),
    ("Write ##class(No.Such).X()", "<CLASS DOES NOT EXIST>|122|Run+1^Probe|No.Such"),
    (
        "Set o=##class(%Exception.General).%New() Write o.Nope",
        "<PROPERTY DOES NOT EXIST>|121|Run+1^Probe|Nope,%Exception.General",
    ),
]


@pytest.mark.parametrize(("code", "expected"), CODES)
def test_caught_error_has_name_code_location_data(bare_term, code, expected):
    bare_term.routine("Probe", PROBE.format(code=code))
    assert bare_term.run(TRY) == expected


SHOWN = [
    # Name Code Location Data, one space apart (the cookbook's <UNDEFINED> 9 ... p1)
    ("Write zz", "Write e.DisplayString()", "<UNDEFINED> 9 Run+1^Probe zz"),
    ("Write 1/0", "Write e.DisplayString()", "<DIVIDE> 18 Run+1^Probe"),
    # the $ZERROR form: entryref glued to the name, the info with its *
    ("Write zz", "Write e.AsSystemError()", "<UNDEFINED>Run+1^Probe *zz"),
    ("Write zz", "Write e.AsSystemError()=$ZERROR", "1"),
    (
        "Write 1/0",
        "Write $System.Status.GetErrorText(e.AsStatus())",
        "ERROR #5002: Cache error: <DIVIDE>Run+1^Probe",
    ),
    ("Write 1/0", "Write $ECODE", ",M9,"),
]


@pytest.mark.parametrize(("code", "show", "expected"), SHOWN)
def test_system_exception_methods(bare_term, code, show, expected):
    bare_term.routine("Probe", f"Run Try {{\n {code}\n }} Catch e {{ {show} }}\n Quit\n")
    assert bare_term.run(TRY) == expected


def test_syntax_error_code(bare_term):
    code = 'Try { Xecute "Write (" } Catch e { Write e.Name," ",e.Code }'
    assert bare_term.run(code) == "<SYNTAX> 3"


def test_display_string_of_an_exception_made_by_code(bare_term):
    # The cookbook's %Exception.General: an empty Location leaves two spaces
    code = 'Set e=##class(%Exception.General).%New("MyErr",5001,,"data") Write e.DisplayString()'
    assert bare_term.run(code) == "MyErr 5001  data"


def _raised_names() -> set[str]:
    """Every error name the installed package raises by name."""
    names: set[str] = set()
    pattern = re.compile(r'(?:ObjectScriptError|_fault)\(\s*"([A-Z][A-Z $_-]*)"')
    for path in resources.files("cacheshell").rglob("*.py"):  # type: ignore[attr-defined]
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


# Raised by the product but absent from Caché's 2010-2018 call-in table: <REGULAR EXPRESSION>
# ($MATCH) came later, and <LOCKED> is the product's own word for a busy instance database.
OUTSIDE_THE_TABLE = {"REGULAR EXPRESSION", "LOCKED"}


def test_every_error_the_product_raises_has_its_code():
    raised = _raised_names()
    assert "UNDEFINED" in raised and "PARAMETER" in raised  # the scan finds the raises
    assert sorted(raised - set(ERROR_CODES) - OUTSIDE_THE_TABLE) == []
