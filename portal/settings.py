"""Settings from the ini file, overridden by the environment (spec §11)."""
import os

ENVIRONMENT_OVERRIDES = {
    "PORTAL_DATABASE_URL": "sqlalchemy.url",
    "PORTAL_REDIS_URL": "portal.redis_url",
    "PORTAL_SECRET": "portal.secret",
    "PORTAL_ENCRYPTION_KEYS": "portal.encryption_keys",
}


def apply_environment(settings, environ=None):
    """Return a copy of ``settings`` with the PORTAL_* variables applied.

    An empty PORTAL_REDIS_URL is meaningful (jobs run in-process), so a
    variable that is set, even empty, wins over the ini.
    """
    environ = os.environ if environ is None else environ
    settings = dict(settings)
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if variable in environ:
            settings[key] = environ[variable]
    return settings


def as_bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
