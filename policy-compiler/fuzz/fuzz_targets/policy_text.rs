//! Fuzz target for the policy text front end: lexer, parser, lowering, diagnostics
//! rendering, decompiler, and the engine's encoder and decoder behind them.
//!
//! Property (`tcp_policy_compiler::check_round_trip`): nothing panics on any input; when
//! the text compiles, its decompiled text compiles to the same policy, that policy encodes,
//! decodes back unchanged, and recompiling gives identical bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(violation) = tcp_policy_compiler::check_round_trip(text) {
            panic!("round-trip property violated: {violation}");
        }
    }
});
