//! Every GraphQL document move-ingest sends; a test validates each against the real schema.

/// Creates a file record and returns its presigned upload URL.
pub const CREATE_FILE: &str =
    "mutation CreateFile($type: String!, $name: String, $metadata: AWSJSON) {
  createFile(type: $type, name: $name, metadata: $metadata) { id type name presignedUrl }
}";

/// Creates one single-camera take from uploaded files.
pub const CREATE_SINGLE_CAM_TAKE: &str =
    "mutation CreateSingleCamTake($sources: [SourceInput!], $name: String, $metadata: AWSJSON) {
  createSingleCamTake(sources: $sources, name: $name, metadata: $metadata) { ...TakeFields }
}";

/// Reads one take with its sources.
pub const GET_TAKE: &str = "query GetTake($takeId: ID!) {
  getTake(takeId: $takeId) { ...TakeFields }
}";

/// Reads one page of takes.
pub const LIST_TAKES: &str =
    "query ListTakes($first: Int, $after: AWSJSON, $sortDirection: SortDirection) {
  listTakes(first: $first, after: $after, sortDirection: $sortDirection) {
    after
    first
    items { ...TakeFields }
  }
}";

/// Replaces a take's name and/or metadata.
pub const UPDATE_TAKE: &str =
    "mutation UpdateTake($id: String!, $name: String, $metadata: AWSJSON) {
  updateTake(id: $id, name: $name, metadata: $metadata) { ...TakeFields }
}";

/// The thumbnail of a take's video, for the status page.
pub const TAKE_THUMBNAIL: &str = "query TakeThumbnail($takeId: ID!) {
  getTake(takeId: $takeId) { id videoFile { thumbnailUrl } }
}";

/// Who the key belongs to; `check` uses it to prove the key works.
pub const CLIENT: &str = "query Client {
  client { id name created }
}";

/// The take fields every take-returning document asks for.
pub const TAKE_FIELDS: &str = "fragment TakeFields on Take {
  id
  created
  name
  metadata
  takeType
  sources { deviceLabel format file { id type name } }
}";

/// One take as `takes` shows it: sources and client only when asked for (`$sources`,
/// `$client`), as the guide's `expand`.
pub const TAKE_VIEW: &str = "fragment TakeView on Take {
  id
  name
  created
  metadata
  sources @include(if: $sources) { deviceLabel format file { id } }
  client @include(if: $client) { id name }
}";

/// `takes show`.
pub const GET_TAKE_VIEW: &str =
    "query GetTakeView($takeId: ID!, $sources: Boolean!, $client: Boolean!) {
  getTake(takeId: $takeId) { ...TakeView }
}";

/// `takes list`.
pub const LIST_TAKE_VIEWS: &str = "query ListTakeViews($first: Int, $after: AWSJSON, $sortDirection: SortDirection, $sources: Boolean!, $client: Boolean!) {
  listTakes(first: $first, after: $after, sortDirection: $sortDirection) {
    after
    items { ...TakeView }
  }
}";

/// `takes create`.
pub const CREATE_TAKE_VIEW: &str = "mutation CreateTakeView($sources: [SourceInput!], $name: String, $metadata: AWSJSON, $withSources: Boolean!, $withClient: Boolean!) {
  createSingleCamTake(sources: $sources, name: $name, metadata: $metadata) {
    id
    name
    created
    metadata
    sources @include(if: $withSources) { deviceLabel format file { id } }
    client @include(if: $withClient) { id name }
  }
}";

/// `takes update`.
pub const UPDATE_TAKE_VIEW: &str = "mutation UpdateTakeView($id: String!, $name: String, $metadata: AWSJSON, $sources: Boolean!, $client: Boolean!) {
  updateTake(id: $id, name: $name, metadata: $metadata) { ...TakeView }
}";

/// Every document as sent (with the fragment appended where used), for validation tests.
pub fn all() -> Vec<(&'static str, String)> {
    [
        ("CreateFile", CREATE_FILE),
        ("CreateSingleCamTake", CREATE_SINGLE_CAM_TAKE),
        ("GetTake", GET_TAKE),
        ("ListTakes", LIST_TAKES),
        ("UpdateTake", UPDATE_TAKE),
        ("Client", CLIENT),
        ("GetTakeView", GET_TAKE_VIEW),
        ("ListTakeViews", LIST_TAKE_VIEWS),
        ("CreateTakeView", CREATE_TAKE_VIEW),
        ("UpdateTakeView", UPDATE_TAKE_VIEW),
        ("TakeThumbnail", TAKE_THUMBNAIL),
    ]
    .into_iter()
    .map(|(name, doc)| (name, with_fragments(doc)))
    .chain(super::jobs::documents())
    .chain(super::multicam::documents())
    .collect()
}

/// The document with the fragments it spreads appended.
pub fn with_fragments(doc: &str) -> String {
    let fragments = [
        ("...TakeFields", TAKE_FIELDS),
        ("...TakeView", TAKE_VIEW),
        ("...VolumeFields", super::multicam::VOLUME_FIELDS),
        (
            "...MultiCamTakeFields",
            super::multicam::MULTI_CAM_TAKE_FIELDS,
        ),
    ];
    let mut out = doc.to_string();
    for (spread, fragment) in fragments {
        if doc.contains(spread) {
            out.push('\n');
            out.push_str(fragment);
        }
    }
    out
}
