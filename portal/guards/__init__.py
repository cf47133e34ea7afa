"""What every request meets at the door (spec §10): bad input refused before any view (``bad_input``), the
security headers of every answer (``headers``), a database failing mid-request retried or answered 503
(``faults``)."""
