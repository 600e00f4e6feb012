#!/usr/bin/env bash
# scim-curl.sh
#
# Teaches: what an identity provider does to the SCIM endpoint, by hand, one request at a time: create a user, create
# a group, add the user to the group, then deactivate the user, the way Entra ID does on unassign. After each step it
# prints the kubectl command that shows the result. With an AccessMapping for the group (e.g.
# access-mapping-team-edit.yaml with displayName "Team Payments") you can watch the RoleBinding gain the user and
# lose it again on deactivation.
#
# Usage:
#   SCIM_URL=https://scim.example.com/scim/v2 TOKEN=... bash examples/scim-curl.sh [userName] [group displayName]
#   (with `npm run dev`, use the base URL and bearer token it prints)
#
# Do not use it against a connection an IdP manages: the IdP will not know these objects, and the user and group
# names may collide with ones it provisions (409). Use a token of its own, e.g. a key `manual` in the token Secret,
# and delete the objects afterwards (the DELETE commands are printed at the end). Needs curl and jq.
set -euo pipefail

: "${SCIM_URL:?set SCIM_URL to the SCIM base URL, e.g. https://scim.example.com/scim/v2}"
: "${TOKEN:?set TOKEN to a bearer token (a value of the token Secret)}"
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "scim-curl.sh: $tool is required" >&2; exit 2; }
done
USER_NAME=${1:-ada@example.com}
GROUP_NAME=${2:-Team Payments}

# scim METHOD PATH [BODY]: one request; prints the response body, fails on HTTP >= 400 with the SCIM error.
scim() {
  local method=$1 path=$2 body=${3:-} out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$SCIM_URL$path" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/scim+json' ${body:+--data "$body"})
  echo "$method $path -> $status" >&2
  if [ "$status" -ge 400 ]; then
    cat "$out" >&2
    echo >&2
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}

echo "1. Create the user $USER_NAME" >&2
user=$(scim POST /Users "$(jq -n --arg u "$USER_NAME" '{
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName: $u,
  active: true,
  name: {givenName: "Ada", familyName: "Lovelace"},
  displayName: "Ada Lovelace",
  emails: [{value: $u, type: "work", primary: true}]
}')")
user_id=$(jq -r .id <<<"$user")
echo "   id $user_id; see it with: kubectl get scimuser $user_id -o wide" >&2

echo "2. Create the group \"$GROUP_NAME\" (empty, as Entra ID does)" >&2
group=$(scim POST /Groups "$(jq -n --arg g "$GROUP_NAME" '{
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  displayName: $g,
  members: []
}')")
group_id=$(jq -r .id <<<"$group")
echo "   id $group_id; see it with: kubectl get scimgroup $group_id" >&2

echo "3. Add the user to the group (answers 204 No Content)" >&2
scim PATCH "/Groups/$group_id" "$(jq -n --arg id "$user_id" '{
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations: [{op: "add", path: "members", value: [{value: $id}]}]
}')" >/dev/null
scim GET "/Groups/$group_id" | jq -c '{displayName, members}'
echo "   the user's groups: kubectl get scimuser $user_id -o jsonpath='{.status.groups}'" >&2

echo "4. Deactivate the user (memberships are kept; access is revoked)" >&2
scim PATCH "/Users/$user_id" '{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{"op": "replace", "path": "active", "value": false}]
}' | jq -c '{userName, active}'
echo "   Ready turns False with reason Inactive: kubectl get scimuser $user_id" >&2

cat >&2 <<EOF

Clean up (a hard delete, as Entra ID sends about 30 days after a soft delete):
  curl -sS -X DELETE -H "Authorization: Bearer \$TOKEN" "$SCIM_URL/Users/$user_id"
  curl -sS -X DELETE -H "Authorization: Bearer \$TOKEN" "$SCIM_URL/Groups/$group_id"
EOF
