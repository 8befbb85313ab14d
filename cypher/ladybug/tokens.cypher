// API tokens (heritage_graph/store/tokens.py): the Token table holds a hash of
// each secret, never the secret. Every query returns the same columns.

// name: add_token
// A new token; name and community may be null (cast: a null has no type of its own).
CREATE (t:Token {id: $id, hash: $hash, name: CAST($name AS STRING), role: $role,
                 community: CAST($community AS STRING), created_at: $created_at})

// name: list_tokens
// Every token, revoked ones included, oldest first.
MATCH (t:Token)
RETURN t.id AS id, t.hash AS hash, t.name AS name, t.role AS role, t.community AS community,
       t.created_at AS created_at, t.revoked_at AS revoked_at, t.last_used_at AS last_used_at
ORDER BY t.created_at, t.id

// name: token_by_hash
// The token whose secret has this hash, revoked or not.
MATCH (t:Token {hash: $hash})
RETURN t.id AS id, t.hash AS hash, t.name AS name, t.role AS role, t.community AS community,
       t.created_at AS created_at, t.revoked_at AS revoked_at, t.last_used_at AS last_used_at

// name: revoke_token
// Marks a token revoked; no row when the id is unknown or the token already revoked.
MATCH (t:Token {id: $id})
WHERE t.revoked_at IS NULL
SET t.revoked_at = $at
RETURN t.id AS id
