"""Webhooks (spec §9.2, README "Webhooks"): events pushed to the clients' CRMs and the call-center's dialer
as they happen. Endpoints, deliveries and attempts (``models``); each history line's event written in its
transaction (``events``); the job that sends one attempt and plans the next (``delivery``); adding an
endpoint and rotating its secret (``endpoints``); Standard Webhooks v1 signatures (``signing``); secrets
kept encrypted with a key from the environment (``keys``); the guard that keeps the portal from being
pointed at its own network (``urls``).
"""
