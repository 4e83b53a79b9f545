/** SQL of the db package, as named statements with $n parameters. */
export const environmentSql = {
  findByName: { text: 'SELECT id, name, created_at FROM environments WHERE name = $1' },
  findByKeyHash: { text: 'SELECT id, name, created_at FROM environments WHERE secret_key_hash = $1' },
  sealedKeyByName: { text: 'SELECT secret_key_enc FROM environments WHERE name = $1' },
  nameById: { text: 'SELECT name FROM environments WHERE id = $1' },
  insert: {
    text: `INSERT INTO environments (name, secret_key_hash, secret_key_enc) VALUES ($1, $2, $3)
           RETURNING id, name, created_at`,
  },
  rotate: { text: 'UPDATE environments SET secret_key_hash = $2, secret_key_enc = $3 WHERE name = $1' },
} as const;

export const environmentVariableSql = {
  list: { text: 'SELECT name, value_enc FROM environment_variables WHERE environment_id = $1 ORDER BY name' },
  clear: { text: 'DELETE FROM environment_variables WHERE environment_id = $1' },
  insert: { text: 'INSERT INTO environment_variables (environment_id, name, value_enc) VALUES ($1, $2, $3)' },
} as const;
