//! Finding recordings: the folder walk (`scan`), inotify hints (`watch`), when a file holds
//! still (`settle`), pairing a video with its `.move` (`pairing`), where an event's path sits
//! (`place`), and what a user should know about the folders (`access`, `disk`, `notices`).

pub mod access;
pub mod disk;
pub mod notices;
pub mod pairing;
pub mod place;
pub mod rig;
pub mod scan;
pub mod settle;
pub mod watch;
