//! The warning when a watch path's filesystem has less than `watch.min_free_percent` free
//! (the free space is `fsutil::space`, the one the status page shows).

use std::path::Path;

/// The warning for a watch path whose filesystem has less than `min_percent` free, or `None`
/// (enough room, the check is off, or the filesystem cannot be read).
pub fn low_space(path: &Path, min_percent: u8) -> Option<String> {
    let (free, total) = crate::fsutil::space(path)?;
    low_space_message(path, free, total, min_percent)
}

fn low_space_message(path: &Path, free: u64, total: u64, min_percent: u8) -> Option<String> {
    if min_percent == 0 || total == 0 || free.saturating_mul(100) >= total * u64::from(min_percent)
    {
        return None;
    }
    Some(format!(
        "the filesystem of watch path {} has {:.1}% free ({} MiB of {} MiB), less than watch.min_free_percent = {min_percent}: recordings may fail to write; free space (after_take = \"move\" or \"delete\" removes recordings whose take exists)",
        path.display(),
        free as f64 * 100.0 / total as f64,
        free >> 20,
        total >> 20
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn warns_below_the_threshold_only() {
        let p = Path::new("/srv/captures");
        let msg = low_space_message(p, 5 << 20, 100 << 20, 10).unwrap();
        assert!(
            msg.contains("/srv/captures") && msg.contains("5.0% free"),
            "{msg}"
        );
        assert_eq!(low_space_message(p, 10 << 20, 100 << 20, 10), None);
        assert_eq!(
            low_space_message(p, 0, 100 << 20, 0),
            None,
            "0 turns it off"
        );
        assert!(
            low_space(Path::new("/"), 100).is_some(),
            "no disk is 100% free"
        );
    }
}
