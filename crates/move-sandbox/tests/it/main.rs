//! The sandbox's own tests: it behaves like the Move UGC API, and its SDL is a faithful subset
//! of the real schema.

mod sandbox;
mod schema;
mod sdk;
mod util;
