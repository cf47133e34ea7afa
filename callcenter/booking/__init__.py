"""Free slots, holds, the booking wizard and booking (rules 1, 7-10, 13, 14)."""


def includeme(config):
    config.include("callcenter.booking.resources")
    config.include("callcenter.booking.views")
    config.scan("callcenter.booking.wizard")
