//! Replays the fuzz target's checked-in corpus (`fuzz/corpus/policy_text/`) through the
//! same property the fuzzer checks, so `cargo test` on stable Rust guards it too.

use std::fs;
use std::path::Path;

#[test]
fn fuzz_corpus_keeps_the_round_trip_property() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/policy_text");
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 20, "the seed corpus is missing");
    let mut compiled = 0;
    for path in &entries {
        let data = fs::read(path).expect("corpus file");
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Err(violation) = tcp_policy_compiler::check_round_trip(text) {
            panic!("{}: {violation}", path.display());
        }
        compiled += usize::from(tcp_policy_compiler::compile_source("corpus", text).is_ok());
    }
    assert!(compiled >= 10, "only {compiled} corpus entries compile");
}
