"""cacheshell: a runnable model of the Caché license system, driven by an ObjectScript shell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheshell.version import __version__

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """`%load_ext cacheshell`: the %objectscript and %%objectscript magics."""
    from cacheshell.frontends.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    from cacheshell.frontends.magic import unload_ipython_extension as unload

    unload(ipython)
