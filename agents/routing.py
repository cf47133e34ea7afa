"""Rule 13: the prospect's postal code (or province) selects the zone, and so its agents."""
from portal.errors import RuleViolation
from portal.i18n import _


def route_to_zone(zones, postal_code=None, province=None):
    """The one zone covering the prospect.

    A zone's postal codes may be whole codes ("20121") or prefixes ("201"):
    the longest matching entry wins. Without a postal code match, the province
    decides. No zone, or two equally good ones, is a validation error.
    """
    if postal_code:
        postal_code = postal_code.strip().upper()
        matches = [(len(entry), zone) for zone in zones for entry in zone.postal_codes or []
                   if postal_code.startswith(entry.strip().upper())]
        if matches:
            return _only(matches, "postal_code")
    if province:
        province = province.strip().upper()
        matches = [(1, zone) for zone in zones if province in {p.strip().upper() for p in zone.provinces or []}]
        if matches:
            return _only(matches, "province")
    raise RuleViolation(
        "validation_error",
        _("no_zone_for_prospect", default="No zone of this client covers this postal code or province."),
        "postal_code" if postal_code or not province else "province",
    )


def _only(matches, field):
    best = max(length for length, _zone in matches)
    winners = {zone.id: zone for length, zone in matches if length == best}
    if len(winners) > 1:
        names = ", ".join(sorted(zone.name for zone in winners.values()))
        raise RuleViolation(
            "validation_error",
            _("ambiguous_zone", default="Several zones cover this prospect: ${zones}.", mapping={"zones": names}),
            field,
        )
    return next(iter(winners.values()))
