"""Every operation of the OpenAPI document driven by a schema-based fuzzer, as each role (README "Bad input").

Schemathesis generates requests from portal/api/openapi.json, valid ones and invalid ones; every answer
must be a documented status with a body of the documented schema, and never a 5xx. Path parameters
are the names of a real tenant's folders when the data is valid, so that the requests reach the
services and not only the traversal's 404; invalid data tries the paths too. The bounded run is part of ``make test`` (PostgreSQL only: the
database that refuses NUL, lone surrogates, long strings and numbers out of range);
``make fuzz`` raises ``PORTAL_FUZZ_EXAMPLES`` for a deeper run.
"""
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)

from portal.api.openapi import load_document
from tests.factories import make_token

ROLES = ("client", "zone_manager", "agent", "operator", "account_manager", "admin")
# Examples per operation, per role and per mode (valid / invalid data). `make test`: a few, always the
# same (derandomized); `make fuzz`: many, new ones each run.
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "2"))
DEEP = "PORTAL_FUZZ_EXAMPLES" in os.environ
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


# Invalid data must be refused with one of the API's documented refusals; 413 included (the import's
# rows past maxItems can make a body larger than the limit), which schemathesis does not expect by default.
REFUSALS = ["400", "401", "403", "404", "409", "413", "415", "422"]


@pytest.fixture(scope="module")
def schema():
    config = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}})
    return schemathesis.openapi.from_dict(load_document(), config=config)


def known_names(testapp, dbsession, tenant):
    """The tenant's folder names, with appointment number 1 booked, for the path parameters."""
    operator = {"Authorization": f"Bearer {make_token(dbsession, tenant.operator)}"}
    testapp.post_json(f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments",
                      {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00",
                       "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}},
                      headers=operator, status=201)
    return {"client": tenant.client.slug, "campaign": tenant.campaign.slug, "zone": tenant.zone.slug,
            "agent": tenant.agent.slug, "number": 1, "kind": "agenda"}


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_5xx_nor_off_the_document(backend, testapp, tenant, dbsession, schema, role):
    if backend != "postgresql":
        pytest.skip("fuzzed on PostgreSQL, the stricter database")
    names = known_names(testapp, dbsession, tenant)
    headers = {"Authorization": f"Bearer {make_token(dbsession, tenant.user(role))}", "Host": "localhost"}
    failures, statuses = {}, Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 87
    for operation in operations:
        known = {name: value for name, value in names.items()
                 if any(parameter.name == name for parameter in operation.path_parameters)}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not DEEP,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                if mode is GenerationMode.POSITIVE:  # valid data reaches the services, not only a 404
                    case.path_parameters = {**(case.path_parameters or {}), **known}
                response = case.call(app=testapp.app, headers=headers, base_url="http://localhost/api/v1")
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseExceptionGroup as error:  # collected: one run reports every operation at fault
                    failures.setdefault((operation.label, mode), str(error)[:3000])

            try:
                fuzz()
            except Unsatisfiable:  # nothing to make invalid (no parameter and no body)
                assert mode is GenerationMode.NEGATIVE
    print(f"{role}: {sum(statuses.values())} requests over {len(operations)} operations, by status "
          f"{dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(f"{label} [{mode}]: {error}" for (label, mode), error in failures.items())
    assert not [status for status in statuses if status >= 500]
