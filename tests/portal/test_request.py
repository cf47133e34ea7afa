"""The request class of portal.request and the ``json`` renderer's serializer of portal.api.plumbing."""
import json

import pytest
from pyramid.config import Configurator
from pyramid.interfaces import IRequestExtensions, IRequestFactory
from webtest import TestApp

from portal.api.plumbing import dumps
from portal.request import make_wsgi_app


def counting_app():
    """A small app with a reified property and a method, as ``add_request_method`` declares them."""
    calls, classes = [], []

    def view(request):
        classes.append(type(request))
        return {"counted": [request.counted, request.counted], "shout": request.shout("si")}

    with Configurator() as config:
        config.add_request_method(lambda request: calls.append(1) or len(calls), "counted", reify=True)
        config.add_request_method(lambda request, word: word.upper(), "shout")
        config.add_route("here", "/")
        config.add_view(view, route_name="here", renderer="json")
        return make_wsgi_app(config), classes


def test_every_request_is_of_one_class_that_holds_the_extensions():
    app, classes = counting_app()
    first, second = TestApp(app).get("/").json, TestApp(app).get("/").json
    assert classes[0] is classes[1]  # pyramid alone made a class per request
    assert first["counted"] == [1, 1] and second["counted"] == [2, 2]  # reified: once per request
    assert first["shout"] == "SI"
    extensions = app.registry.queryUtility(IRequestExtensions)
    assert not extensions.methods and not extensions.descriptors
    assert "counted" in vars(app.registry.queryUtility(IRequestFactory))


def test_the_portal_request_class_holds_the_portal_extensions(wsgi_app):
    request_class = wsgi_app.registry.queryUtility(IRequestFactory)
    assert {"tm", "dbsession", "user", "now", "csrf_token"} <= set(vars(request_class))


@pytest.mark.parametrize("value", [
    {"items": [{"number": 1, "start": "2026-03-29T03:30:00+02:00", "name": "Caffè Né"}], "next": None},
    {"big": 2 ** 70},  # past orjson's 64 bits: the standard library writes it
    {1: "a key that is not text"},  # orjson refuses it; the standard library writes "1"
])
def test_the_json_renderer_writes_what_the_standard_library_reads_back(value):
    written = dumps(value, default=None)
    assert json.loads(written) == json.loads(json.dumps(value))


def test_the_json_renderer_still_refuses_what_it_cannot_write():
    def default(value):
        raise TypeError(f"{value!r} is not JSON serializable")

    with pytest.raises(TypeError):
        dumps({"what": object()}, default=default)
