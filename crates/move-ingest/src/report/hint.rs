//! What a person can do about a failure.

/// What a person can do about a failure, from its reason.
pub fn hint(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("is empty") {
        "The file has no bytes. Copy or export the recording again, then run `move-ingest retry`."
    } else if r.contains("5 gib") {
        "One upload carries at most 5 GiB. Split the recording; the parts are picked up as new recordings."
    } else if r.contains("account's takes") {
        "The Move API would not list the account's takes, so the recording could not be checked for a take it already has. Run `move-ingest check`, then `move-ingest retry`."
    } else if r.contains("cannot read") || r.contains("permission denied") {
        "Make the file readable by the move-ingest user, then run `move-ingest retry`."
    } else if r.contains("gave up after") || r.contains("no answer") {
        "The network or the API kept failing. Once it works again, run `move-ingest retry`."
    } else if r.contains("refused") || r.contains("validation") {
        "The Move API refused it. Fix the file or the config as the reason says, then run `move-ingest retry`."
    } else {
        "Fix the cause named above, then run `move-ingest retry` to queue it again."
    }
}
