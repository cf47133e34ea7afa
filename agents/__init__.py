"""Zones, agents, schedules and unavailability."""


def includeme(config):
    config.include("agents.resources")
    config.include("agents.views")
    config.scan("agents.pages")
    config.include("agents.manage_pages")
