//! What a processing job is asked for: `OutputType` names and `OptionsInput` fields, checked
//! before anything is sent (by the config and by `jobs create`).

use serde::Serialize;
use serde_json::Value;

/// Every `OutputType` of the API schema.
pub const OUTPUT_TYPES: [&str; 16] = [
    "ALL_BLEND",
    "ALL_BVH",
    "ALL_C3D",
    "ALL_FBX",
    "ALL_GLB",
    "ALL_USDC",
    "ALL_USDZ",
    "MAIN_BLEND",
    "MAIN_FBX",
    "MAIN_GLB",
    "MAIN_USDC",
    "MAIN_USDZ",
    "MOTION_DATA",
    "RENDER_OVERLAY_VIDEO",
    "RENDER_VIDEO",
    "SYNC_DATA",
];

/// Every `MocapModelOptionsInput` of the API schema.
pub const MOCAP_MODELS: [&str; 4] = ["M1", "M2", "S1", "S2"];

/// The `OptionsInput` fields that take a Boolean.
const BOOLEAN_OPTIONS: [&str; 4] = [
    "floorPlane",
    "trackBall",
    "trackFingers",
    "trackJerseyNumbers",
];

/// An `OutputType` name, checked against the schema's (any case; kept upper case).
pub fn output_type(name: &str) -> Result<&'static str, String> {
    let upper = name.trim().to_ascii_uppercase();
    OUTPUT_TYPES
        .iter()
        .find(|t| **t == upper)
        .copied()
        .ok_or_else(|| {
            format!(
                "`{name}` is not an output type; use one of {}",
                OUTPUT_TYPES.join(", ")
            )
        })
}

/// `OptionsInput`: the options a job is processed with; unset ones are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_plane: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mocap_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_ball: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_fingers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_jersey_numbers: Option<bool>,
}

impl JobOptions {
    /// True when no option is set (the API's defaults apply).
    pub fn is_empty(&self) -> bool {
        *self == JobOptions::default()
    }

    /// Sets the `OptionsInput` field `key` (its schema name, e.g. `trackFingers`) to `value`: a
    /// Boolean for the track/floor options, one of M1, M2, S1, S2 for `mocapModel`.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), String> {
        if key == "mocapModel" {
            let model = value
                .as_str()
                .map(|m| m.trim().to_ascii_uppercase())
                .and_then(|m| MOCAP_MODELS.iter().find(|k| **k == m).copied())
                .ok_or_else(|| {
                    format!(
                        "mocapModel must be one of {}, got {value}",
                        MOCAP_MODELS.join(", ")
                    )
                })?;
            self.mocap_model = Some(model);
            return Ok(());
        }
        let slot = match key {
            "floorPlane" => &mut self.floor_plane,
            "trackBall" => &mut self.track_ball,
            "trackFingers" => &mut self.track_fingers,
            "trackJerseyNumbers" => &mut self.track_jersey_numbers,
            other => {
                return Err(format!(
                    "`{other}` is not a job option; use one of {}, mocapModel",
                    BOOLEAN_OPTIONS.join(", ")
                ));
            }
        };
        *slot = Some(
            value
                .as_bool()
                .ok_or_else(|| format!("{key} must be true or false, got {value}"))?,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn output_types_are_checked_and_upper_cased() {
        assert_eq!(output_type("main_fbx"), Ok("MAIN_FBX"));
        let err = output_type("MAIN_OBJ").unwrap_err();
        assert!(
            err.contains("MAIN_OBJ") && err.contains("RENDER_VIDEO"),
            "{err}"
        );
    }

    #[test]
    fn options_take_booleans_and_a_mocap_model() {
        let mut o = JobOptions::default();
        assert!(o.is_empty());
        o.set("trackFingers", &json!(true)).unwrap();
        o.set("mocapModel", &json!("s2")).unwrap();
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"trackFingers": true, "mocapModel": "S2"})
        );
        assert!(
            o.set("trackFingers", &json!("yes"))
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            o.set("mocapModel", &json!("X9"))
                .unwrap_err()
                .contains("M1, M2, S1, S2")
        );
        assert!(
            o.set("trackToes", &json!(true))
                .unwrap_err()
                .contains("trackToes")
        );
    }
}
