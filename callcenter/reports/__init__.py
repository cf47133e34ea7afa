"""Totale Appuntamenti, statistics, Excel exports and the account managers' dashboard."""


def includeme(config):
    config.include("callcenter.reports.resources")
    config.include("callcenter.reports.views")
    config.include("callcenter.reports.dashboard")
