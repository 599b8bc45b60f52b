"""cacheshell: a runnable model of the Caché license system, driven by an ObjectScript shell."""

__version__ = "0.1.0"
