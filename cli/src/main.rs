//! The `cuemesh` command line.

fn main() {}
