"""What must hold after any load: counted by SQL from the rows, never trusted from the counters."""

# Campaigns whose counters are not what their rows say (the services keep them in step).
COUNTER_MISMATCHES = """
WITH rows AS (
    SELECT c.id,
           count(a.id) FILTER (WHERE a.state IN ('to_confirm', 'confirmed')) AS taken,
           count(a.id) FILTER (WHERE a.state = 'to_confirm') AS to_confirm,
           count(a.id) FILTER (WHERE a.state = 'cancelled') AS cancelled
    FROM campaigns c LEFT JOIN appointments a ON a.campaign_id = c.id
    GROUP BY c.id
), recoveries AS (
    SELECT campaign_id,
           count(*) FILTER (WHERE state = 'booked') AS recovered,
           count(*) FILTER (WHERE state IN ('owed', 'released')) AS pending
    FROM recoveries GROUP BY campaign_id
), steps AS (
    SELECT campaign_id, sum(quantity) FILTER (WHERE state = 'confirmed') AS purchased
    FROM steps GROUP BY campaign_id
)
SELECT count(*) FROM campaigns c
JOIN rows r ON r.id = c.id
LEFT JOIN recoveries v ON v.campaign_id = c.id
LEFT JOIN steps s ON s.campaign_id = c.id
WHERE (c.taken, c.to_confirm, c.cancelled, c.recovered, c.recoveries_pending, c.purchased)
   <> (r.taken, r.to_confirm, r.cancelled, coalesce(v.recovered, 0), coalesce(v.pending, 0),
       coalesce(s.purchased, 0))
"""

# Zone and agent folder counters (folder_counters, one row per agent and zone; zone 0: none) that are not
# what their rows say, and pairs with appointments but no counter row.
FOLDER_COUNTER_MISMATCHES = """
WITH rows AS (
    SELECT agent_id, coalesce(zone_id, 0) AS zone_id,
           count(*) FILTER (WHERE state IN ('to_confirm', 'confirmed')) AS taken,
           count(*) FILTER (WHERE state = 'to_confirm') AS to_confirm,
           count(*) FILTER (WHERE state = 'cancelled') AS cancelled
    FROM appointments GROUP BY agent_id, coalesce(zone_id, 0)
)
SELECT count(*) FROM folder_counters f FULL JOIN rows r ON r.agent_id = f.agent_id AND r.zone_id = f.zone_id
WHERE (coalesce(f.taken, 0), coalesce(f.to_confirm, 0), coalesce(f.cancelled, 0))
   <> (coalesce(r.taken, 0), coalesce(r.to_confirm, 0), coalesce(r.cancelled, 0))
"""

# Places sold beyond the quota: active appointments plus the places kept for recoveries, over purchased.
OVERSOLD = """
SELECT coalesce(sum(greatest(r.taken + coalesce(v.pending, 0) - c.purchased, 0)), 0) FROM campaigns c
JOIN (SELECT campaign_id, count(*) AS taken FROM appointments
      WHERE state IN ('to_confirm', 'confirmed') GROUP BY campaign_id) r ON r.campaign_id = c.id
LEFT JOIN (SELECT campaign_id, count(*) AS pending FROM recoveries
           WHERE state IN ('owed', 'released') GROUP BY campaign_id) v ON v.campaign_id = c.id
"""

# Two active appointments of one agent whose busy times overlap.
DOUBLE_BOOKED = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON a.agent_id = b.agent_id AND a.id < b.id
 AND a.start_at < b.busy_until AND b.start_at < a.busy_until
WHERE a.state IN ('to_confirm', 'confirmed') AND b.state IN ('to_confirm', 'confirmed')
"""

# Numbers given per client: the counter is the highest, and no number twice (a unique key too).
NUMBER_MISMATCHES = """
SELECT count(*) FROM clients c
LEFT JOIN (SELECT client_id, max(number) AS last FROM appointments GROUP BY client_id) a ON a.client_id = c.id
WHERE c.last_appointment_number <> coalesce(a.last, 0)
"""


def integrity(conn):
    """{check: count}; every count must be 0."""
    return {
        "oversold": conn.execute(OVERSOLD).fetchone()[0],
        "double_booked": conn.execute(DOUBLE_BOOKED).fetchone()[0],
        "counter_mismatches": conn.execute(COUNTER_MISMATCHES).fetchone()[0],
        "folder_counter_mismatches": conn.execute(FOLDER_COUNTER_MISMATCHES).fetchone()[0],
        "number_mismatches": conn.execute(NUMBER_MISMATCHES).fetchone()[0],
    }
