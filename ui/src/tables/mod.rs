//! LLM tables (issue #8): a run's tables ([`run_page`]), the grid that shows one table a window
//! of rows at a time ([`grid`]), one table across runs ([`compare`]), and the viewers of one
//! whole value ([`value`]) that the trace page shares.

pub mod compare;
pub mod grid;
pub mod run_page;
pub mod value;

pub use compare::CompareTablesPage;
pub use run_page::{RunTablesPage, TablesCard};
