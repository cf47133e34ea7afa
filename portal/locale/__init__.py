"""The portal's message catalogs (domain ``portal``) and the tools that build them.

See README.md in this directory for the extract / update / compile commands.
"""
