"""The OpenAPI 3.1 document of /api/v1, kept in openapi.json beside this module.

A test calls every documented operation and checks the answers against it,
and checks that every API view is documented (spec §9).
"""
import json
from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def load_document():
    return json.loads((files("portal.api") / "openapi.json").read_text(encoding="utf-8"))


def openapi_document(request):
    document = dict(load_document())
    document["servers"] = [{"url": request.application_url + "/api/v1"}]
    return document
