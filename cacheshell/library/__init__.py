"""The ObjectScript-visible classes. Importing this package registers them all."""

from cacheshell.lang import exceptions  # noqa: F401  (registers %Exception.*)
from cacheshell.library import system_status, system_version  # noqa: F401
