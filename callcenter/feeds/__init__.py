"""Private iCalendar feeds of an agent's or a zone's appointments."""


def includeme(config):
    config.include("callcenter.feeds.views")
