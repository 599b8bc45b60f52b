"""Help() on the %SYSTEM classes, and class queries through %ResultSet, RunQuery and
%SQL.Statement, as the %SYSTEM.License and %SYSTEM.Help class reference documents them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import Terminal

from cacheshell.lang.objects import REGISTRY, ClassDef
from cacheshell.system import instance_lock

PROBE_QUERY_CLASS = "User.QueryProbe"
PROBE_SYSTEM_CLASS = "%SYSTEM.HelpProbe"


@pytest.fixture
def probe_queries() -> Iterator[ClassDef]:
    """A test-only class with one query: Pairs(n=2) gives (k1,10) ... (kn,n*10)."""
    cls = REGISTRY.define(PROBE_QUERY_CLASS, "Queries for the result-set tests.")

    @cls.query(
        "Pairs", ("Name", "Value"), "n rows of names and values.", signature="(n As %Integer = 2)"
    )
    def pairs(ctx: object, n: object = 2) -> Iterator[tuple]:
        for i in range(1, int(str(n)) + 1):
            yield (f"k{i}", i * 10)

    yield cls
    REGISTRY.classes.pop(PROBE_QUERY_CLASS, None)


@pytest.fixture
def probe_system_class() -> Iterator[ClassDef]:
    """A %SYSTEM class defined after the library was imported: Help() must reach it too."""
    cls = REGISTRY.define(PROBE_SYSTEM_CLASS, "A class that exists only in this test.")

    @cls.classmethod("lower", "Sorted after the uppercase names.", signature="()")
    def lower(ctx: object) -> int:
        return 1

    @cls.classmethod(
        "Login",
        "Log in under an identifier.",
        "Returns the connection count.\nZero means refused.",
        "(UserIdentifier As %String, ByRef Status)",
    )
    def login(ctx: object, who: object, status: object = "") -> int:
        return 1

    @cls.classmethod("%Internal", "Never listed.", signature="()")
    def internal(ctx: object) -> int:
        return 1

    yield cls
    REGISTRY.classes.pop(PROBE_SYSTEM_CLASS, None)


def error_line(shown: str) -> str:
    """The last line of an error block: the error's name and info, as $ZERROR starts."""
    return shown.splitlines()[-1]


# -- Help() -------------------------------------------------------------------------------------
STATUS_HELP = """\
'Do $system.Status.Help(method)' will display a full description of an individual method.

Methods of the class: %SYSTEM.Status

AppendStatus(sc1,sc2)
     Return a status holding the errors of both statuses.

DecomposeStatus(sc,&list)
     Put each error of the status into the array passed by reference.

DisplayError(sc)
     Write the status's errors on the current device.

Error(code,args...)
     Return an error status with the given code and message arguments.

GetErrorCodes(sc)
     Return the error codes of the status, comma-separated.

GetErrorText(sc)
     Return the text of every error in the status.

Help(method)
     Write out a list of the methods of this object to the console.

IsError(sc)
     Return 1 if the status is an error, else 0.

IsOK(sc)
     Return 1 if the status is success, else 0.

OK()
     Return the success status, 1.
"""


def test_help_lists_every_class_method_of_status(term) -> None:
    assert term.run("Do $System.Status.Help()") == STATUS_HELP


def test_help_of_one_method(term) -> None:
    assert term.run('Do $system.Status.Help("IsOK")') == (
        "Description of the method:class IsOK:%SYSTEM.Status\n"
        "\n"
        "IsOK(sc)\n"
        "Return 1 if the status is success, else 0.\n"
    )


def test_help_of_a_method_shows_its_details(term) -> None:
    assert term.run('Do $system.Version.Help("Help")') == (
        "Description of the method:class Help:%SYSTEM.Version\n"
        "\n"
        "Help(method)\n"
        "Write out a list of the methods of this object to the console.\n"
        "Pass the method name as an argument to see the full description for\n"
        "this item.\n"
    )


@pytest.mark.parametrize("name", ["Nope", "isok", "%New"])
def test_help_of_an_unknown_method(term, name: str) -> None:
    assert term.run(f'Do $system.Status.Help("{name}")') == (
        f"Description of the method:class {name}:%SYSTEM.Status\n"
        "\n"
        f"'{name}' is not a method of %SYSTEM.Status.\n"
    )


def test_help_reaches_a_system_class_defined_later(term, probe_system_class) -> None:
    assert term.run("Do ##class(%SYSTEM.HelpProbe).Help()") == (
        "'Do $system.HelpProbe.Help(method)' will display a full description of an individual "
        "method.\n"
        "\n"
        "Methods of the class: %SYSTEM.HelpProbe\n"
        "\n"
        "Help(method)\n"
        "     Write out a list of the methods of this object to the console.\n"
        "\n"
        "Login(UserIdentifier,&Status)\n"
        "     Log in under an identifier.\n"
        "\n"
        "lower()\n"
        "     Sorted after the uppercase names.\n"
    )
    assert term.run('Do $System.HelpProbe.Help("Login")') == (
        "Description of the method:class Login:%SYSTEM.HelpProbe\n"
        "\n"
        "Login(UserIdentifier,&Status)\n"
        "Log in under an identifier.\n"
        "Returns the connection count.\n"
        "Zero means refused.\n"
    )


def test_help_returns_the_empty_string(term) -> None:
    assert term.run('Set x=$System.Status.Help("OK") Write "[",x,"]"').endswith("\n[]")


def test_help_is_only_for_system_classes(term) -> None:
    assert error_line(term.run("Do ##class(%ResultSet).Help()")) == (
        "<METHOD DOES NOT EXIST> *Help,%Library.ResultSet"
    )


# -- %ResultSet over a test-only query ----------------------------------------------------------
def test_result_set_walks_the_rows(term, probe_queries) -> None:
    code = (
        'Set rs=##class(%ResultSet).%New("User.QueryProbe:Pairs") '
        'Write rs.GetColumnCount()," ",rs.GetColumnName(1)," ",rs.GetColumnName(2),! '
        "Write rs.Execute(3),! "
        'While rs.Next() { Write rs.Get("Name"),"=",rs.GetData(2),"/",'
        'rs.GetDataByName("Value"),! } '
        'Write rs.Next(),rs.Get("Name"),! Write rs.Close()'
    )
    assert term.run(code) == "2 Name Value\n1\nk1=10/10\nk2=20/20\nk3=30/30\n0\n1"


def test_result_set_named_by_properties(term, probe_queries) -> None:
    code = (
        'Set rs=##class(%ResultSet).%New() Set rs.ClassName="User.QueryProbe" '
        'Set rs.QueryName="Pairs" Write rs.ClassName,":",rs.QueryName,! '
        'Write rs.Execute() While rs.Next() { Write " ",rs.GetData(1) }'
    )
    assert term.run(code) == "User.QueryProbe:Pairs\n1 k1 k2"


def test_result_set_edges(term, probe_queries) -> None:
    code = (
        'Set rs=##class(%ResultSet).%New("User.QueryProbe:Pairs") Do rs.Execute(1) '
        'Write "[",rs.Get("Name"),"]" Do rs.Next() '
        'Write "[",rs.Get("Missing"),"][",rs.GetData(9),"][",rs.GetColumnName(3),"]" '
        'Do rs.Close() Write "[",rs.GetData(1),"]"'
    )
    assert term.run(code) == "[][][][][]"


def test_result_set_unknown_query_is_a_status(term, probe_queries) -> None:
    code = (
        'Set rs=##class(%ResultSet).%New("User.QueryProbe:Nope") Set sc=rs.Execute() '
        "Write $System.Status.GetErrorText(sc)"
    )
    assert term.run(code) == "ERROR #5660: Query 'User.QueryProbe:Nope' does not exist"


def test_result_set_unknown_class(term) -> None:
    code = 'Set rs=##class(%ResultSet).%New("User.NoSuchClass:Q") Do rs.Execute()'
    assert error_line(term.run(code)) == "<CLASS DOES NOT EXIST> *User.NoSuchClass"


def test_result_set_too_many_arguments(term, probe_queries) -> None:
    code = 'Set rs=##class(%ResultSet).%New("User.QueryProbe:Pairs") Do rs.Execute(1,2)'
    assert error_line(term.run(code)) == "<PARAMETER>"


def test_run_query_prints_colon_separated_rows(term, probe_queries) -> None:
    assert term.run('Do ##class(%ResultSet).RunQuery("User.QueryProbe","Pairs",2)') == (
        "Name:Value:\nk1:10:\nk2:20:\n"
    )


def test_run_query_of_an_unknown_query(term, probe_queries) -> None:
    assert term.run('Do ##class(%ResultSet).RunQuery("User.QueryProbe","Nope")') == (
        "\nERROR #5660: Query 'User.QueryProbe:Nope' does not exist\n"
    )


# -- %SQL.Statement -----------------------------------------------------------------------------
def test_statement_prepare_execute_next_get(term, probe_queries) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Write stmt.%PrepareClassQuery("User.QueryProbe","Pairs"),! '
        "Set rs=stmt.%Execute(2) Write rs.%SQLCODE,! "
        'While rs.%Next() { Write rs.%Get("Name"),"=",rs.%GetData(2),! } '
        'Write rs.%SQLCODE," ",rs.%ROWCOUNT'
    )
    assert term.run(code) == "1\n0\nk1=10\nk2=20\n100 2"


def test_statement_display(term, probe_queries) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Do stmt.%PrepareClassQuery("User.QueryProbe","Pairs") '
        "Set rs=stmt.%Execute(3) Do rs.%Display()"
    )
    assert term.run(code) == "Name\tValue\nk1\t10\nk2\t20\nk3\t30\n\n3 Rows(s) Affected"


def test_statement_display_after_next_shows_the_rest(term, probe_queries) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Do stmt.%PrepareClassQuery("User.QueryProbe","Pairs") '
        "Set rs=stmt.%Execute(2) Do rs.%Next() Do rs.%Display()"
    )
    assert term.run(code) == "Name\tValue\nk2\t20\n\n2 Rows(s) Affected"


def test_statement_unknown_query(term, probe_queries) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Set sc=stmt.%PrepareClassQuery("User.QueryProbe","Nope") '
        "Do $System.Status.DisplayError(sc)"
    )
    assert term.run(code) == "\nERROR #5660: Query 'User.QueryProbe:Nope' does not exist\n"


def test_statement_unknown_class(term) -> None:
    code = (
        'Set stmt=##class(%SQL.Statement).%New() Do stmt.%PrepareClassQuery("User.NoSuchClass","Q")'
    )
    assert error_line(term.run(code)) == "<CLASS DOES NOT EXIST> *User.NoSuchClass"


def test_statement_unknown_column(term, probe_queries) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Do stmt.%PrepareClassQuery("User.QueryProbe","Pairs") '
        'Set rs=stmt.%Execute() Do rs.%Next() Write rs.%Get("Nope")'
    )
    assert error_line(term.run(code)) == "<PROPERTY DOES NOT EXIST> *Nope,%SQL.StatementResult"


def test_statement_executed_unprepared(term) -> None:
    code = (
        "Set rs=##class(%SQL.Statement).%New().%Execute() "
        'Write rs.%SQLCODE," ",rs.%Message," ",rs.%Next()'
    )
    assert term.run(code) == "-400 Statement is not prepared 0"


# -- the %SYSTEM.License queries ----------------------------------------------------------------
USER_COLUMNS = "UserId Type Connects MaxCon CSPCon LU Active Grace"
LICENSE_QUERY_COLUMNS = [
    ("Counts", "InstanceLicenseUse|License Units"),
    ("Key", "Field|Value"),
    ("Decode", "CapacityField|Value"),
    ("ProcessList", "PID|DisplayPID|Process|LID|Type|Con|MaxCon|CSPCon|LU|Active|Grace"),
    ("UserList", USER_COLUMNS.replace(" ", "|")),
    ("UserListAll", USER_COLUMNS.replace(" ", "|")),
    ("LoginDuration", "Duration|Count"),
]


def columns_of(term, query: str) -> str:
    code = (
        f'Set rs=##class(%ResultSet).%New("%SYSTEM.License:{query}") '
        'Write rs.GetColumnCount(),":" '
        'For i=1:1:rs.GetColumnCount() { Write:i>1 "|" Write rs.GetColumnName(i) }'
    )
    return term.run(code)


@pytest.mark.parametrize(("query", "columns"), LICENSE_QUERY_COLUMNS)
def test_license_query_columns(term, query: str, columns: str) -> None:
    assert columns_of(term, query) == f"{columns.count('|') + 1}:{columns}"


def rows_of(term, query: str, args: str = "") -> list[str]:
    """Every row of a query through %ResultSet, its values joined by "|"."""
    code = (
        f'Set rs=##class(%ResultSet).%New("%SYSTEM.License:{query}") '
        f'Set sc=rs.Execute({args}) Write:\'sc "failed" '
        'While rs.Next() { For i=1:1:rs.GetColumnCount() { Write:i>1 "|" '
        "Write rs.GetData(i) } Write ! }"
    )
    return term.run(code).splitlines()


def test_run_query_counts(term) -> None:
    assert term.run('Do ##class(%ResultSet).RunQuery("%SYSTEM.License","Counts")') == (
        "InstanceLicenseUse:License Units:\n"
        "Total authorized license units:5:\n"
        "Current available license units:4:\n"
        "Minimum available license units:4:\n"
        "Current active users:1:\n"
        "Maximum active users:1:\n"
        "CSP users currently active:0:\n"
        "Maximum active CSP users:0:\n"
        "CSP sessions currently in 'grace period':0:\n"
        "Maximum CSP sessions in 'grace period':0:\n"
    )


def system_rows(term: Terminal) -> list[str]:
    """The ProcessList rows of the instance's service and its license monitor: System processes
    that take no unit (licensing chapter, the piduse.dmp sample's System rows)."""
    service = instance_lock.recorded_pid(term.session.layout.mgr)
    assert service is not None
    return [
        f"{service}|{service}|System|||0|0|0|0|0|0",
        f"{service * 1000 + 1}|{service * 1000 + 1}|System|||0|0|0|0|0|0",
    ]


def test_process_list_shows_this_process(term) -> None:
    job = term.run("Write $JOB")
    assert rows_of(term, "ProcessList") == [
        *system_rows(term),
        f"{job}|{job}|User|127.0.0.1|User|1|1|0|1|0|0",
    ]
    code = (
        'Set rs=##class(%ResultSet).%New("%SYSTEM.License:ProcessList") Do rs.Execute() '
        'Do rs.Next(),rs.Next(),rs.Next() Write rs.Get("PID")=$JOB,rs.Get("Process"),"@",'
        'rs.Get("LID")'
    )
    assert term.run(code) == "1User@127.0.0.1"


def test_process_list_and_user_list_with_a_second_terminal(term) -> None:
    job = term.run("Write $JOB")
    with Terminal() as other:
        other_job = other.run("Write $JOB")
        assert rows_of(term, "ProcessList") == [
            *system_rows(term),
            f"{job}|{job}|User|127.0.0.1|User|2|2|0|1|0|0",
            f"{other_job}|{other_job}|User|127.0.0.1|User|2|2|0|1|0|0",
        ]
        assert rows_of(term, "UserList") == ["127.0.0.1|User|2|2|0|1|0|0"]


def test_filter_keeps_the_matching_license_ids(term) -> None:
    assert len(rows_of(term, "ProcessList", '"127.0.0"')) == 1
    assert rows_of(term, "ProcessList", '"10.1.1.1"') == []
    assert rows_of(term, "UserList", '"nobody"') == []


def test_user_list_all_adds_one_free_slot_per_available_unit(term) -> None:
    assert rows_of(term, "UserListAll") == (["127.0.0.1|User|1|1|0|1|0|0"] + ["||0|0|0|0|0|0"] * 4)


def test_key_sections(term) -> None:
    fields = [row.split("|", 1)[0] for row in rows_of(term, "Key", "1")]
    assert fields == [
        "LicenseCapacity",
        "CustomerName",
        "OrderNumber",
        "ExpirationDate",
        "AuthorizationKey",
        "MachineID",
    ]
    assert rows_of(term, "Key") == rows_of(term, "Key", "1")  # the training key has no apps
    assert rows_of(term, "Key", "2") == []


def test_decode_rows(term) -> None:
    rows = rows_of(term, "Decode")
    assert rows[:3] == ["Product|Enterprise", "License Type|Concurrent User", "Server|Multi"]
    assert "License Units|5" in rows


def test_login_duration_counts_logouts(term) -> None:
    assert rows_of(term, "LoginDuration") == ["1|0", "15|0", "60|0", "900|0", "3600|0", "> 3600|0"]
    with Terminal():
        pass
    counts = [int(row.rsplit("|", 1)[1]) for row in rows_of(term, "LoginDuration")]
    assert sum(counts) == 1


def test_old_style_dotted_query_name(term) -> None:
    code = (
        'Set rs=##class(%ResultSet).%New("%SYSTEM.License.Counts") Do rs.Execute() '
        'Do rs.Next() Write rs.ClassName,"|",rs.QueryName,"|",rs.GetData(2)'
    )
    assert term.run(code) == "%SYSTEM.License|Counts|5"


def test_statement_over_process_list(term) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Set sc=stmt.%PrepareClassQuery("%SYSTEM.License","ProcessList") '
        'Set rs=stmt.%Execute() Write sc,rs.%SQLCODE," " '
        'While rs.%Next() { Write rs.%Get("PID")=$JOB,rs.%Get("LID"),rs.%GetData(9)," " } '
        "Write rs.%SQLCODE"
    )
    # The two System rows first (no license ID, no unit), then this process.
    assert term.run(code) == "10 00 00 1127.0.0.11 100"


def test_statement_display_of_login_duration(term) -> None:
    code = (
        "Set stmt=##class(%SQL.Statement).%New() "
        'Do stmt.%PrepareClassQuery("%SYSTEM.License","LoginDuration") '
        "Do stmt.%Execute().%Display()"
    )
    assert term.run(code) == (
        "Duration\tCount\n1\t0\n15\t0\n60\t0\n900\t0\n3600\t0\n> 3600\t0\n\n6 Rows(s) Affected"
    )


def test_license_query_that_does_not_exist(term) -> None:
    assert term.run('Do ##class(%ResultSet).RunQuery("%SYSTEM.License","Nope")') == (
        "\nERROR #5660: Query '%SYSTEM.License:Nope' does not exist\n"
    )
