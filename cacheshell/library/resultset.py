"""Running class queries: %Library.ResultSet (with RunQuery), %SQL.Statement and the
%SQL.StatementResult its %Execute() returns.

Every row comes from the `rows` function a query was registered with; a result set takes all its
rows when executed, so what it shows is one consistent moment of the license table.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from cacheshell.lang import status
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, ObjectInstance, Query, Row, Value, with_defaults
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_int, to_str
from cacheshell.library.host import session_of

QUERY_DOES_NOT_EXIST = 5660


def find_query(ctx: Runtime, class_name: str, query_name: str) -> Query | None:
    """The named query, or None; an unknown class is <CLASS DOES NOT EXIST>, as ##class() is."""
    return ctx.registry.resolve(class_name, ctx.namespace).queries.get(query_name)


def missing(class_name: str, query_name: str) -> str:
    return status.error(QUERY_DOES_NOT_EXIST, f"{class_name}:{query_name}")


def fetch(ctx: Runtime, query: Query, args: Sequence[Argument]) -> list[Row]:
    """All the rows of the query run with these arguments (omitted ones take their default)."""
    values = with_defaults(query.rows, [deref(a) for a in args], 1)
    try:
        inspect.signature(query.rows).bind(ctx, *values)
    except TypeError:
        raise ObjectScriptError("PARAMETER") from None
    return [tuple(row) for row in query.rows(ctx, *values)]


class Cursor:
    """Rows and a position in them: what both result-set kinds walk."""

    def __init__(self, columns: tuple[str, ...] = (), rows: list[Row] | None = None) -> None:
        self.columns = columns
        self.rows = rows or []
        self.position = 0  # 1-based index of the current row; 0 before the first

    def next(self) -> bool:
        if self.position < len(self.rows):
            self.position += 1
            return True
        self.position = len(self.rows) + 1
        return False

    @property
    def row(self) -> Row | None:
        if 1 <= self.position <= len(self.rows):
            return self.rows[self.position - 1]
        return None

    def data(self, n: Value) -> Value:
        row, i = self.row, to_int(n)
        return row[i - 1] if row is not None and 1 <= i <= len(row) else ""

    def index(self, name: Value) -> int | None:
        text = to_str(name)
        return self.columns.index(text) + 1 if text in self.columns else None


# -- %Library.ResultSet ---------------------------------------------------------------------------
class ResultSet(ObjectInstance):
    cursor: Cursor

    def on_new(self, query_spec: Argument = "", *rest: Argument) -> None:
        if rest:
            raise ObjectScriptError("PARAMETER")
        self.cursor = Cursor()
        spec = to_str(query_spec)
        if spec:
            # "Class:Query", or the older "Package.Class.Query"
            sep = ":" if ":" in spec else "."
            class_name, _, query_name = spec.rpartition(sep)
            self.props.update(ClassName=class_name, QueryName=query_name)

    def names(self) -> tuple[str, str]:
        return to_str(self.props["ClassName"]), to_str(self.props["QueryName"])

    def columns(self, ctx: Runtime) -> tuple[str, ...]:
        if self.cursor.columns:
            return self.cursor.columns
        class_name, query_name = self.names()
        query = find_query(ctx, class_name, query_name) if class_name else None
        return query.columns if query is not None else ()


RESULT_SET = REGISTRY.define(
    "%Library.ResultSet", "Run a class query and walk its rows.", ResultSet
)
RESULT_SET.property("ClassName", "The class that holds the query.")
RESULT_SET.property("QueryName", "The query's name.")


@RESULT_SET.method(
    "Execute", "Run the query with the given arguments; returns a %Status.", signature="(args...)"
)
def rs_execute(ctx: Runtime, self: ResultSet, *args: Argument) -> int | str:
    class_name, query_name = self.names()
    query = find_query(ctx, class_name, query_name)
    if query is None:
        return missing(class_name, query_name)
    self.cursor = Cursor(query.columns, fetch(ctx, query, args))
    return status.OK


@RESULT_SET.method(
    "Next", "Move to the next row: 1 when there is one, 0 at the end.", signature="(&sc)"
)
def rs_next(ctx: Runtime, self: ResultSet, *_: Argument) -> int:
    return 1 if self.cursor.next() else 0


@RESULT_SET.method(
    "Get", 'The current row\'s value of the named column ("" if none).', signature="(name)"
)
def rs_get(ctx: Runtime, self: ResultSet, name: Argument) -> Value:
    i = self.cursor.index(deref(name))
    return self.cursor.data(i) if i is not None else ""


@RESULT_SET.method("GetDataByName", "The same as Get(name).", signature="(name)")
def rs_get_by_name(ctx: Runtime, self: ResultSet, name: Argument) -> Value:
    return rs_get(ctx, self, name)


@RESULT_SET.method("GetData", "The current row's value of column n (1-based).", signature="(n)")
def rs_get_data(ctx: Runtime, self: ResultSet, n: Argument) -> Value:
    return self.cursor.data(deref(n))


@RESULT_SET.method("GetColumnName", "The name of column n (1-based).", signature="(n)")
def rs_column_name(ctx: Runtime, self: ResultSet, n: Argument) -> str:
    columns, i = self.columns(ctx), to_int(deref(n))
    return columns[i - 1] if 1 <= i <= len(columns) else ""


@RESULT_SET.method("GetColumnCount", "The number of columns the query returns.", signature="()")
def rs_column_count(ctx: Runtime, self: ResultSet) -> int:
    return len(self.columns(ctx))


@RESULT_SET.method("Close", "Let go of the rows; Execute may run the query again.", signature="()")
def rs_close(ctx: Runtime, self: ResultSet) -> int:
    self.cursor = Cursor()
    return status.OK


@RESULT_SET.classmethod(
    "RunQuery",
    "Run a query and write its rows, each value followed by a colon.",
    "The first line holds the column names; a failing Execute writes its error instead.",
    "(ClassName, QueryName, args...)",
)
def run_query(ctx: Runtime, class_name: Argument, query_name: Argument, *args: Argument) -> str:
    names = to_str(deref(class_name)), to_str(deref(query_name))
    query = find_query(ctx, *names)
    out = ctx.out
    if query is None:
        out.newline()
        out.write(status.text(missing(*names)) + "\n")
        return ""
    rows = fetch(ctx, query, args)
    lines = ["".join(f"{c}:" for c in query.columns)]
    lines += ["".join(f"{to_str(v)}:" for v in row) for row in rows]
    # A notebook shows the rows as a table; a terminal gets the col:col: lines.
    session_of(ctx).show_table(
        f"{names[0]}:{names[1]}",
        list(query.columns),
        [tuple(to_str(v) for v in row) for row in rows],
        "\n".join(lines) + "\n",
    )
    return ""


# -- %SQL.Statement and %SQL.StatementResult ------------------------------------------------------
class Statement(ObjectInstance):
    query: Query | None

    def on_new(self, *args: Argument) -> None:
        super().on_new(*args[3:])  # %New(selectmode, schemapath, dialect) is accepted, unused
        self.query = None


class StatementResult(ObjectInstance):
    cursor: Cursor

    def on_new(self, *args: Argument) -> None:
        super().on_new(*args)
        self.cursor = Cursor()
        self.props.update({"%SQLCODE": 0, "%ROWCOUNT": 0, "%Message": ""})


STATEMENT = REGISTRY.define("%SQL.Statement", "Prepare a class query, then execute it.", Statement)
STATEMENT_RESULT = REGISTRY.define(
    "%SQL.StatementResult", "The rows an executed statement gives.", StatementResult
)
STATEMENT_RESULT.property("%SQLCODE", "0 while there are rows, 100 once they are exhausted.")
STATEMENT_RESULT.property("%ROWCOUNT", "How many rows %Next() has moved to.")
STATEMENT_RESULT.property("%Message", "The error message when %SQLCODE is negative.")


@STATEMENT.method(
    "%PrepareClassQuery",
    "Prepare the query of a class; returns a %Status.",
    signature="(className, queryName)",
)
def prepare_class_query(
    ctx: Runtime, self: Statement, class_name: Argument, query_name: Argument
) -> int | str:
    names = to_str(deref(class_name)), to_str(deref(query_name))
    self.query = find_query(ctx, *names)
    return status.OK if self.query is not None else missing(*names)


@STATEMENT.method(
    "%Execute", "Run the prepared query; returns a %SQL.StatementResult.", signature="(args...)"
)
def statement_execute(ctx: Runtime, self: Statement, *args: Argument) -> StatementResult:
    result = StatementResult(ctx, STATEMENT_RESULT)
    if self.query is None:
        result.props.update({"%SQLCODE": -400, "%Message": "Statement is not prepared"})
        return result
    result.cursor = Cursor(self.query.columns, fetch(ctx, self.query, args))
    return result


@STATEMENT_RESULT.method(
    "%Next", "Move to the next row: 1 when there is one, 0 at the end.", signature="(&sc)"
)
def result_next(ctx: Runtime, self: StatementResult, *_: Argument) -> int:
    if self.cursor.next():
        self.props["%ROWCOUNT"] = to_int(self.props["%ROWCOUNT"]) + 1
        return 1
    if to_int(self.props["%SQLCODE"]) >= 0:
        self.props["%SQLCODE"] = 100
    return 0


@STATEMENT_RESULT.method(
    "%Get", "The current row's value of the named column.", signature="(colname)"
)
def result_get(ctx: Runtime, self: StatementResult, name: Argument) -> Value:
    i = self.cursor.index(deref(name))
    if i is None:
        raise ObjectScriptError(
            "PROPERTY DOES NOT EXIST", f"*{to_str(deref(name))},{self.cls.name}"
        )
    return self.cursor.data(i)


@STATEMENT_RESULT.method(
    "%GetData", "The current row's value of column n (1-based).", signature="(n)"
)
def result_get_data(ctx: Runtime, self: StatementResult, n: Argument) -> Value:
    return self.cursor.data(deref(n))


@STATEMENT_RESULT.method(
    "%Display",
    "Write the remaining rows, tab-separated, under a header.",
    "Ends with a blank line and the count: N Rows(s) Affected.",
    signature="(delimiter)",
)
def result_display(ctx: Runtime, self: StatementResult, delimiter: Argument = "\t") -> str:
    sep, out = to_str(deref(delimiter)), ctx.out
    out.write(sep.join(self.cursor.columns) + "\n")
    while result_next(ctx, self):
        out.write(sep.join(to_str(v) for v in self.cursor.row or ()) + "\n")
    out.write(f"\n{to_int(self.props['%ROWCOUNT'])} Rows(s) Affected")
    return ""
