//! The integration tests: one binary, one module per area, shared fixtures in `util`.

mod sandbox;
mod schema;
mod util;
