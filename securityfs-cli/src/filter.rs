//! The `tcp-monitor --filter` language (docs/cli.md):
//!
//! ```text
//! EXPR  := OR
//! OR    := AND ('or' AND)*
//! AND   := TERM ('and' TERM)*
//! TERM  := '(' EXPR ')' | FIELD ('=' | '!=') VALUE
//! ```
//!
//! `and` binds tighter than `or`. FIELD is one of the event fields ([`Field`]). VALUE is a
//! bare word (no white space, no parentheses) written as in the `events` file (`\xHH`
//! escapes, `-` for an empty value), or a double-quoted string in which `\"` and `\\` are
//! the only escapes. `=` is string equality, except for `perms`, where the event must hold
//! every permission named (comma separated); `!=` is its negation.

use std::fmt;

use tcp_lsm_engine::event::unescape;
use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::perm::Class;

/// Deepest nesting of parentheses accepted (bounds the parser's recursion).
pub const MAX_DEPTH: usize = 64;

/// An event field that a filter can test, named as in the `events` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Sequence number.
    Seq,
    /// Nanoseconds since boot.
    Time,
    /// The hook that decided.
    Op,
    /// The permission class.
    Class,
    /// The permissions asked for, comma separated.
    Perms,
    /// `allow` or `deny`.
    Decision,
    /// `monitor`, `alert` or `enforce`.
    Mode,
    /// The subject's domain.
    Domain,
    /// The object.
    Object,
    /// Thread id.
    Pid,
    /// Command name.
    Comm,
    /// The error returned (or that enforce mode would return).
    Errno,
}

impl Field {
    /// Every field, in the order of the `events` line.
    pub const ALL: [Field; 12] = [
        Field::Seq,
        Field::Time,
        Field::Op,
        Field::Class,
        Field::Perms,
        Field::Decision,
        Field::Mode,
        Field::Domain,
        Field::Object,
        Field::Pid,
        Field::Comm,
        Field::Errno,
    ];

    /// The name in `events` lines and filters.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Seq => "seq",
            Field::Time => "time",
            Field::Op => "op",
            Field::Class => "class",
            Field::Perms => "perms",
            Field::Decision => "decision",
            Field::Mode => "mode",
            Field::Domain => "domain",
            Field::Object => "object",
            Field::Pid => "pid",
            Field::Comm => "comm",
            Field::Errno => "errno",
        }
    }

    /// The field called `name`.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The values the field can take, when they form a closed set (checked at parse time
    /// so that a typo such as `decision=denied` is an error rather than a silent no-match).
    fn closed_values(self) -> Option<Vec<&'static str>> {
        match self {
            Field::Decision => Some(vec!["allow", "deny"]),
            Field::Mode => Some(Mode::ALL.iter().map(|m| m.name()).collect()),
            Field::Class => Some(Class::ALL.iter().map(|c| c.name()).collect()),
            _ => None,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed filter expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// True when any operand is (two or more operands).
    Or(Vec<Expr>),
    /// True when every operand is (two or more operands).
    And(Vec<Expr>),
    /// `FIELD = VALUE` (`equal`) or `FIELD != VALUE`.
    Compare {
        /// The field tested.
        field: Field,
        /// `=` rather than `!=`.
        equal: bool,
        /// The value, unescaped.
        value: String,
    },
}

impl Expr {
    /// Whether an event with `fields` (name, unescaped value) satisfies the expression.
    /// A field the event lacks equals nothing.
    pub fn matches(&self, fields: &[(String, String)]) -> bool {
        match self {
            Expr::Or(operands) => operands.iter().any(|e| e.matches(fields)),
            Expr::And(operands) => operands.iter().all(|e| e.matches(fields)),
            Expr::Compare {
                field,
                equal,
                value,
            } => {
                let found = fields
                    .iter()
                    .find(|(name, _)| name == field.name())
                    .is_some_and(|(_, actual)| match field {
                        Field::Perms => perms_contain(actual, value),
                        _ => actual == value,
                    });
                found == *equal
            }
        }
    }
}

/// Whether the comma-separated permissions `actual` hold every permission of `wanted`
/// (an empty `wanted` matches only an empty `actual`).
fn perms_contain(actual: &str, wanted: &str) -> bool {
    if wanted.is_empty() {
        return actual.is_empty();
    }
    wanted.split(',').all(|w| actual.split(',').any(|a| a == w))
}

/// A filter given with `--filter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    expr: Expr,
}

impl Filter {
    /// Parses a filter expression.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let mut parser = Parser { text, pos: 0 };
        parser.skip_space();
        if parser.peek().is_none() {
            return Err(parser.error_at(0, "the filter is empty".into()));
        }
        let expr = parser.or(0)?;
        parser.skip_space();
        match parser.peek() {
            None => Ok(Filter { expr }),
            Some(')') => Err(parser.error("')' without a matching '('".into())),
            Some(_) => Err(parser.error(format!(
                "expected 'and', 'or' or the end of the filter, found {}",
                parser.describe_next()
            ))),
        }
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether an event with `fields` (name, unescaped value) passes the filter.
    pub fn matches(&self, fields: &[(String, String)]) -> bool {
        self.expr.matches(fields)
    }
}

/// A malformed filter: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// Byte offset in the filter text.
    pub offset: usize,
    /// Column (in characters, from 1) of the fault.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl FilterError {
    /// The error, the filter text and a caret under the fault, on three lines (no final
    /// newline).
    pub fn render(&self, text: &str) -> String {
        let shown: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!(
            "{self}\n  {shown}\n  {}^",
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for FilterError {}

/// A recursive-descent parser over the filter text; `pos` is a byte offset on a character
/// boundary.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

/// Characters that end a field name.
fn ends_field(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '=' | '!' | '"')
}

/// Characters that end a bare value.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')')
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// Consumes characters while `keep` holds; returns them.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn column(&self, offset: usize) -> usize {
        self.text.get(..offset).map_or(0, |s| s.chars().count()) + 1
    }

    fn error_at(&self, offset: usize, message: String) -> FilterError {
        FilterError {
            offset,
            column: self.column(offset),
            message,
        }
    }

    fn error(&self, message: String) -> FilterError {
        self.error_at(self.pos, message)
    }

    /// The next token, for messages.
    fn describe_next(&self) -> String {
        match self.peek() {
            None => "the end of the filter".into(),
            Some(c @ ('(' | ')' | '=' | '"')) => format!("'{c}'"),
            Some(_) => {
                let word: String = self
                    .rest()
                    .chars()
                    .take_while(|c| !ends_word(*c))
                    .take(32)
                    .collect();
                format!("{word:?}")
            }
        }
    }

    /// Consumes keyword `kw` (`and`, `or`) if it comes next as a whole word.
    fn keyword(&mut self, kw: &str) -> bool {
        let Some(after) = self.rest().strip_prefix(kw) else {
            return false;
        };
        if after
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '(')
        {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut operands = vec![self.and(depth)?];
        loop {
            self.skip_space();
            if !self.keyword("or") {
                break;
            }
            operands.push(self.and(depth)?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::Or(operands)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut operands = vec![self.term(depth)?];
        loop {
            self.skip_space();
            if !self.keyword("and") {
                break;
            }
            operands.push(self.term(depth)?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::And(operands)
        })
    }

    fn term(&mut self, depth: usize) -> Result<Expr, FilterError> {
        self.skip_space();
        let start = self.pos;
        match self.peek() {
            Some('(') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error(format!("parentheses nested deeper than {MAX_DEPTH}")));
                }
                self.bump();
                let expr = self.or(depth + 1)?;
                self.skip_space();
                if self.peek() == Some(')') {
                    self.bump();
                    Ok(expr)
                } else {
                    Err(self.error(format!(
                        "expected 'and', 'or' or ')' to close the '(' at column {}, found {}",
                        self.column(start),
                        self.describe_next()
                    )))
                }
            }
            None | Some(')' | '=' | '!' | '"') => Err(self.error(format!(
                "expected a field name or '(', found {}",
                self.describe_next()
            ))),
            Some(_) => self.comparison(),
        }
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let start = self.pos;
        let name = self.take_while(|c| !ends_field(c));
        let field = match Field::from_name(name) {
            Some(field) => field,
            None if name == "and" || name == "or" => {
                return Err(self.error_at(
                    start,
                    format!("expected a field name or '(', found {name:?}"),
                ))
            }
            None => {
                let valid: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                return Err(self.error_at(
                    start,
                    format!(
                        "unknown field {name:?}; the fields are {}",
                        valid.join(", ")
                    ),
                ));
            }
        };
        self.skip_space();
        let equal = if self.rest().starts_with("!=") {
            self.pos += 2;
            false
        } else if self.peek() == Some('=') {
            self.pos += 1;
            true
        } else {
            return Err(self.error(format!(
                "expected '=' or '!=' after {field}, found {}",
                self.describe_next()
            )));
        };
        self.skip_space();
        let value_at = self.pos;
        let value = self.value(field)?;
        if let Some(allowed) = field.closed_values() {
            if !allowed.contains(&value.as_str()) {
                return Err(self.error_at(
                    value_at,
                    format!("{field} is one of {}, not {value:?}", allowed.join(", ")),
                ));
            }
        }
        Ok(Expr::Compare {
            field,
            equal,
            value,
        })
    }

    fn value(&mut self, field: Field) -> Result<String, FilterError> {
        let start = self.pos;
        match self.peek() {
            Some('"') => {
                self.bump();
                let mut value = String::new();
                loop {
                    let at = self.pos;
                    match self.bump() {
                        None => {
                            return Err(self.error_at(start, "unterminated quoted value".into()))
                        }
                        Some('"') => return Ok(value),
                        Some('\\') => {
                            match self.bump() {
                                Some(c @ ('"' | '\\')) => value.push(c),
                                _ => return Err(self.error_at(
                                    at,
                                    "bad escape in a quoted value: only \\\" and \\\\ are escapes"
                                        .into(),
                                )),
                            }
                        }
                        Some(c) => value.push(c),
                    }
                }
            }
            Some(c) if !ends_word(c) => {
                let word = self.take_while(|c| !ends_word(c));
                unescape(word).map_err(|_| {
                    self.error_at(
                        start,
                        format!(
                            "bad escape in value {word:?}: a bare value writes bytes as \\xHH \
                             (two hex digits); quote it to use a literal backslash"
                        ),
                    )
                })
            }
            _ => Err(self.error(format!(
                "expected a value after '{field}=', found {}",
                self.describe_next()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn sample() -> Vec<(String, String)> {
        event(&[
            ("seq", "7"),
            ("time", "1234"),
            ("op", "file_open"),
            ("class", "file"),
            ("perms", "read,write"),
            ("decision", "deny"),
            ("mode", "enforce"),
            ("domain", "agent"),
            ("object", "/tmp/a b"),
            ("pid", "42"),
            ("comm", "cat"),
            ("errno", "EACCES"),
        ])
    }

    fn cmp(field: Field, equal: bool, value: &str) -> Expr {
        Expr::Compare {
            field,
            equal,
            value: value.into(),
        }
    }

    fn parse(text: &str) -> Expr {
        Filter::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .expr
    }

    fn matches(text: &str, fields: &[(String, String)]) -> bool {
        Filter::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .matches(fields)
    }

    fn error(text: &str) -> FilterError {
        Filter::parse(text).expect_err(text)
    }

    #[test]
    fn parses_a_comparison() {
        assert_eq!(parse("decision=deny"), cmp(Field::Decision, true, "deny"));
        assert_eq!(
            parse("  domain != agent "),
            cmp(Field::Domain, false, "agent")
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            parse("domain=a or domain=b and class=net"),
            Expr::Or(vec![
                cmp(Field::Domain, true, "a"),
                Expr::And(vec![
                    cmp(Field::Domain, true, "b"),
                    cmp(Field::Class, true, "net")
                ]),
            ])
        );
        assert_eq!(
            parse("domain=a and domain=b or class=net"),
            Expr::Or(vec![
                Expr::And(vec![
                    cmp(Field::Domain, true, "a"),
                    cmp(Field::Domain, true, "b")
                ]),
                cmp(Field::Class, true, "net"),
            ])
        );
    }

    #[test]
    fn parentheses_group() {
        assert_eq!(
            parse("class=net and (domain=agent or domain=other)"),
            Expr::And(vec![
                cmp(Field::Class, true, "net"),
                Expr::Or(vec![
                    cmp(Field::Domain, true, "agent"),
                    cmp(Field::Domain, true, "other")
                ]),
            ])
        );
        assert_eq!(parse("((pid=1))"), cmp(Field::Pid, true, "1"));
        assert_eq!(
            parse("(pid=1)and(pid=2)"),
            Expr::And(vec![cmp(Field::Pid, true, "1"), cmp(Field::Pid, true, "2")])
        );
    }

    #[test]
    fn evaluates_precedence_and_parentheses() {
        let e = sample();
        assert!(matches("class=net and domain=x or decision=deny", &e));
        assert!(!matches("class=net and (domain=x or decision=deny)", &e));
        assert!(matches("class=file and (domain=x or decision=deny)", &e));
        assert!(!matches("domain=agent and comm=ls", &e));
        assert!(matches("domain=nobody or comm=cat", &e));
    }

    #[test]
    fn not_equal_negates() {
        let e = sample();
        assert!(matches("comm!=ls", &e));
        assert!(!matches("comm!=cat", &e));
        assert!(!matches("perms!=write", &e));
        assert!(matches("perms!=exec", &e));
    }

    #[test]
    fn perms_match_by_membership() {
        let e = sample();
        assert!(matches("perms=write", &e));
        assert!(matches("perms=read", &e));
        assert!(matches("perms=write,read", &e));
        assert!(!matches("perms=wri", &e));
        assert!(!matches("perms=read,exec", &e));
        assert!(!matches("perms=-", &e));
        assert!(matches("perms=-", &event(&[("perms", "")])));
        // Other fields compare whole strings.
        assert!(!matches("op=file", &e));
        assert!(!matches("comm=c", &e));
    }

    #[test]
    fn quoted_values_and_escapes() {
        let e = sample();
        assert!(matches("object=\"/tmp/a b\"", &e));
        assert!(matches("object=/tmp/a\\x20b", &e));
        assert_eq!(
            parse(r#"object="say \"hi\" \\ (x)""#),
            cmp(Field::Object, true, r#"say "hi" \ (x)"#)
        );
        assert_eq!(parse(r#"object="""#), cmp(Field::Object, true, ""));
        assert_eq!(parse("object=-"), cmp(Field::Object, true, ""));
        assert_eq!(parse("object=\\x2d"), cmp(Field::Object, true, "-"));
        assert_eq!(parse("object=a=b!c"), cmp(Field::Object, true, "a=b!c"));
        // Keywords are plain values after '='.
        assert_eq!(parse("domain=and"), cmp(Field::Domain, true, "and"));
    }

    #[test]
    fn missing_fields_equal_nothing() {
        let e = event(&[("seq", "1")]);
        assert!(!matches("domain=agent", &e));
        assert!(matches("domain!=agent", &e));
    }

    #[test]
    fn unknown_field_lists_the_valid_ones() {
        let err = error("decision=deny and colour=red");
        assert_eq!(err.column, 19);
        assert!(err.message.contains("unknown field \"colour\""), "{err}");
        for field in Field::ALL {
            assert!(err.message.contains(field.name()), "{err}");
        }
    }

    #[test]
    fn errors_name_their_position() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty"),
            ("   ", 1, "empty"),
            ("decision", 9, "expected '=' or '!='"),
            ("decision deny", 10, "expected '=' or '!='"),
            ("decision=", 10, "expected a value"),
            ("decision= )", 11, "expected a value"),
            ("decision=deny and", 18, "expected a field name"),
            (
                "decision=deny or or class=net",
                18,
                "expected a field name or '(', found \"or\"",
            ),
            (
                "decision=deny class=net",
                15,
                "expected 'and', 'or' or the end",
            ),
            ("(decision=deny", 15, "')' to close the '(' at column 1"),
            ("decision=deny)", 14, "')' without a matching '('"),
            ("()", 2, "expected a field name"),
            ("object=\"abc", 8, "unterminated"),
            ("object=\"a\\nb\"", 10, "bad escape"),
            ("object=a\\b", 8, "bad escape"),
            ("decision=denied", 10, "decision is one of allow, deny"),
            ("mode!=strict", 7, "mode is one of monitor, alert, enforce"),
            ("class=socket", 7, "class is one of file, net"),
            ("=deny", 1, "expected a field name"),
            ("\u{e9}t\u{e9}=1", 1, "unknown field"),
            ("comm=\u{e9} x=1", 8, "expected 'and', 'or' or the end"),
        ];
        for (text, column, message) in cases {
            let err = error(text);
            assert_eq!(err.column, *column, "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}pid=1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(error(&deep).message.contains("nested deeper"));
        let ok = format!("{}pid=1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse(&ok), cmp(Field::Pid, true, "1"));
    }

    #[test]
    fn render_points_at_the_fault() {
        let text = "class=net and (domain=agent";
        let err = error(text);
        let shown = err.render(text);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 3, "{shown}");
        assert_eq!(lines.get(1).copied(), Some("  class=net and (domain=agent"));
        assert_eq!(lines.get(2).map(|l| l.len()), Some(2 + text.len() + 1));
        assert!(lines.get(2).is_some_and(|l| l.ends_with('^')));
    }
}
