"""After booking: confirm, postpone, contact, outcome, cancellation requests, recoveries, unavailabilities, the confirmation calls and the mails they owe (rules 2-6, 11)."""


def includeme(config):
    config.include("callcenter.lifecycle.views")
    config.include("callcenter.lifecycle.pages")
