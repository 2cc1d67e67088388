//! Finding recordings: the folder walk (`scan`), inotify hints (`watch`), when a file holds
//! still (`settle`), pairing a video with its `.move` (`pairing`), where an event's path sits
//! (`place`), and what a user should know about the folders (`access`, `disk`, `notices`).

pub(crate) mod access;
pub(crate) mod disk;
pub mod mp4;
pub(crate) mod notices;
pub(crate) mod pairing;
pub(crate) mod place;
pub(crate) mod presence;
pub(crate) mod rig;
pub(crate) mod rig_time;
pub mod scan;
pub(crate) mod settle;
pub(crate) mod watch;
