"""Every operation of the OpenAPI document driven by a schema-based fuzzer, as each role (issue 13).

Schemathesis generates requests from portal/openapi.json, valid ones and invalid ones; every answer
must be a documented status with a body of the documented schema, and never a 5xx. Path parameters
are most often the names of a real tenant's folders, so that the requests reach the services and
not only the traversal's 404. The bounded run is part of ``make test`` (PostgreSQL only: the
database that refuses NUL, lone surrogates, long strings and numbers out of range);
``make fuzz`` raises ``PORTAL_FUZZ_EXAMPLES`` for a deeper run.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)

from portal.openapi import load_document
from tests.factories import make_token

ROLES = ("client", "zone_manager", "agent", "operator", "account_manager", "admin")
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


@pytest.fixture(scope="module")
def schema():
    return schemathesis.openapi.from_dict(load_document())


def known_names(tenant):
    return {"client": tenant.client.slug, "campaign": tenant.campaign.slug, "zone": tenant.zone.slug,
            "agent": tenant.agent.slug, "number": 1, "kind": "agenda"}


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_5xx_nor_off_the_document(backend, testapp, tenant, dbsession, schema, role):
    if backend != "postgresql":
        pytest.skip("fuzzed on PostgreSQL, the stricter database")
    token = make_token(dbsession, tenant.user(role))
    headers = {"Authorization": f"Bearer {token}", "Host": "localhost"}
    names = known_names(tenant)
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            known = {name: value for name, value in names.items()
                     if any(p.name == name for p in operation.path_parameters)}

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), use_known=st.booleans())
            def fuzz(case, use_known):
                if use_known and mode is GenerationMode.POSITIVE:
                    case.path_parameters = {**(case.path_parameters or {}), **known}
                response = case.call(app=testapp.app, headers=headers, base_url="http://localhost/api/v1")
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseExceptionGroup as error:  # collected, so that one run reports every operation at fault
                    failures.setdefault((operation.label, mode), str(error)[:3000])

            try:
                fuzz()
            except Unsatisfiable:  # nothing to make invalid (no parameter nor body)
                assert mode is GenerationMode.NEGATIVE
    assert not failures, "\n\n".join(f"{label} [{mode}]: {error}" for (label, mode), error in failures.items())
