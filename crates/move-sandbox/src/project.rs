//! Projects a resolved JSON value onto a selection set: aliases, fragments, `__typename`, @skip/@include.

use apollo_compiler::Schema;
use apollo_compiler::ast::Value as AstValue;
use apollo_compiler::collections::{HashSet, IndexMap};
use apollo_compiler::executable::{
    DirectiveList, ExecutableDocument, Field, Selection, SelectionSet,
};
use apollo_compiler::response::{JsonMap, JsonValue};
use serde_json::{Map, Value};

/// What projection needs from the request.
pub(crate) struct Ctx<'a> {
    pub schema: &'a Schema,
    pub doc: &'a ExecutableDocument,
    pub variables: &'a Map<String, Value>,
}

/// Fields grouped by response key, in document order.
pub(crate) type Grouped<'a> = IndexMap<&'a str, Vec<&'a Field>>;

/// Collects the fields of `sets` that apply to an object of type `typename` (CollectFields).
pub(crate) fn collect_fields<'a>(
    ctx: &Ctx<'a>,
    sets: &[&'a SelectionSet],
    typename: &str,
) -> Grouped<'a> {
    let mut out = Grouped::default();
    let mut visited = HashSet::default();
    for set in sets {
        walk(ctx, set, typename, &mut out, &mut visited);
    }
    out
}

fn walk<'a>(
    ctx: &Ctx<'a>,
    set: &'a SelectionSet,
    typename: &str,
    out: &mut Grouped<'a>,
    visited: &mut HashSet<&'a str>,
) {
    for selection in &set.selections {
        if !included(ctx, selection.directives()) {
            continue;
        }
        match selection {
            Selection::Field(field) => out
                .entry(field.response_key().as_str())
                .or_default()
                .push(field),
            Selection::InlineFragment(inline) => {
                let applies = inline
                    .type_condition
                    .as_ref()
                    .is_none_or(|tc| applies(ctx, tc, typename));
                if applies {
                    walk(ctx, &inline.selection_set, typename, out, visited);
                }
            }
            Selection::FragmentSpread(spread) => {
                let Some(fragment) = ctx.doc.fragments.get(&spread.fragment_name) else {
                    continue;
                };
                if visited.insert(fragment.name.as_str())
                    && applies(ctx, fragment.type_condition(), typename)
                {
                    walk(ctx, &fragment.selection_set, typename, out, visited);
                }
            }
        }
    }
}

/// Whether a type condition holds for an object of type `typename`.
fn applies(ctx: &Ctx<'_>, condition: &str, typename: &str) -> bool {
    condition == typename || ctx.schema.is_subtype(condition, typename)
}

/// Applies @skip(if:) and @include(if:).
fn included(ctx: &Ctx<'_>, directives: &DirectiveList) -> bool {
    let flag = |name: &str| {
        let value = directives.get(name)?.specified_argument_by_name("if")?;
        match value.as_ref() {
            AstValue::Boolean(b) => Some(*b),
            AstValue::Variable(v) => ctx.variables.get(v.as_str()).and_then(Value::as_bool),
            _ => None,
        }
    };
    flag("skip") != Some(true) && flag("include") != Some(false)
}

/// The answer for one response key: `value` cut down to what `fields` select.
pub(crate) fn project(ctx: &Ctx<'_>, value: &Value, fields: &[&Field]) -> JsonValue {
    let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
    if sets.iter().all(|s| s.selections.is_empty()) {
        return JsonValue::from(value.clone());
    }
    project_value(ctx, value, &sets)
}

fn project_value(ctx: &Ctx<'_>, value: &Value, sets: &[&SelectionSet]) -> JsonValue {
    match value {
        Value::Array(items) => {
            JsonValue::Array(items.iter().map(|v| project_value(ctx, v, sets)).collect())
        }
        Value::Object(map) => JsonValue::Object(project_object(ctx, map, sets)),
        other => JsonValue::from(other.clone()),
    }
}

fn project_object(ctx: &Ctx<'_>, map: &Map<String, Value>, sets: &[&SelectionSet]) -> JsonMap {
    let fallback = sets.first().map_or("", |s| s.ty.as_str());
    let typename = map
        .get("__typename")
        .and_then(Value::as_str)
        .unwrap_or(fallback);
    let mut out = JsonMap::new();
    for (key, fields) in collect_fields(ctx, sets, typename) {
        let Some(first) = fields.first() else {
            continue;
        };
        let value = if first.name == "__typename" {
            JsonValue::from(typename)
        } else {
            project(
                ctx,
                map.get(first.name.as_str()).unwrap_or(&Value::Null),
                &fields,
            )
        };
        out.insert(key, value);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use apollo_compiler::ExecutableDocument;
    use serde_json::json;

    const SDL: &str =
        "type Query { t: T } interface N { id: ID } type T implements N { id: ID a: Int b: [T] }";

    fn run(query: &str, value: Value) -> Value {
        let schema = Schema::parse_and_validate(SDL, "s.graphql").unwrap();
        let doc = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").unwrap();
        let op = doc.operations.get(None).unwrap();
        let vars = Map::new();
        let ctx = Ctx {
            schema: &schema,
            doc: &doc,
            variables: &vars,
        };
        let root = collect_fields(&ctx, &[&op.selection_set], "Query");
        let fields = &root["t"];
        serde_json::to_value(project(&ctx, &value, fields)).unwrap()
    }

    #[test]
    fn keeps_only_the_selection_with_aliases_fragments_and_typename() {
        let value = json!({"__typename": "T", "id": "1", "a": 5,
            "b": [{"__typename": "T", "id": "2", "a": 6, "b": []}]});
        let query =
            "{ t { x: id ... on N { __typename } b { ...F } b { a } } } fragment F on T { id }";
        let got = run(query, value);
        assert_eq!(
            got,
            json!({"x": "1", "__typename": "T", "b": [{"id": "2", "a": 6}]})
        );
    }

    #[test]
    fn honours_skip_and_include() {
        let value = json!({"__typename": "T", "id": "1", "a": 5});
        let got = run("{ t { id @skip(if: true) a @include(if: true) } }", value);
        assert_eq!(got, json!({"a": 5}));
    }
}
