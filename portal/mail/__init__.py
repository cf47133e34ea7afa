"""Mail (spec §8): each kind's templates, checked and rendered in a sandbox (``templates``), and delivery
that survives an SMTP outage and sends once (``delivery``)."""
