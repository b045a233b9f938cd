//! Stage 1: the lexer turns source text into [`Token`]s.
//!
//! The language has few punctuation marks (`{ } ; , ->`), double-quoted strings, `#`
//! comments, and *words*: maximal runs of any other non-blank characters. Keywords, names,
//! permission names, paths, addresses, ports, numbers and durations are all words; the
//! parser decides what a word means by where it stands. So `/home/agent/work/**`,
//! `2001:db8::/32`, `1024-65535` and `30s` each lex as one word.

use crate::diagnostic::{Diagnostic, Span};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word (keyword, name, path, number, address...).
    Word,
    /// A double-quoted string; the token's text is its decoded value.
    Str,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `;`
    Semi,
    /// `,`
    Comma,
    /// `->`
    Arrow,
    /// End of the text.
    Eof,
}

impl TokenKind {
    /// How the kind is named in messages.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::Word => "a word",
            TokenKind::Str => "a string",
            TokenKind::LBrace => "`{`",
            TokenKind::RBrace => "`}`",
            TokenKind::Semi => "`;`",
            TokenKind::Comma => "`,`",
            TokenKind::Arrow => "`->`",
            TokenKind::Eof => "the end of the file",
        }
    }
}

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Its kind.
    pub kind: TokenKind,
    /// Where it is in the source.
    pub span: Span,
    /// The word, or the decoded string value; empty for punctuation.
    pub text: String,
    /// A line break (or the start of the text) lies between the previous token and this one.
    pub line_start: bool,
}

/// True for characters that end a word.
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '{' | '}' | ';' | ',' | '"' | '#' | '\'')
}

/// True when `text` lexes back as exactly one bare word with this text.
pub fn is_bare_word(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with("->")
        && !text.contains("->")
        && !text.chars().any(is_delimiter)
}

/// Splits `text` into tokens, ending with one [`TokenKind::Eof`]. Faults (unterminated
/// strings, bad escapes, stray characters) are added to `diags`; lexing goes on after them.
pub fn lex(text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut line_start = true;
    while let Some(&(start, c)) = chars.peek() {
        if c == '\n' {
            line_start = true;
            chars.next();
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            while let Some(&(_, c)) = chars.peek() {
                if c == '\n' {
                    break;
                }
                chars.next();
            }
            continue;
        }
        let punct = match c {
            '{' => Some(TokenKind::LBrace),
            '}' => Some(TokenKind::RBrace),
            ';' => Some(TokenKind::Semi),
            ',' => Some(TokenKind::Comma),
            _ => None,
        };
        if let Some(kind) = punct {
            chars.next();
            tokens.push(Token {
                kind,
                span: Span::new(start, start + 1),
                text: String::new(),
                line_start,
            });
            line_start = false;
            continue;
        }
        if text.get(start..).is_some_and(|rest| rest.starts_with("->")) {
            chars.next();
            chars.next();
            tokens.push(Token {
                kind: TokenKind::Arrow,
                span: Span::new(start, start + 2),
                text: String::new(),
                line_start,
            });
            line_start = false;
            continue;
        }
        if c == '"' {
            chars.next();
            let (value, end) = lex_string(text, start, &mut chars, diags);
            tokens.push(Token {
                kind: TokenKind::Str,
                span: Span::new(start, end),
                text: value,
                line_start,
            });
            line_start = false;
            continue;
        }
        if is_delimiter(c) {
            chars.next();
            let span = Span::new(start, start + c.len_utf8());
            let diag = if c == '\'' {
                Diagnostic::error(span, "unexpected `'`")
                    .with_help("strings are written in double quotes: \"...\"")
            } else {
                Diagnostic::error(span, format!("unexpected character {}", c.escape_debug()))
            };
            diags.push(diag);
            continue;
        }
        // A word: up to the next delimiter or `->`.
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if is_delimiter(c)
                || (i > start && text.get(i..).is_some_and(|rest| rest.starts_with("->")))
            {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        let word = text.get(start..end).unwrap_or("").to_string();
        tokens.push(Token {
            kind: TokenKind::Word,
            span: Span::new(start, end),
            text: word,
            line_start,
        });
        line_start = false;
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span::point(text.len()),
        text: String::new(),
        line_start: true,
    });
    tokens
}

/// Reads a string after its opening quote at `open`; returns its value and end offset.
fn lex_string(
    text: &str,
    open: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> (String, usize) {
    let mut value = String::new();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            '"' => {
                chars.next();
                return (value, i + 1);
            }
            '\n' => break,
            '\\' => {
                chars.next();
                let Some(&(j, e)) = chars.peek() else { break };
                chars.next();
                match e {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'u' => match lex_unicode_escape(text, chars) {
                        Some(ch) => value.push(ch),
                        None => {
                            let end = chars.peek().map_or(text.len(), |&(k, _)| k);
                            diags.push(
                                Diagnostic::error(Span::new(i, end), "invalid unicode escape")
                                    .with_help(
                                        "write \\u{HEX} with 1 to 6 hex digits naming a character",
                                    ),
                            );
                        }
                    },
                    _ => diags.push(
                        Diagnostic::error(
                            Span::new(i, j + e.len_utf8()),
                            format!("unknown escape `\\{}`", e.escape_debug()),
                        )
                        .with_help("valid escapes: \\\\ \\\" \\n \\t \\r \\u{HEX}"),
                    ),
                }
            }
            _ => {
                value.push(c);
                chars.next();
            }
        }
    }
    let end = chars.peek().map_or(text.len(), |&(i, _)| i);
    diags.push(
        Diagnostic::error(Span::new(open, open + 1), "unterminated string")
            .with_help("close the string with `\"` on the same line"),
    );
    (value, end)
}

/// Reads `{HEX}` after `\u`.
fn lex_unicode_escape(
    text: &str,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Option<char> {
    let &(open, c) = chars.peek()?;
    if c != '{' {
        return None;
    }
    chars.next();
    let mut digits = 0;
    while let Some(&(i, c)) = chars.peek() {
        if c == '}' {
            chars.next();
            let hex = text.get(open + 1..i)?;
            if digits == 0 || digits > 6 {
                return None;
            }
            return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
        }
        if !c.is_ascii_hexdigit() {
            return None;
        }
        digits += 1;
        chars.next();
    }
    None
}

/// Writes `value` as a bare word when it lexes back unchanged, else as a quoted string.
pub fn quote_if_needed(value: &str) -> String {
    if is_bare_word(value) {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String)> {
        let mut d = Vec::new();
        let t = lex(text, &mut d);
        assert!(d.is_empty(), "{d:?}");
        t.into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn words_punctuation_strings() {
        use TokenKind::*;
        assert_eq!(
            kinds("exec /a/b-c->x; # c\nallow net {connect,send} inet6 2001:db8::/32 port 1-2 \"a \\\"b\\\" \\u{e9}\""),
            vec![
                (Word, "exec".into()),
                (Word, "/a/b-c".into()),
                (Arrow, String::new()),
                (Word, "x".into()),
                (Semi, String::new()),
                (Word, "allow".into()),
                (Word, "net".into()),
                (LBrace, String::new()),
                (Word, "connect".into()),
                (Comma, String::new()),
                (Word, "send".into()),
                (RBrace, String::new()),
                (Word, "inet6".into()),
                (Word, "2001:db8::/32".into()),
                (Word, "port".into()),
                (Word, "1-2".into()),
                (Str, "a \"b\" é".into()),
                (Eof, String::new()),
            ]
        );
    }

    #[test]
    fn errors_do_not_stop_lexing() {
        let mut d = Vec::new();
        let t = lex("a ' b \"x\\q\" \"open\nc", &mut d);
        assert_eq!(d.len(), 3, "{d:?}");
        let words: Vec<_> = t
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(words, ["a", "b", "c"]);
    }

    #[test]
    fn quoting_round_trips() {
        for v in [
            "/plain/path",
            "/with space",
            "/a;b",
            "/q\"uote",
            "/back\\slash",
            "/t\tab",
            "/a->b",
            "/é",
            "/x\u{1}",
        ] {
            let q = quote_if_needed(v);
            let mut d = Vec::new();
            let t = lex(&q, &mut d);
            assert!(d.is_empty());
            assert_eq!(t.len(), 2, "{q}");
            assert_eq!(t.first().map(|t| t.text.as_str()), Some(v));
        }
    }
}
