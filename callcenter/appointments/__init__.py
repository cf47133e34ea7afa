"""The appointment itself: its model, states, time rules, labels, place in the tree, lists."""
import callcenter.appointments.events  # noqa: F401  (registers the webhooks' payloads wherever appointments are)


def includeme(config):
    config.include("callcenter.appointments.resources")
