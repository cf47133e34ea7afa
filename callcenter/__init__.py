"""Appointments, booking and the operators' workspace."""


def includeme(config):
    config.include("callcenter.resources")
    config.include("callcenter.views")
    config.include("callcenter.lifecycle_views")
