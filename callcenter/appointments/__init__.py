"""The appointment itself: its model, states, time rules, labels, place in the tree, lists."""


def includeme(config):
    config.include("callcenter.appointments.resources")
