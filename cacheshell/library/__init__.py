"""The ObjectScript-visible classes. Importing this package registers them all."""

from cacheshell.lang import dynamic, exceptions  # noqa: F401  (%Dynamic*, %Exception.*)
from cacheshell.library import (  # noqa: F401
    config_config,  # Config.config ([config] of cache.cpf)
    config_licenseservers,  # Config.LicenseServers
    help,  # Help() on every %SYSTEM class
    key_page,
    license_queries,  # the local %SYSTEM.License queries
    monitor_license,  # %Monitor.System.License
    resultset,  # %ResultSet, %SQL.Statement
    system_license,  # %SYSTEM.License: login, limits (and, below, the rest)
    system_license_activation,
    system_license_apps,  # application licensing
    system_license_counts,
    system_license_keys,
    system_license_reports,
    system_license_servers,  # ShowServer, ShowSummary, the server dumps and queries
    system_license_web,  # PublicWebAppUser and its counts
    system_status,
    system_version,
    training_clients,  # Training.Client, Training.Group, Training.CSPSession
    training_keys,  # Training.World's IssueKey and RestoreTrainingKey
    training_servers,  # Training.World's license-server rehearsals: StopServer ... HealInstance
    training_world,  # Training.World: clients, CSP sessions, the clock, restarts, events
)
