//! Review reports: what a review's items show, read through the tracking facade ([`gather`]),
//! as one self-contained HTML page ([`html::render`], pure), and the file names its exports use.
//!
//! - `data`: the report's plain data, one entry per item (its content, or why it is missing).
//! - `gather`: the facade calls that fill it. `charts`: chart items as `runlens-charts` figures.
//! - `html`: the page, one module per item kind. `markup`: the only way it writes HTML (markup
//!   from the source only, every value escaped). `svg`: charts rebuilt from an allow-list before
//!   they are inlined. `format`: times (UTC), durations, values. `files`: safe file names.

pub mod charts;
pub mod data;
pub mod files;
pub mod format;
pub mod gather;
pub mod html;
pub mod markup;
pub mod svg;

pub use data::{ChartsData, ItemContent, ItemData, ReportData};
pub use gather::gather;
pub use html::{render, ReportContext};
