//! A local Move-compatible API: GraphQL on /ugc/graphql and a presigned-URL upload endpoint.
