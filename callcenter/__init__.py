"""Appointments, booking and the operators' workspace."""


def includeme(config):
    config.include("callcenter.resources")
    config.include("callcenter.views")
    config.scan("callcenter.wizard")
    config.include("callcenter.lifecycle_views")
    config.include("callcenter.lifecycle_pages")
    config.include("callcenter.import_views")
    config.include("callcenter.report_views")
    config.include("callcenter.feeds")
    config.include("callcenter.dashboard")
