//! Avro schemas to CUE (see the module ).
