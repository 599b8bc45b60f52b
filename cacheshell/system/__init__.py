"""The modelled Caché world: instances, their namespaces and (later) licensing. No ObjectScript."""
