"""The license server: a UDP daemon holding the soft state of the instances sharing Multiserver
keys (the messages and their wire format, the pure accounting, the server's logic over bytes, the
daemon, and the client an instance's monitor speaks through)."""
