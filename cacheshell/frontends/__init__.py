"""The faces over one Session: the command line, and later the REPL, the magic and the kernel."""
