"""The GraphQL API: types generated from the schema module, loaders, root query."""
