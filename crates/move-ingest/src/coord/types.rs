//! What the shared rows hold, as the rest of the program sees them: each camera's file of a rig
//! recording, its claim with the formation, intents and results, what a claim attempt got.

/// One camera's file as the shared rows hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedCamera {
    pub device: String,
    /// The machine whose camera it is.
    pub node: String,
    pub file_id: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub format: String,
    pub mtime_ms: i64,
    /// When it joined (the node's clock): the first starts the `wait_secs` clock.
    pub joined_ms: i64,
    /// `group = "time"`: the camera's recording interval (else `None`).
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// The claim on a rig recording and what its claimers recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedClaim {
    pub claimed_by: Option<String>,
    /// How long the lease still holds (negative: lapsed), by the database's clock.
    pub lease_left_ms: Option<i64>,
    /// Once formed: the cameras that never came.
    pub missing: Option<Vec<String>>,
    /// `createVolumeWithHuman` sent: first and latest (ms).
    pub volume_requested: Option<(i64, i64)>,
    pub volume_id: Option<String>,
    pub volume_state: Option<String>,
    /// `createMultiCamTake` sent: first and latest (ms), on which volume.
    pub take_requested: Option<(i64, i64)>,
    pub take_volume_id: Option<String>,
    pub take_id: Option<String>,
}

/// A rig recording as the shared rows hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedRecording {
    /// `RIG/GROUP`, as in each node's state.
    pub key: String,
    pub rig: String,
    pub calibration: bool,
    pub cameras: Vec<SharedCamera>,
    pub claim: SharedClaim,
}

/// What a claim attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This node holds it now; `from`: the node whose lapsed claim it took over.
    Mine { from: Option<String> },
    /// Another node holds it for `left_ms` more.
    Held { by: String, left_ms: i64 },
}

/// A request about to be sent, recorded before it is (with the formation it is made of).
#[derive(Debug, Clone)]
pub enum Intent {
    Volume { at_ms: i64 },
    Take { at_ms: i64, volume_id: String },
}

/// What a node knows happened: recorded by any node, never undone.
#[derive(Debug, Clone, Default)]
pub struct Outcomes {
    /// Requests sent: first and latest (ms).
    pub volume_requested: Option<(i64, i64)>,
    pub take_requested: Option<(i64, i64)>,
    pub missing: Option<Vec<String>>,
    pub volume_id: Option<String>,
    pub volume_state: Option<String>,
    pub take_id: Option<String>,
    pub take_volume_id: Option<String>,
}
