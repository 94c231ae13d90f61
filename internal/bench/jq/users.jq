# Users become Users: cue/mappings/github.cue's `users`, as jq.
{
  apiVersion: "backstage.io/v1alpha1",
  kind: "User",
  metadata: {name: (.login | ascii_downcase)},
  spec: {
    profile: (
      (if .name != null and .name != "" then {displayName: .name} else {} end)
      + (if .email != null and .email != "" then {email: .email} else {} end)
    ),
    memberOf: []
  }
}
