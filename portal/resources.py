"""The root of the traversal tree and the way packages hang their folders on it.

Each domain package registers its children with ``config.add_resource_child``
so that ``portal`` never imports the packages built on top of it.
"""
from pyramid.authorization import ALL_PERMISSIONS, DENY_ALL, Allow, Authenticated
from pyramid.httpexceptions import HTTPNotFound


class Resource:
    """A node of the tree, alive for one request. Children come from the registry."""

    __name__ = None
    __parent__ = None

    def __init__(self, request, name=None, parent=None):
        self.request = request
        self.__name__ = name
        self.__parent__ = parent

    @property
    def dbsession(self):
        return self.request.dbsession

    def __getitem__(self, name):
        children = self.request.registry.resource_children.get(type(self), {})
        factory = children.get(name)
        if factory is None:
            raise KeyError(name)
        return factory(self.request, name, self)


def as_number(text):
    """The whole number a path segment or a search names, or None when it is not one that an
    INTEGER column can hold ("²", "12a" or twenty digits would fail in the database: a 500)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def number_or_key_error(name):
    number = as_number(name)
    if number is None:
        raise KeyError(name)
    return number


class Root(Resource):
    """Deny by default: every other ACL only adds what its folder allows."""

    __acl__ = [
        (Allow, "role:admin", ALL_PERMISSIONS),
        (Allow, Authenticated, "authenticated"),
        DENY_ALL,
    ]

    def __init__(self, request):
        if "\x00" in request.path_info:  # no name holds NUL, and PostgreSQL refuses to even look one up
            raise HTTPNotFound()
        super().__init__(request, name="", parent=None)


def add_resource_child(config, parent_class, name, factory):
    """Hang ``factory(request, name, parent)`` under every ``parent_class`` node as ``name``."""
    children = config.registry.resource_children.setdefault(parent_class, {})

    def register():
        children[name] = factory

    config.action(("portal.resource_child", parent_class, name), register)


def home_url(request, user):
    """Where a user lands: the folder of his/her role, as registered by the packages."""
    resolver = request.registry["home_resolvers"].get(user.role)
    return resolver(request, user) if resolver else request.resource_url(request.root, "password")


def add_home_resolver(config, role, resolver):
    config.registry["home_resolvers"][role] = resolver


def includeme(config):
    config.registry["home_resolvers"] = {}
    config.add_directive("add_home_resolver", add_home_resolver)
    config.registry.resource_children = {}
    config.add_directive("add_resource_child", add_resource_child)
    config.set_root_factory(Root)
