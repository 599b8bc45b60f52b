"""The ObjectScript-visible classes. Importing this package registers them all."""

from cacheshell.lang import dynamic, exceptions  # noqa: F401  (%Dynamic*, %Exception.*)
from cacheshell.library import (  # noqa: F401
    key_page,  # noqa: F401,E402
    system_status,
    system_version,
)
