//! Every GraphQL document the client can send validates against the real API schema.

use apollo_compiler::{ExecutableDocument, Schema};

fn real_schema() -> apollo_compiler::validation::Valid<Schema> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/move-ugc-api/schema.graphql"
    );
    let sdl = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    Schema::parse_and_validate(sdl, path)
        .unwrap_or_else(|e| panic!("the real schema does not parse: {e}"))
}

#[test]
fn every_client_document_validates_against_the_real_schema() {
    let schema = real_schema();
    let docs = move_ingest::api::documents::all();
    assert!(docs.len() >= 6);
    for (name, doc) in docs {
        if let Err(e) = ExecutableDocument::parse_and_validate(&schema, doc.as_str(), name) {
            panic!("{name} does not validate against the real schema:\n{e}");
        }
    }
}

#[test]
fn every_client_document_is_served_by_the_sandbox() {
    let schema = Schema::parse_and_validate(move_sandbox::SCHEMA_SDL, "sandbox.graphql")
        .unwrap_or_else(|e| panic!("the sandbox schema does not parse: {e}"));
    for (name, doc) in move_ingest::api::documents::all() {
        if let Err(e) = ExecutableDocument::parse_and_validate(&schema, doc.as_str(), name) {
            panic!("{name} does not validate against the sandbox's schema:\n{e}");
        }
    }
}

#[test]
fn a_wrong_document_is_caught() {
    let schema = real_schema();
    let bad = "query { getTake(takeId: \"x\") { id nosuchfield } }";
    assert!(ExecutableDocument::parse_and_validate(&schema, bad, "bad.graphql").is_err());
}

#[test]
fn the_multicam_documents_are_among_those_validated() {
    let names: Vec<&str> = move_ingest::api::documents::all()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for op in [
        "ListCameraSettings",
        "ListRigs",
        "CreateVolumeWithHuman",
        "GetVolume",
        "ListVolumes",
        "CreateMultiCamTake",
        "CreateMultiCamJob",
        "GetTakeType",
    ] {
        assert!(
            names.contains(&op),
            "{op} is not in documents::all(): {names:?}"
        );
    }
}
