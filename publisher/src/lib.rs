//! The publisher: pinned validation and CloudEvents on JetStream (issue 6 builds it here).
