//! What a person can do about a failure, chosen by its kind (never by the reason's wording).

use crate::model::recording::FailureKind;

/// The next step for a recording that failed with `kind`.
pub fn hint(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Empty => {
            "The file has no bytes. Copy or export the recording again, then run `move-ingest retry`."
        }
        FailureKind::TooBig => {
            "One upload carries at most 5 GiB. Split the recording; the parts are picked up as new recordings."
        }
        FailureKind::TakesUnlisted => {
            "The Move API would not list the account's takes, so the recording could not be checked for a take it already has. Run `move-ingest check`, then `move-ingest retry`."
        }
        FailureKind::Unreadable => {
            "Make the file readable by the move-ingest user, then run `move-ingest retry`."
        }
        FailureKind::GaveUp => {
            "The network or the API kept failing. Once it works again, run `move-ingest retry`."
        }
        FailureKind::Refused => {
            "The Move API refused it. Fix the file or the config as the reason says, then run `move-ingest retry`."
        }
        FailureKind::Other => {
            "Fix the cause named above, then run `move-ingest retry` to queue it again."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_gets_a_next_step_of_its_own() {
        let kinds = [
            FailureKind::Empty,
            FailureKind::TooBig,
            FailureKind::Unreadable,
            FailureKind::TakesUnlisted,
            FailureKind::Refused,
            FailureKind::GaveUp,
            FailureKind::Other,
        ];
        let hints: std::collections::HashSet<&str> = kinds.iter().map(|k| hint(*k)).collect();
        assert_eq!(hints.len(), kinds.len(), "two kinds share a hint");
        for k in kinds.iter().filter(|k| **k != FailureKind::TooBig) {
            assert!(
                hint(*k).contains("move-ingest retry"),
                "{k:?}: {}",
                hint(*k)
            );
        }
        assert!(hint(FailureKind::TakesUnlisted).contains("move-ingest check"));
        assert!(hint(FailureKind::Empty).contains("again"));
    }

    #[test]
    fn a_failure_recorded_before_kinds_reads_as_other() {
        let old: crate::model::recording::Event = serde_json::from_str(
            r#"{"failed":{"step":"upload","reason":"/x/a.mp4 is empty (0 bytes)"}}"#,
        )
        .expect("an old Failed event still reads");
        let crate::model::recording::Event::Failed { kind, .. } = old else {
            panic!("not a Failed event: {old:?}");
        };
        assert_eq!(kind, FailureKind::Other);
    }
}
