"""The ObjectScript subset: grammar, values, interpreter, functions, errors.

Knows nothing of licensing.
"""
