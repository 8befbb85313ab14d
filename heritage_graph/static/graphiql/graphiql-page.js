// Starts GraphiQL against the endpoint that served this page (GET /graphql with Accept: text/html).
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# The teachers of the retablista Jesús Urbano Rojas, and theirs.',
    '# Run: Ctrl-Enter. Every type and field: the book icon, top left.',
    '{',
    '  lineage(id: "jesus-urbano-rojas", direction: ANCESTORS) {',
    '    nodes { depth node { id name } }',
    '    edges { from to type sources { id } }',
    '  }',
    '}',
    '',
  ].join('\n');

  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
