"""cacheshell: a runnable model of the Caché license system, driven by an ObjectScript shell."""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext cacheshell`: the %objectscript and %%objectscript magics."""
    from cacheshell.frontends.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from cacheshell.frontends.magic import unload_ipython_extension as unload

    unload(ipython)
