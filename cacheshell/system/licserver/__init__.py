"""The license server: a UDP daemon holding the soft state of the instances sharing Multiserver
keys (protocol, pure accounting, the daemon, report files, and what an instance's monitor uses)."""
