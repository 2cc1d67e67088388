//! The sandbox SDL declares nothing the real Move UGC API schema does not have, with the same types.

use apollo_compiler::schema::{ExtendedType, FieldDefinition, InputValueDefinition};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema};
use move_sandbox::SCHEMA_SDL;

const REAL_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/move-ugc-api/schema.graphql"
);

fn real() -> Valid<Schema> {
    let sdl = std::fs::read_to_string(REAL_SCHEMA)
        .unwrap_or_else(|e| panic!("cannot read {REAL_SCHEMA}: {e}"));
    Schema::parse_and_validate(sdl, "move-ugc-api/schema.graphql")
        .unwrap_or_else(|e| panic!("{}", e.errors))
}

fn sandbox() -> Valid<Schema> {
    Schema::parse_and_validate(SCHEMA_SDL, "sandbox/schema.graphql")
        .unwrap_or_else(|e| panic!("{}", e.errors))
}

fn kind(ty: &ExtendedType) -> &'static str {
    match ty {
        ExtendedType::Scalar(_) => "scalar",
        ExtendedType::Object(_) => "type",
        ExtendedType::Interface(_) => "interface",
        ExtendedType::Union(_) => "union",
        ExtendedType::Enum(_) => "enum",
        ExtendedType::InputObject(_) => "input",
    }
}

/// Compares argument or input field lists: the same names with the same types, both ways,
/// so that documents written for the real API validate against the sandbox.
fn compare_inputs<'a>(
    at: &str,
    ours: impl Iterator<Item = &'a Node<InputValueDefinition>>,
    real: impl Iterator<Item = &'a Node<InputValueDefinition>> + Clone,
    problems: &mut Vec<String>,
) {
    let ours: Vec<_> = ours.collect();
    for arg in &ours {
        match real.clone().find(|r| r.name == arg.name) {
            None => problems.push(format!("{at}({}): not in the real schema", arg.name)),
            Some(r) if r.ty != arg.ty => problems.push(format!(
                "{at}({}): {} here, {} in the real schema",
                arg.name, arg.ty, r.ty
            )),
            Some(_) => {}
        }
    }
    for r in real.filter(|r| !ours.iter().any(|a| a.name == r.name)) {
        problems.push(format!(
            "{at}({}: {}): in the real schema, missing here",
            r.name, r.ty
        ));
    }
}

fn compare_fields<'a>(
    type_name: &str,
    ours: impl Iterator<Item = &'a Node<FieldDefinition>>,
    real: &'a Schema,
    problems: &mut Vec<String>,
) {
    for field in ours {
        let at = format!("{type_name}.{}", field.name);
        let Ok(r) = real.type_field(type_name, &field.name) else {
            problems.push(format!("{at}: not in the real schema"));
            continue;
        };
        if r.ty != field.ty {
            problems.push(format!(
                "{at}: {} here, {} in the real schema",
                field.ty, r.ty
            ));
        }
        compare_inputs(&at, field.arguments.iter(), r.arguments.iter(), problems);
    }
}

fn compare_type(name: &str, ours: &ExtendedType, real: &Schema, problems: &mut Vec<String>) {
    let Some(theirs) = real.types.get(name) else {
        problems.push(format!("{} {name}: not in the real schema", kind(ours)));
        return;
    };
    if kind(ours) != kind(theirs) {
        problems.push(format!(
            "{name}: a {} here, a {} in the real schema",
            kind(ours),
            kind(theirs)
        ));
        return;
    }
    let implements = |ty: &ExtendedType| match ty {
        ExtendedType::Object(o) => o
            .implements_interfaces
            .iter()
            .map(|i| i.to_string())
            .collect(),
        ExtendedType::Interface(i) => i
            .implements_interfaces
            .iter()
            .map(|i| i.to_string())
            .collect(),
        _ => Vec::new(),
    };
    let real_implements = implements(theirs);
    for interface in implements(ours)
        .iter()
        .filter(|i| !real_implements.contains(i))
    {
        problems.push(format!(
            "{name} implements {interface} here, not in the real schema"
        ));
    }
    match (ours, theirs) {
        (ExtendedType::Object(o), _) => {
            compare_fields(name, o.fields.values().map(|c| &c.node), real, problems)
        }
        (ExtendedType::Interface(i), _) => {
            compare_fields(name, i.fields.values().map(|c| &c.node), real, problems)
        }
        (ExtendedType::InputObject(o), ExtendedType::InputObject(r)) => compare_inputs(
            name,
            o.fields.values().map(|c| &c.node),
            r.fields.values().map(|c| &c.node),
            problems,
        ),
        (ExtendedType::Enum(o), ExtendedType::Enum(r)) => {
            let ours: Vec<_> = o.values.keys().collect();
            let theirs: Vec<_> = r.values.keys().collect();
            if ours != theirs {
                problems.push(format!(
                    "enum {name}: {ours:?} here, {theirs:?} in the real schema"
                ));
            }
        }
        (ExtendedType::Union(o), ExtendedType::Union(r)) => {
            for member in o.members.iter().filter(|m| !r.members.contains(*m)) {
                problems.push(format!(
                    "union {name}: member {member} not in the real schema"
                ));
            }
        }
        _ => {}
    }
}

/// Every way `ours` declares something the real schema does not have, or has differently.
fn differences(ours: &Schema, real: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, ty) in ours.types.iter().filter(|(_, ty)| !ty.is_built_in()) {
        compare_type(name, ty, real, &mut problems);
    }
    let roots = |s: &Schema| {
        let name = |root: &Option<_>| {
            root.as_ref()
                .map(|n: &apollo_compiler::schema::ComponentName| n.name.to_string())
        };
        (
            name(&s.schema_definition.query),
            name(&s.schema_definition.mutation),
        )
    };
    if roots(ours) != roots(real) {
        problems.push(format!(
            "root operation types: {:?} here, {:?} in the real schema",
            roots(ours),
            roots(real)
        ));
    }
    problems
}

#[test]
fn sandbox_sdl_matches_the_real_schema() {
    let problems = differences(&sandbox(), &real());
    assert!(
        problems.is_empty(),
        "the sandbox SDL differs from the real schema:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn a_drifted_sdl_is_caught_with_every_mismatch_named() {
    let drifted = SCHEMA_SDL
        .replace("getTake(takeId: ID!)", "getTake(takeId: String!)")
        .replace(
            "  lens: String!\n}\n\nenum",
            "  lens: String!\n  focal: Int\n}\n\nenum",
        )
        .replace("  MOVE\n", "  MOVE\n  WAV\n")
        .replace(
            "type Take implements",
            "type Clip { id: ID }\n\ntype Take implements",
        );
    let drifted = Schema::parse_and_validate(drifted, "drifted.graphql").unwrap();
    let problems = differences(&drifted, &real());
    let expected = [
        "Query.getTake(takeId)",
        "CameraSettings.focal",
        "enum SourceFormat",
        "type Clip",
    ];
    for what in expected {
        assert!(
            problems.iter().any(|p| p.contains(what)),
            "{what} not reported in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}

/// Documents move-ingest sends; each must validate against both schemas.
const DOCUMENTS: &[&str] = &[
    "{ client { id name created } }",
    "mutation($type: String!, $name: String, $metadata: AWSJSON) {
        createFile(type: $type, name: $name, metadata: $metadata) { id presignedUrl type created } }",
    "mutation($sources: [SourceInput!], $name: String, $metadata: AWSJSON) {
        createSingleCamTake(sources: $sources, name: $name, metadata: $metadata) {
            id created name metadata takeType
            sources { deviceLabel format file { id } }
            videoFile { id } additionalFiles { key format file { id } } } }",
    "query($takeId: ID!) { getTake(takeId: $takeId) { ... on Identifier { id } ... on Timestamped { created } } }",
    "query($fileId: ID!) { getFile(fileId: $fileId) { id type presignedUrl metadata name } }",
    "query($first: Int, $after: AWSJSON, $dir: SortDirection) {
        listTakes(first: $first, after: $after, sortDirection: $dir) { items { id name } first after } }",
    "mutation($id: String!, $name: String, $metadata: AWSJSON) { updateTake(id: $id, name: $name, metadata: $metadata) { id } }",
    "{ listCameraSettings { items { lens } } listRigs { items { name } } }",
    "mutation($sources: [SourceInput!], $h: Float!, $a: AreaType!, $sync: SyncMethodInput,
        $clip: ClipWindowInput, $name: String, $metadata: AWSJSON) {
        createVolumeWithHuman(sources: $sources, humanHeight: $h, areaType: $a, syncMethod: $sync,
            clipWindow: $clip, name: $name, metadata: $metadata) {
            id created name metadata areaType humanHeight state progress { state percentageComplete }
            clipWindow { startTime endTime } sources { deviceLabel cameraSettings { lens } file { id } } } }",
    "query($id: ID!) { getVolume(id: $id) { __typename ... on HumanVolume { id state metadata } } }",
    "query($first: Int, $after: AWSJSON, $dir: SortDirection) {
        listVolumes(first: $first, after: $after, sortDirection: $dir) {
            items { ... on HumanVolume { id metadata state } } first after } }",
    "mutation($sources: [SourceInput!], $volumeId: String!, $sync: SyncMethodInput, $name: String, $metadata: AWSJSON) {
        createMultiCamTake(sources: $sources, volumeId: $volumeId, syncMethod: $sync, name: $name, metadata: $metadata) {
            id takeType syncMethod { clapWindow { startTime endTime } timecodeSync { useTimecode } }
            volume { ... on HumanVolume { id } } } }",
    "mutation($takeId: String!, $actors: Int, $rig: String, $outputs: [OutputType], $options: OptionsInput) {
        createMultiCamJob(takeId: $takeId, numberOfActors: $actors, rig: $rig, outputs: $outputs, options: $options) {
            id rig { name } inputs { numberOfActors } progress { state } } }",
];

#[test]
fn client_documents_validate_against_both_schemas() {
    let (ours, real) = (sandbox(), real());
    for doc in DOCUMENTS {
        for (which, schema) in [("real", &real), ("sandbox", &ours)] {
            if let Err(e) = ExecutableDocument::parse_and_validate(schema, *doc, "doc.graphql") {
                panic!("invalid against the {which} schema:\n{doc}\n{}", e.errors);
            }
        }
    }
}
