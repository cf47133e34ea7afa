"""Background work (spec §7): jobs requested in a transaction and run after its commit, never lost nor
doubled (``outbox``), the periodic tasks and their in-process scheduler (``periodic``), RQ's scheduler
entry (``cron``: `rq cron portal.jobs.cron`), and the admins' Jobs page (``pages``)."""
