"""Webhooks (spec §9.2): events pushed to the clients' CRMs and the call-center's dialer as they happen.

Standard Webhooks v1 signatures (``signing``), secrets kept encrypted with a key from the environment
(``keys``), and the guard that keeps the portal from being pointed at its own network (``urls``).
"""
