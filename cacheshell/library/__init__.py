"""The ObjectScript-visible classes. Importing this package declares them all by name; the
modules that define a class are imported when it is first referenced, so a one-shot that uses
none of them imports none."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from cacheshell.lang.objects import REGISTRY

_HELP = "cacheshell.library.help"  # Help() on every %SYSTEM class
_CONFIG = "cacheshell.library.config_config"  # Config.config; Help() on every Config class
_LICENSE = tuple(
    f"cacheshell.library.{name}"
    for name in (
        "system_license",  # %SYSTEM.License: login, limits (and, below, the rest)
        "license_queries",  # the local %SYSTEM.License queries
        "system_license_activation",
        "system_license_apps",  # application licensing
        "system_license_counts",
        "system_license_keys",
        "system_license_reports",
        "system_license_servers",  # ShowServer, ShowSummary, the server dumps and queries
        "system_license_web",  # PublicWebAppUser and its counts
    )
)
_WORLD = tuple(
    f"cacheshell.library.{name}"
    for name in (
        "training_world",  # Training.World: clients, CSP sessions, the clock, restarts, events
        "training_keys",  # IssueKey and RestoreTrainingKey
        "training_servers",  # the license-server rehearsals: StopServer ... HealInstance
    )
)
_CLIENTS = ("cacheshell.library.training_clients",)
_DYNAMIC = ("cacheshell.lang.dynamic",)
_EXCEPTIONS = ("cacheshell.lang.exceptions",)
_RESULTSET = ("cacheshell.library.resultset",)

# Class name -> the modules that define it and its members, in order.
CLASSES: dict[str, tuple[str, ...]] = {
    "%Exception.AbstractException": _EXCEPTIONS,
    "%Exception.General": _EXCEPTIONS,
    "%Exception.StatusException": _EXCEPTIONS,
    "%Exception.SystemException": _EXCEPTIONS,
    "%Library.DynamicArray": _DYNAMIC,
    "%Library.DynamicObject": _DYNAMIC,
    "%Library.ResultSet": _RESULTSET,
    "%SQL.Statement": _RESULTSET,
    "%SQL.StatementResult": _RESULTSET,
    "%Monitor.System.License": ("cacheshell.library.monitor_license",),
    "%SYSTEM.License": _LICENSE,
    "%SYSTEM.Status": ("cacheshell.library.system_status",),
    "%SYSTEM.Version": ("cacheshell.library.system_version",),
    "Config.config": (_CONFIG,),
    "Config.LicenseServers": ("cacheshell.library.config_licenseservers",),
    "Portal.LicenseKey": ("cacheshell.library.key_page",),
    "Training.Client": _CLIENTS,
    "Training.Group": _CLIENTS,
    "Training.CSPSession": _CLIENTS,
    "Training.World": _WORLD,
}

# Class-name prefix -> the module that declares what every class so named inherits.
INHERITANCE: dict[str, str] = {
    "%SYSTEM.": _HELP,
    "Config.": _CONFIG,
}


def _importer(modules: tuple[str, ...]) -> Callable[[], None]:
    def load() -> None:
        for module in modules:
            import_module(module)

    return load


def _declare() -> None:
    for name, modules in CLASSES.items():
        REGISTRY.declare(name, _importer(modules))
    for prefix, module in INHERITANCE.items():
        REGISTRY.declare_inheritance(prefix, _importer((module,)))


_declare()
