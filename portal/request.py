"""The portal's request class: the request's extensions defined once per process, on a class."""
from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.request import Request


def freeze_request_extensions(registry):
    """Put the methods and properties that ``add_request_method`` declared (request.tm, dbsession, user,
    now, csrf_token) on one subclass of the request class, the registry's request factory from now on.
    Pyramid otherwise gives every request a class of its own, made per request to hold them (15 µs of
    CPU, a twentieth of a trivial view). Call once the configuration is committed."""
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not (extensions.methods or extensions.descriptors):
        return
    base = registry.queryUtility(IRequestFactory, default=Request)
    attributes = {**extensions.methods, **extensions.descriptors, "__module__": base.__module__}
    registry.registerUtility(type(base.__name__, (base,), attributes), IRequestFactory)
    extensions.methods.clear()  # nothing left for pyramid to apply per request
    extensions.descriptors.clear()


def make_wsgi_app(config):
    """``config.make_wsgi_app()`` with the request extensions frozen."""
    config.commit()
    freeze_request_extensions(config.registry)
    return config.make_wsgi_app()
