/**
 * Who owns which table: the one package whose `src/` may issue SQL against it
 * (test/foundation/table-owners.test.ts enforces it with table-owners-check.ts; ARCHITECTURE.md
 * lists the result).
 *
 * A table belongs to the package of the migration area that creates it. Add a row to AREAS when a
 * new area appears, or to OVERRIDES when a table lives in another package than its migration's
 * area says (say why beside it). A view belongs to its migration's area in the same way: it is
 * its owner's published read contract (other packages may read it, never write it).
 *
 * There is no list of tolerated violations: SQL against another package's table is fixed by
 * calling the owner's function, or, for a JOIN that must stay one round trip, by the owner
 * publishing a view of exactly the columns needed.
 */

/** Migration number ranges (packages/db/migrations/NNN_*.sql) and the package owning their tables. */
export const AREAS: ReadonlyArray<{ from: number; to: number; owner: string }> = [
  { from: 0, to: 99, owner: 'db' },
  { from: 100, to: 199, owner: 'auth' },
  { from: 200, to: 299, owner: 'records' },
  { from: 300, to: 399, owner: 'proxy' },
  { from: 400, to: 499, owner: 'runner' },
  { from: 500, to: 599, owner: 'scheduler' },
  // Observability: alert incidents are evaluated and written by the scheduler's alerts.
  { from: 600, to: 699, owner: 'scheduler' },
  // Provider webhooks: the inbox is the scheduler's (a notification becomes a run); Graph's
  // change-notification subscriptions are the subscriptions package's.
  { from: 700, to: 709, owner: 'scheduler' },
  { from: 710, to: 719, owner: 'subscriptions' },
];

/** Tables whose owner is not their migration area's package. */
export const OVERRIDES: Readonly<Record<string, string>> = {
  // The run lifecycle (sync runs, action runs, checkpoints) belongs to the scheduler; these
  // tables were created in the runner's area before that was decided.
  action_runs: 'scheduler',
  sync_checkpoints: 'scheduler',
};
