//! The registry tests' own fixtures (the identity source, the service fixture); what every
//! crate's tests share comes from `cuemesh_testkit`.

#![allow(dead_code, unreachable_pub, unused_imports)]

pub mod service;

pub use cuemesh_testkit::{report, Change, Server, TestRepository, MODULE};

/// The identity source of the seed, with `#Identity`'s body given.
pub fn identity(body: &str) -> String {
    format!(
        "package identity\n\nsource: {{\n\tid:          \"MySource\"\n\towner:       \"@acme/identity\"\n\tdescription: \"People known to the identity service.\"\n}}\n\nevents: {{\n\t// A person was registered.\n\t\"MySource:newPerson\": #Identity @compat(FULL)\n}}\n\n#Identity: {{\n{body}}}\n"
    )
}
