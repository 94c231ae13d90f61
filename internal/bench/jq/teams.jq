# Teams become Groups: cue/mappings/github.cue's `teams`, as jq.
{
  apiVersion: "backstage.io/v1alpha1",
  kind: "Group",
  metadata: (
    {name: .slug}
    + (if .description != null and .description != "" then {description: .description} else {} end)
  ),
  spec: (
    {type: "team", profile: {displayName: .name}}
    + (if .parent != null then {parent: .parent.slug} else {} end)
    + {children: [], members: [(.members // [])[] | .login | ascii_downcase]}
  )
}
