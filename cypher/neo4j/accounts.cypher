// Web workspace users and sessions (heritage_graph/store/accounts.py): a user holds an Argon2id hash
// of its password, a session is keyed by the SHA-256 hash of its cookie's secret. Never the secrets.

// name: add_user
// A new user; a null community leaves the property unset. The uniqueness constraint refuses a taken name.
CREATE (u:HeritageUser {username: $username, password_hash: $password_hash, role: $role, community: $community,
                        created_at: $created_at, disabled_at: $disabled_at,
                        password_changed_at: $password_changed_at})

// name: list_users
// Every user, disabled ones included, by user name.
MATCH (u:HeritageUser)
RETURN u.username AS username, u.password_hash AS password_hash, u.role AS role, u.community AS community,
       u.created_at AS created_at, u.disabled_at AS disabled_at, u.password_changed_at AS password_changed_at
ORDER BY u.username

// name: user_by_name
// The user with this user name, disabled or not (the uniqueness constraint indexes username).
MATCH (u:HeritageUser {username: $username})
RETURN u.username AS username, u.password_hash AS password_hash, u.role AS role, u.community AS community,
       u.created_at AS created_at, u.disabled_at AS disabled_at, u.password_changed_at AS password_changed_at

// name: set_user_password
// A new password hash; no row when there is no such user.
MATCH (u:HeritageUser {username: $username})
SET u.password_hash = $hash, u.password_changed_at = $at
RETURN u.username AS username

// name: disable_user
// No row when there is no such user or it was already disabled.
MATCH (u:HeritageUser {username: $username})
WHERE u.disabled_at IS NULL
SET u.disabled_at = $at
RETURN u.username AS username

// name: enable_user
// No row when there is no such user or it was not disabled.
MATCH (u:HeritageUser {username: $username})
WHERE u.disabled_at IS NOT NULL
SET u.disabled_at = null
RETURN u.username AS username

// name: add_session
CREATE (s:HeritageSession {id: $id, username: $username, created_at: $created_at, seen_at: $seen_at})

// name: session_by_id
// The session whose secret has this hash (the key); ended sessions are deleted, so never one of those.
MATCH (s:HeritageSession {id: $id})
RETURN s.id AS id, s.username AS username, s.created_at AS created_at, s.seen_at AS seen_at

// name: touch_session
MATCH (s:HeritageSession {id: $id})
SET s.seen_at = $at

// name: end_session
MATCH (s:HeritageSession {id: $id})
DELETE s

// name: end_user_sessions
MATCH (s:HeritageSession)
WHERE s.username = $username
DELETE s
RETURN count(*) AS ended

// name: end_stale_sessions
// Past the absolute limit (created before) or the idle one (not seen since).
MATCH (s:HeritageSession)
WHERE s.created_at < $created_before OR s.seen_at < $seen_before
DELETE s
RETURN count(*) AS ended
