//! The TCP LSM policy language and its compiler.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! text ─lexer.rs─▶ tokens ─parser.rs─▶ ast.rs (spans) ─lower.rs (+ values.rs)─▶ model::Policy
//!      ─Policy::canonicalize─▶ binary.rs (engine encode) ─▶ policy.bin
//! policy.bin ─binary.rs (engine decode)─▶ model::Policy ─decompile.rs─▶ canonical text
//! ```
//!
//! Every stage reports [`Diagnostic`]s and keeps going, so one run reports every fault;
//! [`render_diagnostics`] shows them as `file:line:col: error: message` with the source line
//! and a caret under the fault. [`apply_rule_args`] is the seed's command-line rule form on
//! a model, [`synthetic_policy`] makes large policies for benchmarks. The language is
//! described in `docs/policy-language.md`.

pub mod ast;
pub mod binary;
pub mod cli;
pub mod decompile;
pub mod diagnostic;
pub mod hostpaths;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod rule_args;
pub mod suggest;
pub mod synthetic;
pub mod values;

pub use binary::{decode_policy, encode_policy, policy_digest};
pub use decompile::decompile;
pub use diagnostic::{render_diagnostics, Diagnostic, Severity, SourceSet, Span};
pub use rule_args::apply_rule_args;
pub use synthetic::synthetic_policy;
pub use tcp_lsm_engine::model::Policy;

/// The result of checking a source text: the policy when there is no error, and every
/// diagnostic (errors and warnings) in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The canonical policy, when no error was found.
    pub policy: Option<Policy>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when some diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Runs lexer, parser and lowering on `text`, collecting every diagnostic.
pub fn check_source(_file_name: &str, text: &str) -> Checked {
    let mut diags = Vec::new();
    let tokens = lexer::lex(text, &mut diags);
    let file = parser::parse(&tokens, &mut diags);
    let policy = lower::lower(&file, &mut diags);
    diags.sort_by_key(|d| {
        d.span
            .map_or((usize::MAX, usize::MAX), |s| (s.start, s.end))
    });
    let ok = !diags.iter().any(Diagnostic::is_error);
    Checked {
        policy: ok.then_some(policy),
        diagnostics: diags,
    }
}

/// [`check_source`], plus the warnings that need this machine's file system: `exec` rules
/// whose path is a symlink here or not the resolved path ([`hostpaths`]). The compiler's
/// commands use this; the rest of the checks are the same everywhere.
pub fn check_source_on_host(file_name: &str, text: &str) -> Checked {
    let mut checked = check_source(file_name, text);
    checked.diagnostics.extend(hostpaths::exec_path_warnings(
        text,
        &hostpaths::resolve_on_host,
    ));
    checked.diagnostics.sort_by_key(|d| {
        d.span
            .map_or((usize::MAX, usize::MAX), |s| (s.start, s.end))
    });
    checked
}

/// Compiles policy text to the canonical policy model. On failure returns every error
/// (warnings are dropped; see [`check_source`] to get them).
pub fn compile_source(file_name: &str, text: &str) -> Result<Policy, Vec<Diagnostic>> {
    let checked = check_source(file_name, text);
    match checked.policy {
        Some(policy) => Ok(policy),
        None => Err(checked
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect()),
    }
}

/// Compiles policy text to `policy.bin` bytes: [`compile_source`], then the engine's encoder.
/// The same text always gives the same bytes.
pub fn compile_to_bytes(file_name: &str, text: &str) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let policy = compile_source(file_name, text)?;
    encode_policy(&policy).map_err(|d| vec![d])
}

/// The property the fuzz target checks, also run on its corpus by `cargo test`: compiling
/// `text` never panics, and when it succeeds, the decompiled text compiles to the same
/// policy, encoding succeeds, decoding gives the policy back and recompiling gives the same
/// bytes. Returns a description of the first violation.
pub fn check_round_trip(text: &str) -> Result<(), String> {
    let checked = check_source("fuzz", text);
    // Rendering must cope with every diagnostic the front end produces.
    let _ = render_diagnostics("fuzz", text, &checked.diagnostics);
    let Some(policy) = checked.policy else {
        return Ok(());
    };
    let canonical = decompile(&policy);
    let again = compile_source("decompiled", &canonical)
        .map_err(|e| format!("decompiled text does not compile: {e:?}\n{canonical}"))?;
    if again != policy {
        return Err(format!(
            "round trip changed the policy:\n{policy:?}\n{again:?}\n{canonical}"
        ));
    }
    let bytes = encode_policy(&policy)
        .map_err(|d| format!("compiled policy does not encode: {}", d.message))?;
    let decoded = decode_policy(&bytes)?;
    if decoded != policy {
        return Err(format!("decode(encode(p)) != p:\n{policy:?}\n{decoded:?}"));
    }
    let bytes_again = encode_policy(&again).map_err(|d| d.message)?;
    if bytes_again != bytes {
        return Err("recompiled bytes differ".into());
    }
    Ok(())
}
