"""scim2-server's own ``scim2-server`` command, with its in-memory storage seeded in-process before it serves.

Seeding 100,000 users over HTTP would take minutes of the benchmark's budget and measure POST, which the load
generator measures anyway. Users are created through the storage's own ``create`` (so its indexes are built as for a
POSTed user), with the ids ``peer-user-<i>``; one empty group ``peer-group-0`` is added the same way. Environment:
SEED_USERS. Arguments: those of ``scim2-server``.
"""

import os
import sys

from scim2_models import Group
from scim2_models import User
from scim2_server.memory import InMemoryStorage
from scim2_server.testserver import cli
from scim2_server.utils import load_default_resource_types

SEED_USERS = int(os.environ.get("SEED_USERS", "0"))


def peer_user(i: int) -> dict:
    # Mirrors bench/peers/peer-user.ts.
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"peer-{i}@example.com",
        "externalId": f"peer-ext-{i}",
        "displayName": f"Peer User {i}",
        "active": True,
        "name": {"givenName": "Peer", "familyName": f"User {i}"},
        "emails": [{"value": f"peer-{i}@example.com", "type": "work", "primary": True}],
    }


class SeededStorage(InMemoryStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = {t.name: t for t in load_default_resource_types().values()}
        pending: list[str] = []
        original = self.generate_id
        self.generate_id = lambda resource_type, resource: pending.pop() if pending else original(resource_type, resource)
        for i in range(SEED_USERS):
            pending.append(f"peer-user-{i}")
            self.create(types["User"], User.model_validate(peer_user(i)))
        pending.append("peer-group-0")
        self.create(types["Group"], Group.model_validate({"displayName": "Peer Group"}))
        print(f"seeded {SEED_USERS} users", file=sys.stderr, flush=True)


cli.InMemoryStorage = SeededStorage

if __name__ == "__main__":
    sys.argv[0] = "scim2-server"
    cli.main()
