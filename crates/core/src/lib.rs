//! Runlens' shared vocabulary: the values that cross between the tracking client, the desktop
//! shell, the command line and the wasm frontend, plus the pure logic over them.
//!
//! **This crate does no I/O.** It knows nothing of Tauri, of MLflow's storage formats or of
//! plotters, and it builds for `wasm32-unknown-unknown` as well as natively.

pub mod compare;
pub mod connection;
pub mod display;
pub mod error;
pub mod filter;
pub mod ipc;
pub mod markdown;
pub mod metric;
pub mod model;
pub mod order;
pub mod page;
pub mod preview;
pub mod project;
pub mod registry;
pub mod request;
pub mod review;
pub mod sampling;
pub mod tables;
pub mod textdiff;
pub mod traces;
pub mod tree;

pub use error::{ApiError, ErrorCode};
pub use metric::MetricValue;
pub use model::*;
pub use page::{Page, PageRequest};
