//! Diagnostics: what went wrong, where, and how it is shown to a person.
//!
//! Every stage (lexer, parser, lowering) reports [`Diagnostic`]s with byte [`Span`]s into
//! the source text and keeps going, so one run reports every fault it can find.
//! [`render_diagnostics`] turns them into
//!
//! ```text
//! policy.tcp:3:19: error: unknown file permission `wrte`
//!  3 |     allow file ws wrte;
//!    |                   ^^^^
//!    = help: did you mean `write`?
//! ```

use std::fmt::Write as _;

/// A byte range `start..end` in the source text (`start == end` marks a point, shown as one
/// caret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The empty span at `at`.
    pub const fn point(at: usize) -> Span {
        Span { start: at, end: at }
    }

    /// The smallest span covering `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The policy is not compiled.
    Error,
    /// The policy compiles, but probably does not mean what was written.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding about the source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where; `None` for faults about the whole policy (for example an encoding limit).
    pub span: Option<Span>,
    /// One line, lowercase start, no final period.
    pub message: String,
    /// Suggestion shown as `= help: ...`.
    pub help: Option<String>,
    /// Related places (for example the first definition of a duplicate).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span: Some(span),
            message: message.into(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    /// An error about the whole policy.
    pub fn global(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span: None,
            ..Diagnostic::error(Span::point(0), message)
        }
    }

    /// Adds a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a help line when `help` is `Some`.
    #[must_use]
    pub fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a note pointing at another place.
    #[must_use]
    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.notes.push((span, note.into()));
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Line starts of a text, to turn byte offsets into line and column numbers.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// 0-based line number of byte `offset` (clamped to the text).
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// The text of 0-based `line`, without its newline, and where it starts.
    pub(crate) fn line_text(&self, line: usize) -> (usize, &'a str) {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        let slice = self.text.get(start..end.max(start)).unwrap_or("");
        (start, slice.strip_suffix('\r').unwrap_or(slice))
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let (start, text) = self.line_text(line);
        let within = offset.saturating_sub(start);
        let col = text.char_indices().take_while(|(i, _)| *i < within).count() + 1;
        (line + 1, col)
    }
}

/// Renders `diagnostics` about `text` (read from `file_name`) for a terminal: for each, a
/// `file:line:col: error: message` line, the source line, a caret line under the span, the
/// help, and the notes with their own source lines. Diagnostics are separated by a blank
/// line. Diagnostics without a span print as `file: error: message`.
pub fn render_diagnostics(file_name: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(text);
    render_with(file_name, &|span| (file_name, &index, span), diagnostics)
}

/// Several source files compiled as one policy: their texts joined by newlines, and the
/// way back from a place in the joined text to a file, line and column.
#[derive(Debug)]
pub struct SourceSet {
    /// Name of the whole set, for diagnostics without a place (for example a folder).
    name: String,
    /// The files' names and texts, in order.
    files: Vec<(String, String)>,
    /// Where each file starts in `joined`.
    starts: Vec<usize>,
    joined: String,
}

impl SourceSet {
    /// Joins `files` (name, text) in this order; `name` names the set as a whole.
    pub fn new(name: impl Into<String>, files: Vec<(String, String)>) -> SourceSet {
        let mut joined = String::new();
        let mut starts = Vec::with_capacity(files.len());
        for (_, text) in &files {
            starts.push(joined.len());
            joined.push_str(text);
            // A newline ends a comment or a word that the next file would otherwise continue.
            joined.push('\n');
        }
        SourceSet {
            name: name.into(),
            files,
            starts,
            joined,
        }
    }

    /// The joined text, to compile.
    pub fn text(&self) -> &str {
        &self.joined
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the set has no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Renders diagnostics about [`SourceSet::text`] as [`render_diagnostics`] does, each
    /// place named by its own file, line and column.
    pub fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let indexes: Vec<LineIndex<'_>> = self
            .files
            .iter()
            .map(|(_, text)| LineIndex::new(text))
            .collect();
        let empty = LineIndex::new("");
        let locate = |span: Span| {
            let file = match self.starts.binary_search(&span.start) {
                Ok(i) => i,
                Err(next) => next.saturating_sub(1),
            };
            let start = self.starts.get(file).copied().unwrap_or(0);
            let local = Span::new(
                span.start.saturating_sub(start),
                span.end.saturating_sub(start),
            );
            match (self.files.get(file), indexes.get(file)) {
                (Some((name, _)), Some(index)) => (name.as_str(), index, local),
                _ => (self.name.as_str(), &empty, local),
            }
        };
        render_with(&self.name, &locate, diagnostics)
    }
}

/// Where a span of the compiled text is: file name, that file's line index, and the span
/// within that file.
type Locate<'a> = dyn Fn(Span) -> (&'a str, &'a LineIndex<'a>, Span) + 'a;

fn render_with<'a>(global_name: &str, locate: &Locate<'a>, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (n, diag) in diagnostics.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let width = gutter_width(locate, diag);
        match diag.span {
            Some(span) => {
                let (file_name, index, span) = locate(span);
                render_located(
                    &mut out,
                    file_name,
                    index,
                    span,
                    diag.severity.name(),
                    &diag.message,
                    width,
                )
            }
            None => {
                let _ = writeln!(
                    out,
                    "{global_name}: {}: {}",
                    diag.severity.name(),
                    diag.message
                );
            }
        }
        if let Some(help) = &diag.help {
            let _ = writeln!(out, "{:width$} = help: {help}", "");
        }
        for (span, note) in &diag.notes {
            let (file_name, index, span) = locate(*span);
            render_located(&mut out, file_name, index, span, "note", note, width);
        }
    }
    out
}

fn gutter_width<'a>(locate: &Locate<'a>, diag: &Diagnostic) -> usize {
    let spans = diag.span.iter().chain(diag.notes.iter().map(|(s, _)| s));
    spans
        .map(|s| {
            let (_, index, local) = locate(*s);
            (index.line_of(local.start) + 1).to_string().len()
        })
        .max()
        .unwrap_or(1)
}

fn render_located(
    out: &mut String,
    file_name: &str,
    index: &LineIndex<'_>,
    span: Span,
    label: &str,
    message: &str,
    width: usize,
) {
    let (line, col) = index.line_col(span.start);
    let _ = writeln!(out, "{file_name}:{line}:{col}: {label}: {message}");
    let (line_start, line_text) = index.line_text(line - 1);
    let _ = writeln!(out, "{line:>width$} | {line_text}");
    // The caret line copies tabs from the source line so that it lines up in any terminal.
    let before = span.start.saturating_sub(line_start);
    let mut pad = String::new();
    let mut carets = 0usize;
    for (i, ch) in line_text.char_indices() {
        if i < before {
            pad.push(if ch == '\t' { '\t' } else { ' ' });
        } else if i < span.end.saturating_sub(line_start) {
            carets += 1;
        }
    }
    let _ = writeln!(out, "{:width$} | {pad}{}", "", "^".repeat(carets.max(1)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let idx = LineIndex::new("ab\ncdé\n\nx");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(7), (2, 4)); // after the two-byte é
        assert_eq!(idx.line_col(8), (3, 1));
        assert_eq!(idx.line_col(9), (4, 1));
        assert_eq!(idx.line_col(100), (4, 2));
    }

    #[test]
    fn renders_caret_under_span() {
        let text = "domain a {\n\tallow file ws wrte;\n}\n";
        let start = text.find("wrte").unwrap_or(0);
        let d = Diagnostic::error(
            Span::new(start, start + 4),
            "unknown file permission `wrte`",
        )
        .with_help("did you mean `write`?");
        let out = render_diagnostics("p.tcp", text, &[d]);
        assert_eq!(
            out,
            "p.tcp:2:16: error: unknown file permission `wrte`\n\
             2 | \tallow file ws wrte;\n  | \t              ^^^^\n  = help: did you mean `write`?\n"
        );
    }

    #[test]
    fn source_sets_name_each_file() {
        let set = SourceSet::new(
            "policy.d",
            vec![
                ("a.policy".into(), "type t;\n".into()),
                (
                    "b.policy".into(),
                    "domain d {\n  allow file u read;\n}".into(),
                ),
            ],
        );
        assert_eq!(set.len(), 2);
        let text = set.text();
        let at = text.find('u').unwrap_or(0);
        let first = text.find('t').unwrap_or(0);
        let d = Diagnostic::error(Span::new(at, at + 1), "undefined type `u`")
            .with_note(Span::new(first, first + 4), "a note in the other file");
        let out = set.render(&[d, Diagnostic::global("too big")]);
        assert_eq!(
            out,
            "b.policy:2:14: error: undefined type `u`\n\
             2 |   allow file u read;\n  |              ^\n\
             a.policy:1:1: note: a note in the other file\n\
             1 | type t;\n  | ^^^^\n\
             \npolicy.d: error: too big\n"
        );
    }
}
