"""The faces over one Session: the command line and its commands, the REPL, csession, the IPython
magic and the Jupyter kernel, with what they share (completion, highlighting, rendering, plots)."""
