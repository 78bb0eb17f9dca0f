//! lockdep-inspect: finds lockdep and other kernel debug reports in a
//! Linux console log.  See README.md.

pub mod classify;
pub mod line;
pub mod model;
pub mod parse;
pub mod report;
pub mod stats;

pub use model::{ChainEntry, Finding, Kind, Task};
pub use parse::parse_log;
