//! Seeded fault injection: one RNG decides which requests fail, so a run repeats for the same request order.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which faults the sandbox injects, and how often; `POST /admin/faults` replaces them at run time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Seed of the RNG that draws every fault.
    pub seed: u64,
    /// Probability (0..1) that a GraphQL request gets HTTP 503, or a storage PUT gets 500 InternalError.
    pub p_5xx: f64,
    /// Only GraphQL requests that name this root field (e.g. `listTakes`, `createMultiCamTake`)
    /// get `p_5xx`, and no storage request does; `None`: every request.
    pub unavailable_only: Option<String>,
    /// Probability (0..1) that a GraphQL request gets HTTP 429 with `Retry-After`.
    pub p_429: f64,
    /// The `Retry-After` value, in seconds, sent with an injected 429.
    pub retry_after_secs: u64,
    /// Probability (0..1) that a mutation is performed and then its answer is dropped mid-response.
    pub p_drop: f64,
    /// Only mutations with this root field (e.g. `createSingleCamJob`, `createVolumeWithHuman`)
    /// may lose their answer to `p_drop`; `None`: any mutation.
    pub drop_only: Option<String>,
    /// Probability (0..1) that a storage PUT is cut off halfway through its body (500, connection closed).
    pub p_cut: f64,
    /// Probability (0..1) that a GraphQL request is refused as invalid (a `BadRequestException`
    /// error, nothing performed): a permanent refusal, as an API that rejects the input gives.
    pub p_invalid: f64,
    /// Latency added before every GraphQL and storage request, in milliseconds.
    pub latency_ms: u64,
    /// Only GraphQL requests that name this root field (e.g. `createMultiCamTake`) get
    /// `latency_ms`, and no storage request does (a request held while its client dies);
    /// `None`: every request.
    pub latency_only: Option<String>,
    /// Upload throttle in bytes per second (0 = unlimited).
    pub upload_bytes_per_sec: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 0,
            p_5xx: 0.0,
            unavailable_only: None,
            p_429: 0.0,
            retry_after_secs: 1,
            p_drop: 0.0,
            drop_only: None,
            p_cut: 0.0,
            p_invalid: 0.0,
            latency_ms: 0,
            latency_only: None,
            upload_bytes_per_sec: 0,
        }
    }
}

impl Faults {
    /// Checks that every probability lies in 0..=1.
    pub fn validate(&self) -> Result<(), String> {
        let probabilities = [
            ("p_5xx", self.p_5xx),
            ("p_429", self.p_429),
            ("p_drop", self.p_drop),
            ("p_cut", self.p_cut),
            ("p_invalid", self.p_invalid),
        ];
        for (name, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "{name} must be a probability between 0 and 1, got {p}"
                ));
            }
        }
        Ok(())
    }

    /// True when no fault at all is configured.
    pub fn is_quiet(&self) -> bool {
        self.p_5xx == 0.0
            && self.p_429 == 0.0
            && self.p_drop == 0.0
            && self.p_cut == 0.0
            && self.p_invalid == 0.0
            && self.latency_ms == 0
            && self.upload_bytes_per_sec == 0
    }
}

/// What to do with one GraphQL request before handling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Early {
    /// Handle it normally.
    Proceed,
    /// Answer HTTP 503.
    Unavailable,
    /// Answer HTTP 429 with this `Retry-After`.
    Throttled(u64),
    /// Refuse the request as invalid (HTTP 200, a `BadRequestException` error).
    Invalid,
}

/// The live faults and the one seeded RNG that draws them.
pub(crate) struct FaultState {
    inner: Mutex<(Faults, fastrand::Rng)>,
}

impl FaultState {
    /// Starts drawing from `faults.seed`.
    pub(crate) fn new(faults: Faults) -> Self {
        let rng = fastrand::Rng::with_seed(faults.seed);
        FaultState {
            inner: Mutex::new((faults, rng)),
        }
    }

    /// The faults in force.
    pub(crate) fn current(&self) -> Faults {
        self.lock().0.clone()
    }

    /// Replaces the faults and reseeds the RNG.
    pub(crate) fn replace(&self, faults: Faults) {
        let rng = fastrand::Rng::with_seed(faults.seed);
        *self.lock() = (faults, rng);
    }

    /// The latency to add before a storage request.
    pub(crate) fn latency(&self) -> Duration {
        let faults = &self.lock().0;
        match faults.latency_only {
            Some(_) => Duration::ZERO,
            None => Duration::from_millis(faults.latency_ms),
        }
    }

    /// The latency to add before a GraphQL request (`body`).
    pub(crate) fn latency_of(&self, body: &[u8]) -> Duration {
        let (ms, only) = {
            let faults = &self.lock().0;
            (faults.latency_ms, faults.latency_only.clone())
        };
        match only {
            Some(only) if !root_fields(body).contains(&only) => Duration::ZERO,
            _ => Duration::from_millis(ms),
        }
    }

    /// The upload throttle, if any.
    pub(crate) fn upload_rate(&self) -> Option<u64> {
        Some(self.lock().0.upload_bytes_per_sec).filter(|&r| r > 0)
    }

    /// Draws the faults that happen before a GraphQL request (`body`) is handled: 5xx first,
    /// then 429, then a refusal as invalid.
    pub(crate) fn draw_graphql(&self, body: &[u8]) -> Early {
        let mut guard = self.lock();
        let (faults, rng) = &mut *guard;
        let may_fail = faults
            .unavailable_only
            .as_deref()
            .is_none_or(|only| root_fields(body).iter().any(|f| f == only));
        if may_fail && draw(rng, faults.p_5xx) {
            return Early::Unavailable;
        }
        if draw(rng, faults.p_429) {
            return Early::Throttled(faults.retry_after_secs);
        }
        if draw(rng, faults.p_invalid) {
            return Early::Invalid;
        }
        Early::Proceed
    }

    /// Draws whether a storage request fails with 500.
    pub(crate) fn draw_storage_5xx(&self) -> bool {
        let mut guard = self.lock();
        let (faults, rng) = &mut *guard;
        faults.unavailable_only.is_none() && draw(rng, faults.p_5xx)
    }

    /// Draws whether a storage PUT is cut off halfway.
    pub(crate) fn draw_cut(&self) -> bool {
        let mut guard = self.lock();
        let (faults, rng) = &mut *guard;
        draw(rng, faults.p_cut)
    }

    /// Draws whether a performed mutation (with these root fields) loses its answer.
    pub(crate) fn draw_drop(&self, fields: &[String]) -> bool {
        let mut guard = self.lock();
        let (faults, rng) = &mut *guard;
        if let Some(only) = &faults.drop_only
            && !fields.iter().any(|f| f == only)
        {
            return false;
        }
        draw(rng, faults.p_drop)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Faults, fastrand::Rng)> {
        // A panic while holding this lock cannot leave the pair inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The root fields a GraphQL request body names (those of every operation in its document, e.g.
/// `createMultiCamTake`), so that `unavailable_only` picks requests by field and not by any
/// text in the body; none when the body is not a GraphQL request.
fn root_fields(body: &[u8]) -> Vec<String> {
    use apollo_compiler::ast::{Definition, Document, Selection};
    fn walk(selections: &[Selection], out: &mut Vec<String>) {
        for selection in selections {
            match selection {
                Selection::Field(field) => out.push(field.name.to_string()),
                Selection::InlineFragment(inline) => walk(&inline.selection_set, out),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let Some(query) = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("query")?.as_str().map(str::to_string))
    else {
        return Vec::new();
    };
    let doc = Document::parse(query, "request.graphql").unwrap_or_else(|partial| partial.partial);
    let mut fields = Vec::new();
    for definition in &doc.definitions {
        if let Definition::OperationDefinition(operation) = definition {
            walk(&operation.selection_set, &mut fields);
        }
    }
    fields
}

/// Draws one event of probability `p`; draws nothing from the RNG when `p` is 0, so unused faults
/// do not shift the sequence of the others.
fn draw(rng: &mut fastrand::Rng, p: f64) -> bool {
    p > 0.0 && rng.f64() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let faults = Faults {
            seed: 7,
            p_5xx: 0.5,
            ..Faults::default()
        };
        let a = FaultState::new(faults.clone());
        let b = FaultState::new(faults);
        let seq_a: Vec<_> = (0..50).map(|_| a.draw_graphql(b"{}")).collect();
        let seq_b: Vec<_> = (0..50).map(|_| b.draw_graphql(b"{}")).collect();
        assert_eq!(seq_a, seq_b);
        assert!(seq_a.contains(&Early::Unavailable) && seq_a.contains(&Early::Proceed));
    }

    #[test]
    fn unavailable_only_hits_the_named_field_and_no_upload() {
        let state = FaultState::new(Faults {
            p_5xx: 1.0,
            unavailable_only: Some("listTakes".into()),
            ..Faults::default()
        });
        let list = br#"{"query":"query ListTakes { listTakes(first: 50) { items { id } } }"}"#;
        let create = br#"{"query":"mutation { createSingleCamTake(sources: []) { id } }"}"#;
        assert_eq!(state.draw_graphql(list), Early::Unavailable);
        assert_eq!(state.draw_graphql(create), Early::Proceed);
        assert!(!state.draw_storage_5xx());
    }

    #[test]
    fn unavailable_only_matches_root_fields_not_any_text_of_the_body() {
        let state = FaultState::new(Faults {
            p_5xx: 1.0,
            unavailable_only: Some("client".into()),
            ..Faults::default()
        });
        let root = br#"{"query":"{ client { id } }"}"#;
        let nested = br#"{"query":"query($id: ID!) { getVolume(id: $id) { ... on HumanVolume { client { id } } } }","variables":{"id":"client"}}"#;
        assert_eq!(state.draw_graphql(root), Early::Unavailable);
        assert_eq!(state.draw_graphql(nested), Early::Proceed);
        assert_eq!(state.draw_graphql(b"not json"), Early::Proceed);
    }

    #[test]
    fn root_fields_are_read_from_every_operation() {
        let body = br#"{"query":"mutation create($s: [SourceInput!]) { createMultiCamTake(volumeId: \"v\", sources: $s) { id volume { ... on HumanVolume { id } } } } query q { ... { listVolumes { first } } }"}"#;
        assert_eq!(root_fields(body), ["createMultiCamTake", "listVolumes"]);
    }

    #[test]
    fn rejects_bad_probability() {
        let faults = Faults {
            p_drop: 1.5,
            ..Faults::default()
        };
        assert!(faults.validate().is_err());
    }
}
