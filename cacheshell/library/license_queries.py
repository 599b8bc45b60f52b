"""The local class queries of %SYSTEM.License, with the ROWSPEC column names Caché gives them.

Rows come from cacheshell.system.usage, the same rows the terminal reports print, so a query and
a report taken at the same moment agree.
"""

from __future__ import annotations

from collections.abc import Iterator

from cacheshell.lang.objects import REGISTRY, Row, Value
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_int, to_str
from cacheshell.library.host import instance_of
from cacheshell.system import usage

# The same summary as system_license.py, so the class reads alike whichever module loads first.
LICENSE = REGISTRY.define(
    "%SYSTEM.License",
    "The license API of the local instance: logins, counters, the key and usage reports.",
)

USER_COLUMNS, PROCESS_COLUMNS = usage.USER_COLUMNS, usage.PROCESS_COLUMNS
WHERE = "The data source is the local Cache instance."


def _matches(license_id: str, filter_text: Value) -> bool:
    # The reference leaves Filter undocumented; here it keeps the IDs that contain it.
    text = to_str(filter_text)
    return not text or text in license_id


@LICENSE.query(
    "Counts",
    ("InstanceLicenseUse", "License Units"),
    "Query returns data displayed by ##class(%SYSTEM.License).ShowCounts()",
    "InstanceLicenseUse: text describing the row; License Units: its count.\n" + WHERE,
    "()",
)
def counts(ctx: Runtime) -> Iterator[Row]:
    yield from usage.counts_rows(instance_of(ctx))


@LICENSE.query(
    "Key",
    ("Field", "Value"),
    "This query returns the fields of the active license key.",
    "Sections: 1 the [License] section, 2 the application sections (each begun by a "
    "[Name] row with an empty Value), 3 all.\n" + WHERE,
    "(Sections As %Integer = 3)",
)
def key(ctx: Runtime, sections: Value = 3) -> Iterator[Row]:
    yield from usage.key_rows(instance_of(ctx), to_int(sections))


@LICENSE.query(
    "Decode",
    ("CapacityField", "Value"),
    "Decodes the license capacity fields of the License Authorization field of the license key.",
    WHERE,
    "()",
)
def decode(ctx: Runtime) -> Iterator[Row]:
    active = instance_of(ctx).active_key()
    if active is not None:
        yield from usage.decode_rows(active.authorization)


@LICENSE.query(
    "ProcessList",
    PROCESS_COLUMNS,
    "This query returns license usage for this Cache instance by Process.",
    "Process is System, User, CSP, Diagnostic, Server or Pending; LID the license "
    "user ID; Type User, CSP, Mixed or Grace.\n" + WHERE,
    '(Filter As %String = "")',
)
def process_list(ctx: Runtime, filter_text: Value = "") -> Iterator[Row]:
    for row in usage.process_rows(instance_of(ctx)):
        if _matches(row.lid, filter_text):
            yield tuple(row)


@LICENSE.query(
    "UserList",
    USER_COLUMNS,
    "This query returns license usage for this Cache instance by License User Id.",
    "Only license table entries in use are returned.\n" + WHERE,
    '(Filter As %String = "")',
)
def user_list(ctx: Runtime, filter_text: Value = "") -> Iterator[Row]:
    for row in usage.user_rows(instance_of(ctx), False):
        if _matches(row.user_id, filter_text):
            yield tuple(row)


@LICENSE.query(
    "UserListAll",
    USER_COLUMNS,
    "This query returns all license slots by User Id, or free.",
    "A free slot has an empty UserId.\n" + WHERE,
    "()",
)
def user_list_all(ctx: Runtime) -> Iterator[Row]:
    for row in usage.user_rows(instance_of(ctx), True):
        yield tuple(row)


@LICENSE.query(
    "LoginDuration",
    ("Duration", "Count"),
    "Histogram of how long logins lasted, counted at logout.",
    'Duration is each bucket\'s upper bound in seconds; the last row, "> n", counts '
    "the longer ones.\n" + WHERE,
    "()",
)
def login_duration(ctx: Runtime) -> Iterator[Row]:
    yield from usage.duration_rows(instance_of(ctx))
