"""A client's history from a previous system, .xlsx or JSON (rule 15)."""


def includeme(config):
    config.include("callcenter.imports.views")
