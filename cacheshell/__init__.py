"""cacheshell: a runnable model of the Caché license system, driven by an ObjectScript shell."""

from cacheshell.version import __version__

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext cacheshell`: the %objectscript and %%objectscript magics."""
    from cacheshell.frontends.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from cacheshell.frontends.magic import unload_ipython_extension as unload

    unload(ipython)
