//! The examples in docs/policy-language.md compile as shown.

use std::path::Path;

/// The code blocks of a Markdown text that are not marked with a language.
fn plain_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```") => current = Some(String::new()),
            (None, l) if l.starts_with("```") => current = Some("\u{0}skip".into()),
            (Some(_), "```") => {
                if let Some(block) = current.take() {
                    if !block.starts_with('\u{0}') {
                        blocks.push(block);
                    }
                }
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn first_policy_and_statement_examples_compile() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/policy-language.md"),
    )
    .expect("docs/policy-language.md");
    let blocks = plain_blocks(&doc);
    let first = blocks.first().expect("a first example");
    tcp_policy_compiler::compile_source("doc", first).unwrap_or_else(|e| {
        panic!(
            "{}",
            tcp_policy_compiler::render_diagnostics("doc", first, &e)
        )
    });
    // Statement examples: domain-level lines go into a domain; names they use but do not
    // declare are declared around them.
    let mut checked = 0;
    for block in &blocks {
        let lines: Vec<&str> = block
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        let starts = |l: &str, keys: &[&str]| keys.iter().any(|k| l.starts_with(k));
        let is_rules = lines
            .iter()
            .all(|l| starts(l, &["allow ", "deny ", "behaviour ", "behavior ", "exec "]));
        let is_top = lines.iter().all(|l| {
            starts(
                l,
                &["mode ", "heartbeat ", "type ", "exec ", "domain ", " ", "}"],
            )
        });
        let mut text = if is_rules {
            format!("domain example_ {{\n{block}}}\n")
        } else if is_top && !block.contains("error:") {
            block.clone()
        } else {
            continue;
        };
        let mut result = tcp_policy_compiler::compile_source("doc", &text);
        for _ in 0..4 {
            let Err(errors) = &result else { break };
            let mut extra = String::new();
            for e in errors {
                for (kind, decl) in [
                    ("undefined type `", "type"),
                    ("undefined domain `", "domain"),
                    ("undefined quarantine domain `", "domain"),
                ] {
                    if let Some(name) = e
                        .message
                        .strip_prefix(kind)
                        .and_then(|r| r.strip_suffix('`'))
                    {
                        let body = if decl == "type" { ";" } else { " {}" };
                        extra.push_str(&format!("{decl} {name}{body}\n"));
                    }
                }
            }
            if extra.is_empty() {
                break;
            }
            text.push_str(&extra);
            result = tcp_policy_compiler::compile_source("doc", &text);
        }
        if let Err(e) = result {
            panic!(
                "a doc example does not compile:\n{}",
                tcp_policy_compiler::render_diagnostics("doc", &text, &e)
            );
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} doc examples checked");
}
