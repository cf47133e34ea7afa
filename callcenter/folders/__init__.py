"""Folder homes (client, campaign, zone, agent), their appointment lists and panels."""


def includeme(config):
    config.include("callcenter.folders.views")
    config.include("callcenter.folders.feed_views")
