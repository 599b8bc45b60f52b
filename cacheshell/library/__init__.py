"""The ObjectScript-visible classes. Importing this package registers them all."""

from cacheshell.lang import dynamic, exceptions  # noqa: F401  (%Dynamic*, %Exception.*)
from cacheshell.library import system_status, system_version  # noqa: F401
