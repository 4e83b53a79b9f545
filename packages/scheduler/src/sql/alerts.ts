/** SQL of alert incidents (`alert_incidents`) and the scheduler's own alert source (failed syncs). */

/** Schedules whose latest run failed or was interrupted, over every environment. */
export const FAILED_SYNCS = `
SELECT sc.id, sc.environment_id, sc.connection_id, sc.provider_config_key, sc.sync_name, r.status, r.error->>'message' AS message
FROM schedules sc
JOIN LATERAL (SELECT * FROM sync_runs r WHERE r.schedule_id = sc.id ORDER BY r.created_at DESC LIMIT 1) r ON true
WHERE r.status IN ('failed', 'interrupted')`;

/** Incidents whose condition cleared close. $1 keys still current. */
export const RESOLVE_INCIDENTS = `
UPDATE alert_incidents SET resolved_at = now() WHERE resolved_at IS NULL AND NOT (key = ANY($1::text[]))`;

/** Opens (or re-opens) an incident; returns its key only when it is new, i.e. must be notified. */
export const OPEN_INCIDENT = `
INSERT INTO alert_incidents (key, environment_id, kind, summary, link) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key) DO UPDATE SET resolved_at = NULL, opened_at = now(), notified_at = NULL, summary = EXCLUDED.summary
  WHERE alert_incidents.resolved_at IS NOT NULL
RETURNING key`;

export const MARK_NOTIFIED = 'UPDATE alert_incidents SET notified_at = now() WHERE key = $1';

/** Not notified: forget the opening so the next scan tries again. */
export const FORGET_UNNOTIFIED = 'DELETE FROM alert_incidents WHERE key = $1 AND notified_at IS NULL';
