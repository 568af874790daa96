//! The MLflow client of Runlens: one async API ([`Tracking`]) over MLflow's SQLite store, its
//! `mlruns/` file store and its REST tracking server.
//!
//! **Every read and write of MLflow data goes through [`Tracking`]**; the stores are private
//! details behind the [`Store`] trait. Local stores do their blocking work on Tokio's blocking
//! pool, so callers never stall an async runtime.

pub mod artifacts;
mod compare;
pub mod connect;
pub mod demo;
pub mod diagnose;
mod edit;
pub mod error;
pub mod file;
pub mod preview;
mod registry_ops;
pub mod rest;
pub mod sqlite;
pub mod store;
pub mod tables;
pub mod traces;
pub mod uri;
pub mod validate;

mod facade;

pub use connect::{Auth, ConnectOptions, Secret};
pub use error::{Result, TrackingError};
pub use facade::{Table, Tracking};
pub use store::Store;
pub use uri::{parse_location, Location};

/// Milliseconds since the Unix epoch: MLflow's unit for every time.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
