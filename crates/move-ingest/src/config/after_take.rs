//! `[after_take]`: what happens to a recording's local files once its take is safe: kept,
//! moved below `move_to`, or deleted.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

/// The action, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AfterTakeAction {
    /// Leave the files where they are.
    #[default]
    Keep,
    /// Move them to `<move_to>/<device label>/<sub folders>/<file name>`.
    Move,
    /// Delete them.
    Delete,
}

impl AfterTakeAction {
    /// The config's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            AfterTakeAction::Keep => "keep",
            AfterTakeAction::Move => "move",
            AfterTakeAction::Delete => "delete",
        }
    }
}

/// The validated `[after_take]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfterTakeConfig {
    pub action: AfterTakeAction,
    /// Where `"move"` puts the files (set exactly when the action is `"move"`).
    pub move_to: Option<PathBuf>,
}

/// `[after_take]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAfterTake {
    #[serde(default)]
    action: Option<Spanned<AfterTakeAction>>,
    #[serde(default)]
    move_to: Option<Spanned<PathBuf>>,
}

impl RawAfterTake {
    pub(super) fn validate(self, at: &super::raw::At<'_>) -> Result<AfterTakeConfig, String> {
        let action = self
            .action
            .as_ref()
            .map_or(AfterTakeAction::Keep, |a| *a.get_ref());
        match (&self.action, action, self.move_to) {
            (_, AfterTakeAction::Move, Some(to)) if !to.get_ref().is_absolute() => Err(format!(
                "{} must be an absolute path, got {}",
                at("move_to", to.span()),
                to.get_ref().display()
            )),
            (_, AfterTakeAction::Move, Some(to)) => Ok(AfterTakeConfig {
                action,
                move_to: Some(to.into_inner()),
            }),
            (Some(a), AfterTakeAction::Move, None) => Err(format!(
                "{} is \"move\": set `move_to = \"/srv/archive\"` in [after_take] too",
                at("action", a.span())
            )),
            (_, _, Some(to)) => Err(format!(
                "{} is only used with action = \"move\" (the action is \"{}\"); remove it or set the action",
                at("move_to", to.span()),
                action.as_str()
            )),
            _ => Ok(AfterTakeConfig {
                action,
                move_to: None,
            }),
        }
    }
}
