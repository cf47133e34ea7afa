"""The operators' workspace: campaigns open for booking and the worklists."""


def includeme(config):
    config.include("callcenter.workspace.views")
    config.include("callcenter.workspace.pages")
