//! Executes a validated operation: resolves each root field, projects it, and assembles the answer.

use apollo_compiler::ast::Value as AstValue;
use apollo_compiler::executable::Field;
use apollo_compiler::response::{JsonMap, JsonValue};
use serde_json::{Map, Value, json};

use super::App;
use super::project::{self, Ctx};
use super::request::{self, GraphQLRequest, Prepared};
use super::resolvers::{self, Args, FieldError};

/// The answer to one GraphQL request.
pub(crate) struct Outcome {
    /// The JSON body (`data`, and `errors` when there are any).
    pub body: JsonValue,
    /// Whether a mutation ran (its answer may then be dropped by fault injection).
    pub mutated: bool,
    /// The root fields of the operation, e.g. `createSingleCamJob`.
    pub fields: Vec<String>,
}

/// Validates and runs a request against the sandbox.
pub(crate) fn run(app: &App, req: &GraphQLRequest) -> Outcome {
    let prepared = match request::prepare(&app.schema, req) {
        Ok(p) => p,
        Err(errors) => {
            return Outcome {
                body: answer(None, errors),
                mutated: false,
                fields: Vec::new(),
            };
        }
    };
    if prepared.operation.is_introspection(&prepared.doc) {
        return Outcome {
            body: introspect(app, &prepared),
            mutated: false,
            fields: Vec::new(),
        };
    }
    let mutated = prepared.operation.is_mutation();
    let fields = prepared
        .operation
        .selection_set
        .selections
        .iter()
        .filter_map(|s| s.as_field())
        .map(|f| f.name.to_string())
        .collect();
    Outcome {
        body: execute(app, &prepared),
        mutated,
        fields,
    }
}

fn execute(app: &App, prepared: &Prepared) -> JsonValue {
    let ctx = Ctx {
        schema: &app.schema,
        doc: &prepared.doc,
        variables: &prepared.variables,
    };
    let operation = &prepared.operation;
    let root_type = operation.object_type().as_str();
    let fields = project::collect_fields(&ctx, &[&operation.selection_set], root_type);
    let mut data = JsonMap::new();
    let mut errors = Vec::new();
    let mut null_data = false;
    for (key, group) in fields {
        let Some(field) = group.first() else { continue };
        if field.name == "__typename" {
            data.insert(key, JsonValue::from(root_type));
            continue;
        }
        let args = arguments(field, &prepared.variables);
        match resolvers::resolve(app, field.name.as_str(), &args) {
            Ok(value) => {
                data.insert(key, project::project(&ctx, &value, &group));
            }
            Err(error) => {
                errors.push(field_error(prepared, field, key, &error));
                null_data |= field.definition.ty.is_non_null();
                data.insert(key, JsonValue::Null);
            }
        }
    }
    answer((!null_data).then_some(data), errors)
}

/// `{"data": ..., "errors": [...]}`, leaving `errors` out when empty.
fn answer(data: Option<JsonMap>, errors: Vec<Value>) -> JsonValue {
    let mut body = JsonMap::new();
    body.insert("data", data.map_or(JsonValue::Null, JsonValue::Object));
    if !errors.is_empty() {
        body.insert("errors", JsonValue::from(Value::Array(errors)));
    }
    JsonValue::Object(body)
}

/// An AppSync field error, shaped like the examples in move-ugc-api/examples.
fn field_error(prepared: &Prepared, field: &Field, key: &str, error: &FieldError) -> Value {
    json!({
        "path": [key],
        "data": null,
        "errorType": error.error_type,
        "errorInfo": null,
        "locations": request::span_location(field.name.location(), &prepared.doc.sources),
        "message": error.message,
    })
}

/// The field's arguments: given ones with variables substituted, then schema defaults.
fn arguments(field: &Field, variables: &Map<String, Value>) -> Args {
    let mut args = Args::new();
    for def in &field.definition.arguments {
        let given = field.specified_argument_by_name(&def.name);
        let value = match (given, &def.default_value) {
            (Some(value), _) => to_json(value, variables),
            (None, Some(default)) => to_json(default, variables),
            (None, None) => None,
        };
        if let Some(value) = value {
            args.insert(def.name.to_string(), value);
        }
    }
    args
}

/// A document value as JSON; `None` for a variable that was not provided.
fn to_json(value: &AstValue, variables: &Map<String, Value>) -> Option<Value> {
    Some(match value {
        AstValue::Null => Value::Null,
        AstValue::Variable(name) => return variables.get(name.as_str()).cloned(),
        AstValue::Enum(name) => Value::String(name.to_string()),
        AstValue::String(s) => Value::String(s.clone()),
        AstValue::Boolean(b) => Value::Bool(*b),
        AstValue::Int(i) => i.try_to_i32().map_or(Value::Null, Value::from),
        AstValue::Float(f) => f.try_to_f64().map_or(Value::Null, Value::from),
        AstValue::List(items) => Value::Array(
            items
                .iter()
                .map(|v| to_json(v, variables).unwrap_or(Value::Null))
                .collect(),
        ),
        AstValue::Object(fields) => Value::Object(
            fields
                .iter()
                .filter_map(|(k, v)| Some((k.to_string(), to_json(v, variables)?)))
                .collect(),
        ),
    })
}

/// Answers an introspection-only operation (`__schema`, `__type`) from the sandbox SDL.
fn introspect(app: &App, prepared: &Prepared) -> JsonValue {
    let implementers = app.schema.implementers_map();
    let result = apollo_compiler::introspection::partial_execute(
        &app.schema,
        &implementers,
        &prepared.doc,
        &prepared.operation,
        &prepared.coerced,
    );
    let value = match result {
        Ok(response) => serde_json::to_value(response).unwrap_or(Value::Null),
        Err(e) => json!({ "data": null, "errors": [{ "message": e.message().to_string() }] }),
    };
    JsonValue::from(value)
}
