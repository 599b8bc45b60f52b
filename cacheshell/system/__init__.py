"""The modelled Caché world: keys, instances and their namespaces, local license tables,
application licenses, the license server, reports, stores, and the outside world simulated for
training. Knows nothing of ObjectScript."""
