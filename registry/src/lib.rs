//! The governance repository model and registry service (issue 4 and 5 build it here).

pub mod lint;
