// Fragments: pieces of query text that several named queries include as
// {{NAME}}. They take the same $parameters in every query that uses them.

// fragment: VISIBLE
// The visibility rule of heritage_graph/visibility.py on the node `n`: status,
// consent, and sensitivity with the community scope of the reader's token.
AND (size($statuses) = 0 OR coalesce(n.status, "published") IN $statuses)
AND NOT coalesce(n.consent_status, "") IN $hidden_consent
AND (coalesce(n.sensitivity, "public") IN $sensitivities
     OR (coalesce(n.sensitivity, "public") = "community" AND size($scope) > 0
         AND (n.id IN $scope
              OR EXISTS { MATCH (n)<-[:PRACTICES]-(c:Node) WHERE c.id IN $scope }
              OR EXISTS { MATCH (n)-[:MEMBER_OF]->(c:Node) WHERE c.id IN $scope })))

// fragment: PUBLIC_PLACE
// A place anyone may see (visibility.PUBLIC), on the variable `x`.
(coalesce(x.status, "published") = "published" AND coalesce(x.sensitivity, "public") = "public"
 AND NOT coalesce(x.consent_status, "") IN ["pending", "refused", "withdrawn"])

// fragment: IN_WINDOW
// A listing's filters on the node `n`: the domain ("" for any) and the window of ids
// strictly between $after and $before ("" for no bound).
AND ($domain = "" OR $domain IN n.domains)
AND n.id > $after
AND ($before = "" OR n.id < $before)
