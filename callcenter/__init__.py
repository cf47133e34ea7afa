"""Appointments, booking and the operators' workspace, one subpackage a capability (docs/architecture.md)."""


def includeme(config):
    config.include("callcenter.appointments")
    config.include("callcenter.booking")
    config.include("callcenter.imports")
    config.include("callcenter.lifecycle")
    config.include("callcenter.feeds")
    config.include("callcenter.reports")
    config.include("callcenter.workspace")
    config.include("callcenter.folders")
