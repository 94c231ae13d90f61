# Repositories become Components: cue/mappings/github.cue's `repositories`, as jq.
# The same rules in the same order; what jq does not do is check the record's types
# (the CUE mapping's `in` declarations) or validate the entity.
# ascii_downcase stands for strings.ToLower: GitHub names and logins are ASCII.

# filter: !in.archived
select(.archived | not)
| (.topics // []) as $topics
| [(.teams // [])[] | select(.permission == "admin") | .slug] as $admins
| [$topics[] | select(startswith("lifecycle-")) | ltrimstr("lifecycle-")] as $lifecycles
| [$topics[] | select(. == "website" or . == "library" or . == "documentation")] as $types
| {
    apiVersion: "backstage.io/v1alpha1",
    kind: "Component",
    metadata: (
      {name: (.name | ascii_downcase)}
      + (if .description != null and .description != "" then {description: .description} else {} end)
      + {
          annotations: {"github.com/project-slug": .full_name},
          tags: [$topics[] | select(startswith("lifecycle-") | not)],
          links: [{url: .html_url, title: "Repository"}]
        }
    ),
    spec: {
      type: (if ($types | length) > 0 then $types[0] else "service" end),
      lifecycle: (
        if ($lifecycles | length) > 0 then $lifecycles[0]
        elif any($topics[]; . == "deprecated") then "deprecated"
        else "production" end
      ),
      owner: (
        if (.custom_properties // {}) | has("owner-team") then .custom_properties["owner-team"]
        elif ($admins | length) > 0 then $admins[0]
        else (.owner.login | ascii_downcase) end
      )
    }
  }
