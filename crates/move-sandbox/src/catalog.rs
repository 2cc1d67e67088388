//! `listCameraSettings` and `listRigs`: the lenses a multi-cam source may name and the rigs a
//! multi-cam job may use, as fixed lists (one page each, like the API's).

use serde_json::{Value, json};

use super::resolvers::FieldError;

/// The lenses the sandbox knows, named the way Move names them (`<camera>-<mode>`).
pub(crate) const LENSES: [&str; 6] = [
    "goprohero10-fhd",
    "goprohero10-2-7k",
    "goprohero10-4k",
    "iphone13pro-wide-fhd",
    "iphone13pro-wide-4k",
    "sony-synced-fhd",
];

/// The rigs a multi-cam job may use; the first is the default.
pub(crate) const RIGS: [&str; 2] = ["move_mo", "move_one"];

/// `listCameraSettings`: every known lens.
pub(crate) fn list_camera_settings() -> Value {
    let items: Vec<Value> = LENSES
        .iter()
        .map(|lens| json!({ "__typename": "CameraSettings", "lens": lens }))
        .collect();
    page("CameraSettingsPage", items)
}

/// `listRigs`: every rig.
pub(crate) fn list_rigs() -> Value {
    let items: Vec<Value> = RIGS
        .iter()
        .map(|name| json!({ "__typename": "Rig", "name": name }))
        .collect();
    page("RigsPage", items)
}

fn page(typename: &str, items: Vec<Value>) -> Value {
    json!({ "__typename": typename, "first": items.len(), "after": null, "items": items })
}

/// Whether `lens` is one `listCameraSettings` lists.
pub(crate) fn is_lens(lens: &str) -> bool {
    LENSES.contains(&lens)
}

/// The rig a job asked for: absent or empty (what Move's SDK sends by default) is the default
/// rig; an unknown one is a bad request naming the known ones.
pub(crate) fn rig(asked: Option<&str>) -> Result<String, FieldError> {
    match asked {
        None | Some("") => Ok(RIGS[0].to_string()),
        Some(name) if RIGS.contains(&name) => Ok(name.to_string()),
        Some(name) => Err(FieldError::bad_request(format!(
            "Unknown rig '{name}': use one of {} (listRigs)",
            RIGS.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_rig_is_the_default_and_an_unknown_one_is_refused() {
        assert_eq!(rig(None), Ok("move_mo".to_string()));
        assert_eq!(rig(Some("")), Ok("move_mo".to_string()));
        assert_eq!(rig(Some("move_one")), Ok("move_one".to_string()));
        let refused = rig(Some("move_two")).err().map(|e| e.message);
        assert!(refused.is_some_and(|m| m.contains("move_mo, move_one")));
    }
}
