"""Running the portal (spec §7, README "Production"): the admins' Jobs page, with the outbox's backlog,
the mails not sent and the jobs RQ gave up on (``pages``)."""
