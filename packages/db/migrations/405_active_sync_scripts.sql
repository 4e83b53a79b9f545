-- The runner's published read contract: the syncs of each integration's active deployment, with
-- the two settings a schedule needs, for the scheduler's reconcile statements (one round trip
-- each). Postgres inlines the view; other packages read it and never write it
-- (test/foundation/table-owners.test.ts).
CREATE VIEW active_sync_scripts AS
SELECT d.integration_id, s.name AS sync_name,
       (s.definition->>'frequencySeconds')::int AS frequency_seconds,
       (s.definition->>'autoStart')::boolean AS auto_start
FROM deployments d JOIN deployed_scripts s ON s.deployment_id = d.id
WHERE d.active AND s.kind = 'sync';
