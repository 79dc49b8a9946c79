//! One test per mapping rule: a small schema, the exported schema object.
