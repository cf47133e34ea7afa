"""Clients, campaigns, steps, quota and reports."""


def includeme(config):
    config.include("campaigns.resources")
    config.include("campaigns.views")
    config.include("campaigns.mail_template_views")
    config.include("campaigns.manage_pages")
