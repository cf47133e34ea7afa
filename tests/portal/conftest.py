"""The fixtures the portal's rooms share with the functional and job tests: a tenant, API clients, a job
context on the real Redis."""
from tests.functional.conftest import api, tenant  # noqa: F401
from tests.jobs.conftest import jobs  # noqa: F401
