//! Fuzzes the whole engine: any bytes, split at the first NUL into a CUE schema and a JSON
//! document, are parsed, loaded, and validated both by the compiled validator and by
//! unification. Nothing may panic, overflow the stack or hang, and both ways must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        cue::testing::check_engine_consistency(text);
    }
});
