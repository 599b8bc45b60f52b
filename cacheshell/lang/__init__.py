"""The ObjectScript subset: the grammar and its words, values, the compiler and interpreter,
functions, errors, and the Shell every front end drives a process through.

Knows nothing of licensing.
"""
