//! Turns a GraphQL request into a validated operation with coerced variables, or AppSync-style errors.

use apollo_compiler::ast::Value as AstValue;
use apollo_compiler::executable::{Operation, VariableDefinition};
use apollo_compiler::parser::{LineColumn, SourceMap, SourceSpan};
use apollo_compiler::response::{GraphQLError, JsonMap};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The body of `POST /ugc/graphql`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphQLRequest {
    pub query: String,
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

/// A request that passed validation: the document, the chosen operation and its variables.
pub(crate) struct Prepared {
    pub doc: Valid<ExecutableDocument>,
    pub operation: Node<Operation>,
    /// Coerced variable values, defaults applied.
    pub variables: Map<String, Value>,
    /// The same, as apollo-compiler wants them for introspection.
    pub coerced: Valid<JsonMap>,
}

/// The AppSync scalar that must travel as a string holding JSON.
const AWSJSON: &str = "AWSJSON";

/// Parses, validates and coerces a request; on failure returns the `errors` array to answer.
pub(crate) fn prepare(
    schema: &Valid<Schema>,
    req: &GraphQLRequest,
) -> Result<Prepared, Vec<Value>> {
    let doc = parse(schema, &req.query)?;
    let operation = doc
        .operations
        .get(req.operation_name.as_deref())
        .map_err(|e| vec![validation_error(&e.message().to_string(), vec![])])?
        .clone();
    let mut raw = req.variables.clone().unwrap_or_default();
    normalize_awsjson_variables(&operation.variables, &mut raw, &doc.sources)?;
    check_awsjson_literals(&doc, &operation)?;
    let coerced = coerce(schema, &operation, raw, &doc.sources)?;
    let variables = match serde_json::to_value(&*coerced) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Ok(Prepared {
        doc,
        operation,
        variables,
        coerced,
    })
}

/// Parses and validates the document against the sandbox schema.
fn parse(schema: &Valid<Schema>, query: &str) -> Result<Valid<ExecutableDocument>, Vec<Value>> {
    ExecutableDocument::parse_and_validate(schema, query, "request.graphql").map_err(|invalid| {
        invalid
            .errors
            .iter()
            .map(|d| from_apollo(&d.to_json()))
            .collect()
    })
}

/// Checks and coerces the variable values to the operation's variable types.
fn coerce(
    schema: &Valid<Schema>,
    operation: &Operation,
    raw: Map<String, Value>,
    sources: &SourceMap,
) -> Result<Valid<JsonMap>, Vec<Value>> {
    let raw: JsonMap = serde_json::from_value(Value::Object(raw))
        .map_err(|e| vec![validation_error(&format!("variables: {e}"), vec![])])?;
    apollo_compiler::request::coerce_variable_values(schema, operation, &raw)
        .map_err(|e| vec![from_apollo(&e.to_graphql_error(sources))])
}

/// An apollo-compiler error as an AppSync validation error.
fn from_apollo(error: &GraphQLError) -> Value {
    validation_error(
        &error.message,
        error.locations.iter().map(location).collect(),
    )
}

/// An AppSync validation error; `message` comes from the validator.
fn validation_error(message: &str, locations: Vec<Value>) -> Value {
    error_json(&format!("Validation error: {message}"), locations)
}

/// An AppSync error of type ValidationError, not tied to a field.
fn error_json(message: &str, locations: Vec<Value>) -> Value {
    json!({
        "path": null,
        "data": null,
        "errorType": "ValidationError",
        "errorInfo": null,
        "locations": locations,
        "message": message,
    })
}

/// A location as AppSync writes it.
pub(crate) fn location(at: &LineColumn) -> Value {
    json!({ "line": at.line, "column": at.column, "sourceName": null })
}

/// The location where `span` starts, as AppSync writes it.
pub(crate) fn span_location(span: Option<SourceSpan>, sources: &SourceMap) -> Vec<Value> {
    span.and_then(|s| s.line_column_range(sources))
        .map(|range| vec![location(&range.start)])
        .unwrap_or_default()
}

fn unparsable(what: &str, name: &str, shown: &str) -> String {
    format!(
        "{what} '{name}' has an invalid value: Unable to parse {shown} as valid JSON. \
         AWSJSON values are strings holding JSON, e.g. \"{{\\\"key\\\":\\\"value\\\"}}\"."
    )
}

/// Brings AWSJSON variables to the one form the resolvers read, a string holding JSON.
///
/// Like the real API, a variable may be given as that string (what move-ingest sends) or as
/// the JSON value itself (what Move's Python SDK sends back as `next_token`: the decoded
/// cursor); the value is then encoded. A string that does not hold JSON is refused.
fn normalize_awsjson_variables(
    defs: &[Node<VariableDefinition>],
    raw: &mut Map<String, Value>,
    sources: &SourceMap,
) -> Result<(), Vec<Value>> {
    let mut errors = Vec::new();
    for def in defs {
        if def.ty.inner_named_type() != AWSJSON {
            continue;
        }
        let Some(value) = raw.get_mut(def.name.as_str()) else {
            continue;
        };
        match value {
            Value::Null => {}
            Value::String(text) => {
                if serde_json::from_str::<Value>(text).is_err() {
                    let message = unparsable("Variable", &def.name, &value.to_string());
                    errors.push(error_json(&message, span_location(def.location(), sources)));
                }
            }
            other => *other = Value::String(other.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Refuses AWSJSON arguments written in the document as anything but a string holding JSON.
fn check_awsjson_literals(
    doc: &Valid<ExecutableDocument>,
    operation: &Operation,
) -> Result<(), Vec<Value>> {
    let mut errors = Vec::new();
    for field in operation.all_fields(doc) {
        for arg in &field.arguments {
            let Some(def) = field.definition.argument_by_name(&arg.name) else {
                continue;
            };
            if def.ty.inner_named_type() != AWSJSON {
                continue;
            }
            let ok = match arg.value.as_ref() {
                AstValue::Variable(_) | AstValue::Null => true,
                AstValue::String(text) => serde_json::from_str::<Value>(text).is_ok(),
                _ => false,
            };
            if !ok {
                let message = unparsable("Argument", &arg.name, &arg.value.to_string());
                errors.push(error_json(
                    &message,
                    span_location(arg.value.location(), &doc.sources),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
