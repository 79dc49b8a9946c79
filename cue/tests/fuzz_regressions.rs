//! Replays every input the fuzz target (`cue/fuzz`) once failed on: each must now run through
//! the engine without a panic, and the compiled validator must agree with unification.

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("the regression folder exists") {
        let path = entry.expect("readable entry").path();
        let bytes = std::fs::read(&path).expect("readable file");
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let name = path.display().to_string();
        let text = text.to_string();
        // A thread with a small stack, as a server's worker would have: no overflow allowed.
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || cue::testing::check_engine_consistency(&text))
            .expect("thread starts")
            .join()
            .unwrap_or_else(|_| panic!("{name} fails again"));
        count += 1;
    }
    assert!(count > 0, "no regression inputs found in {}", dir.display());
}
