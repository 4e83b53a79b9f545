/** Read-side SQL over integrations for other packages (names only, never secrets). */

// An integration's row id from its key in an environment. $1 environment, $2 unique key.
export const INTEGRATION_ROW_ID = `SELECT id FROM integrations WHERE environment_id = $1 AND unique_key = $2`;
