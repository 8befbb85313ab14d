"""Who is asking: roles, the principal of a request, and what each role may do.

Roles, from least to most trusted:

- ``anonymous``: no token; reads published, public records.
- ``researcher``: reads published records, including ``community`` records of the
  communities its token is scoped to.
- ``curator``: also reads drafts and records in review; creates and edits drafts and
  submits them for review.
- ``reviewer``: also approves (publishes), rejects and retires records, and edits any.
- ``admin``: everything, including ``restricted`` records, records whose consent was
  refused or withdrawn, and tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("anonymous", "researcher", "curator", "reviewer", "admin")
TOKEN_ROLES = ROLES[1:]


@dataclass(frozen=True)
class Principal:
    role: str = "anonymous"
    community: str | None = None  # the community a token is scoped to
    name: str | None = None
    token_id: str | None = None

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def actor(self) -> str:
        """How writes by this principal are recorded (recordedBy, history)."""
        return self.name or self.token_id or self.role


ANONYMOUS = Principal()
SYSTEM = Principal(role="admin", name="system")
