"""Security headers on every answer, set in this one place (README "Running in production", security headers).

A ``NewResponse`` subscriber runs for every answer the router makes: pages, API answers, static
files, redirects and the error views (404, 403, 400, ...), so no view can forget them.
"""
from pyramid.events import NewResponse

from portal.accounts.security import SESSION_USER, bearer_secret

# Scripts only from our own static files: no inline <script>, no on* handler attributes, no eval.
# Styles allow inline ``style`` attributes (the width of a progress bar, the printable summary's
# page rules): CSS cannot run code, and moving them out would buy nothing against script injection.
# Images allow ``data:`` for the SVG icons Bootstrap's CSS embeds.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
])
# No page of the portal needs any of these browser features.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "sync-xhr", "usb", "xr-spatial-tracking",
))
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_ROUTE_PREFIX = "__static/"  # the routes ``config.add_static_view`` registers


def is_static(request):
    route = request.matched_route
    return route is not None and route.name.startswith(STATIC_ROUTE_PREFIX)


def is_signed_in(request):
    """The request carries a login (session or Bearer token). Read from the credentials, not the
    database: the subscriber runs after the request's transaction has ended."""
    if bearer_secret(request) is not None:
        return True
    return SESSION_USER in request.session


def set_security_headers(event):
    request, response = event.request, event.response
    headers = response.headers
    for name, value in ALWAYS.items():
        headers[name] = value
    hsts = request.registry.settings.get("portal.hsts_max_age")
    if hsts:
        headers["Strict-Transport-Security"] = f"max-age={hsts}"
    if is_static(request):
        return  # the same files for everyone: browsers keep them (cache_max_age of the static views)
    if is_signed_in(request) or "Set-Cookie" in headers:
        # A signed-in user's pages and API answers hold personal data; an answer that sets the session
        # cookie must not be kept by a shared cache either. Neither goes to disk nor back/forward cache.
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Pragma", None)


def hsts_max_age(settings):
    """``portal.hsts_max_age`` in seconds; empty or 0 sends no Strict-Transport-Security (development)."""
    value = str(settings.get("portal.hsts_max_age") or "0").strip()
    if not value.isdigit():
        raise ValueError("portal.hsts_max_age must be a whole number of seconds")
    return int(value)


def includeme(config):
    settings = config.get_settings()
    settings["portal.hsts_max_age"] = hsts_max_age(settings)
    config.add_subscriber(set_security_headers, NewResponse)
