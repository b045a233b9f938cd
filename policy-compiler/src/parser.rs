//! Stage 2: the parser turns tokens into the syntax tree ([`crate::ast`]).
//!
//! Recursive descent with recovery: a statement that does not parse is reported and
//! skipped up to its `;` (or over its balanced `{ ... }` block), and parsing goes on with
//! the next statement, so one run reports every syntax error. A missing `;` at the end of a
//! line is reported and then assumed, so it costs one error, not two.

use crate::ast::{
    BehaviourStmt, Class, DomainDecl, DomainStmt, ExecStmt, File, HeartbeatStmt, Item, ModeStmt,
    NetTarget, PathDecl, Perms, Rule, TypeDecl, Word,
};
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{Token, TokenKind};
use crate::suggest::did_you_mean;
use tcp_lsm_engine::model::{Decision, PathMatch};

/// Keywords that start a top-level statement.
pub const TOP_KEYWORDS: &[&str] = &["mode", "heartbeat", "type", "domain", "exec"];
/// Keywords that start a statement inside a domain block.
pub const DOMAIN_KEYWORDS: &[&str] = &["mode", "allow", "deny", "exec", "behaviour", "behavior"];
/// Keywords that start a path statement inside a type block.
pub const PATH_KEYWORDS: &[&str] = &["exact", "prefix", "glob"];
/// Address families of network rules.
pub const FAMILIES: &[&str] = &["inet", "inet6", "unix"];
/// Protocols of network rules.
pub const PROTOCOLS: &[&str] = &["tcp", "udp", "any"];
const HEARTBEAT_CLAUSES: &[&str] = &["timeout", "action"];
const BEHAVIOUR_CLAUSES: &[&str] = &["threshold", "window", "max-ops", "response"];

/// Parses a whole file. Syntax errors go to `diags`; the tree holds every statement that
/// parsed.
pub fn parse(tokens: &[Token], diags: &mut Vec<Diagnostic>) -> File {
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        diags,
    };
    p.file()
}

/// Parses a network target alone (for `--object` of class `net` on the command line).
/// Returns `None` after reporting faults.
pub fn parse_net_target(tokens: &[Token], diags: &mut Vec<Diagnostic>) -> Option<NetTarget> {
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        diags,
    };
    let target = p.net_target().ok()?;
    if p.peek().kind != TokenKind::Eof {
        let tok = p.peek().clone();
        p.error(
            tok.span,
            format!("unexpected {} after the network target", describe(&tok)),
        );
        return None;
    }
    Some(target)
}

/// A statement failed to parse; its diagnostic is already recorded.
struct Fail;

type PResult<T> = Result<T, Fail>;

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    diags: &'a mut Vec<Diagnostic>,
}

fn describe(tok: &Token) -> String {
    match tok.kind {
        TokenKind::Word => format!("`{}`", tok.text),
        TokenKind::Str => format!("string {:?}", tok.text),
        kind => kind.describe().to_string(),
    }
}

fn word(tok: &Token) -> Word {
    Word {
        text: tok.text.clone(),
        span: tok.span,
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof; never move past it.
        static EOF: Token = Token {
            kind: TokenKind::Eof,
            span: Span { start: 0, end: 0 },
            text: String::new(),
            line_start: true,
        };
        self.toks
            .get(self.pos)
            .or_else(|| self.toks.last())
            .unwrap_or(&EOF)
    }

    fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if tok.kind != TokenKind::Eof {
            self.pos += 1;
        }
        tok
    }

    /// End of the last consumed token.
    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.span.end)
    }

    fn at_word(&self, text: &str) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Word && t.text == text
    }

    /// A word on the same line as the previous token (a clause or list continues).
    fn at_same_line_word(&self) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Word && !t.line_start
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, message));
    }

    fn fail_expected(&mut self, what: &str) -> Fail {
        let tok = self.peek().clone();
        self.error(
            tok.span,
            format!("expected {what}, found {}", describe(&tok)),
        );
        Fail
    }

    /// A bare word (names, keywords, values).
    fn expect_word(&mut self, what: &str) -> PResult<Word> {
        if self.peek().kind == TokenKind::Word {
            return Ok(word(&self.bump()));
        }
        Err(self.fail_expected(what))
    }

    /// A word or a quoted string (paths).
    fn expect_value(&mut self, what: &str) -> PResult<Word> {
        if matches!(self.peek().kind, TokenKind::Word | TokenKind::Str) {
            return Ok(word(&self.bump()));
        }
        Err(self.fail_expected(what))
    }

    /// The `;` ending a statement. When it is missing before a new line or a `}`, reports
    /// it and goes on as if it were there.
    fn expect_semi(&mut self) -> PResult<()> {
        let tok = self.peek().clone();
        match tok.kind {
            TokenKind::Semi => {
                self.bump();
                Ok(())
            }
            TokenKind::RBrace | TokenKind::Eof => {
                self.missing_semi();
                Ok(())
            }
            _ if tok.line_start => {
                self.missing_semi();
                Ok(())
            }
            _ => {
                self.error(tok.span, format!("expected `;`, found {}", describe(&tok)));
                Err(Fail)
            }
        }
    }

    fn missing_semi(&mut self) {
        let at = self.prev_end();
        self.diags.push(Diagnostic::error(
            Span::point(at),
            "expected `;` at the end of the statement",
        ));
    }

    /// Skips the rest of a statement that failed: up to and including its `;`, over a
    /// balanced `{ ... }` block, and never past the `}` closing the enclosing block.
    fn skip_statement(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().kind {
                TokenKind::Eof => return,
                TokenKind::Semi => {
                    self.bump();
                    if depth == 0 {
                        return;
                    }
                }
                TokenKind::LBrace => {
                    self.bump();
                    depth += 1;
                }
                TokenKind::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    self.bump();
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    fn span_from(&self, start: Span) -> Span {
        Span::new(start.start, self.prev_end().max(start.end))
    }

    fn file(&mut self) -> File {
        let mut file = File::default();
        loop {
            let tok = self.peek().clone();
            match tok.kind {
                TokenKind::Eof => return file,
                TokenKind::Semi => {
                    self.bump();
                }
                TokenKind::RBrace => {
                    self.bump();
                    self.error(tok.span, "unmatched `}`");
                }
                TokenKind::Word => match self.item(&tok) {
                    Ok(Some(item)) => file.items.push(item),
                    Ok(None) => {}
                    Err(Fail) => self.skip_statement(),
                },
                _ => {
                    self.error(
                        tok.span,
                        format!("expected a statement, found {}", describe(&tok)),
                    );
                    self.bump();
                    self.skip_statement();
                }
            }
        }
    }

    fn item(&mut self, tok: &Token) -> PResult<Option<Item>> {
        match tok.text.as_str() {
            "mode" => self.mode().map(|m| Some(Item::Mode(m))),
            "heartbeat" => self.heartbeat().map(|h| Some(Item::Heartbeat(h))),
            "type" => self.type_decl().map(|t| Some(Item::Type(t))),
            "domain" => self.domain().map(|d| Some(Item::Domain(d))),
            "exec" => self.exec().map(|e| Some(Item::Exec(e))),
            "allow" | "deny" | "behaviour" | "behavior" => {
                self.diags.push(
                    Diagnostic::error(
                        tok.span,
                        format!("`{}` is only valid inside a `domain` block", tok.text),
                    )
                    .with_help("write it inside `domain NAME { ... }`"),
                );
                Err(Fail)
            }
            other => {
                let help = did_you_mean(other, TOP_KEYWORDS.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "a statement starts with one of: {}",
                        TOP_KEYWORDS.join(", ")
                    )
                });
                self.diags.push(
                    Diagnostic::error(tok.span, format!("unknown statement `{other}`"))
                        .with_help(help),
                );
                Err(Fail)
            }
        }
    }

    fn mode(&mut self) -> PResult<ModeStmt> {
        let kw = self.bump();
        let value = self.expect_word("a mode (monitor, alert or enforce)")?;
        self.expect_semi()?;
        Ok(ModeStmt {
            span: self.span_from(kw.span),
            value,
        })
    }

    fn heartbeat(&mut self) -> PResult<HeartbeatStmt> {
        let kw = self.bump();
        let mut stmt = HeartbeatStmt {
            span: kw.span,
            timeout: None,
            action: None,
        };
        while self.peek().kind == TokenKind::Word && self.clause_ahead(HEARTBEAT_CLAUSES) {
            let key = self.bump();
            let slot = match key.text.as_str() {
                "timeout" => &mut stmt.timeout,
                "action" => &mut stmt.action,
                other => {
                    let help = did_you_mean(other, HEARTBEAT_CLAUSES.iter().copied())
                        .unwrap_or_else(|| {
                            "expected `timeout DURATION` or `action deny-network|deny-all`".into()
                        });
                    self.diags.push(
                        Diagnostic::error(key.span, format!("unknown heartbeat setting `{other}`"))
                            .with_help(help),
                    );
                    return Err(Fail);
                }
            };
            let value = if key.text == "timeout" {
                self.expect_word("a duration such as `30s`")?
            } else {
                self.expect_word("`deny-network` or `deny-all`")?
            };
            if slot.is_some() {
                self.diags.push(Diagnostic::error(
                    key.span,
                    format!("`{}` is given twice", key.text),
                ));
            }
            *slot = Some(value);
        }
        self.expect_semi()?;
        stmt.span = self.span_from(kw.span);
        Ok(stmt)
    }

    /// A clause keyword at the start of a line continues a statement only when it is one of
    /// `keys` (so a missing `;` before the next statement is caught).
    fn clause_ahead(&self, keys: &[&str]) -> bool {
        let t = self.peek();
        !t.line_start || keys.contains(&t.text.as_str())
    }

    fn type_decl(&mut self) -> PResult<TypeDecl> {
        let kw = self.bump();
        let name = self.expect_word("a type name")?;
        let mut decl = TypeDecl {
            span: kw.span,
            name,
            protected: None,
            paths: Vec::new(),
        };
        if self.at_word("protected") {
            decl.protected = Some(self.bump().span);
        }
        match self.peek().kind {
            TokenKind::LBrace => {
                let open = self.bump();
                self.block(open.span, "type", |p| {
                    let tok = p.peek().clone();
                    let kind = match tok.text.as_str() {
                        "exact" => PathMatch::Exact,
                        "prefix" => PathMatch::Prefix,
                        "glob" => PathMatch::Glob,
                        other => {
                            let help = did_you_mean(other, PATH_KEYWORDS.iter().copied()).unwrap_or_else(|| {
                                "a type block holds path statements: `exact PATH;`, `prefix PATH;` or `glob PATTERN;`"
                                    .into()
                            });
                            p.diags.push(
                                Diagnostic::error(tok.span, format!("unknown statement `{other}` in a type block"))
                                    .with_help(help),
                            );
                            return Err(Fail);
                        }
                    };
                    p.bump();
                    let pattern = p.expect_value("a path")?;
                    p.expect_semi()?;
                    decl.paths.push(PathDecl { span: p.span_from(tok.span), kind, pattern });
                    Ok(())
                });
            }
            TokenKind::Semi => {
                self.bump();
            }
            _ => {
                let tok = self.peek().clone();
                if tok.line_start || tok.kind == TokenKind::Eof || tok.kind == TokenKind::RBrace {
                    self.missing_semi();
                } else {
                    self.error(
                        tok.span,
                        format!("expected `;` or `{{`, found {}", describe(&tok)),
                    );
                    return Err(Fail);
                }
            }
        }
        decl.span = self.span_from(kw.span);
        Ok(decl)
    }

    /// Parses the statements of a `{ ... }` block whose `{` at `open` was just consumed,
    /// calling `stmt` at each word that starts a statement, up to and including the `}`.
    fn block(&mut self, open: Span, what: &str, mut stmt: impl FnMut(&mut Self) -> PResult<()>) {
        loop {
            let tok = self.peek().clone();
            match tok.kind {
                TokenKind::RBrace => {
                    self.bump();
                    return;
                }
                TokenKind::Eof => {
                    self.diags.push(
                        Diagnostic::error(
                            tok.span,
                            format!("unclosed {what} block: expected `}}`"),
                        )
                        .with_note(open, "the block opens here"),
                    );
                    return;
                }
                TokenKind::Semi => {
                    self.bump();
                }
                TokenKind::Word => {
                    if stmt(self).is_err() {
                        self.skip_statement();
                    }
                }
                _ => {
                    self.error(
                        tok.span,
                        format!("expected a statement, found {}", describe(&tok)),
                    );
                    self.bump();
                    self.skip_statement();
                }
            }
        }
    }

    fn domain(&mut self) -> PResult<DomainDecl> {
        let kw = self.bump();
        let name = self.expect_word("a domain name")?;
        if self.peek().kind != TokenKind::LBrace {
            return Err(self.fail_expected("`{` to open the domain's block"));
        }
        let open = self.bump();
        let mut body = Vec::new();
        self.block(open.span, "domain", |p| {
            let tok = p.peek().clone();
            let stmt = match tok.text.as_str() {
                "mode" => DomainStmt::Mode(p.mode()?),
                "allow" | "deny" => DomainStmt::Rule(p.rule()?),
                "exec" => DomainStmt::Exec(p.exec()?),
                "behaviour" | "behavior" => DomainStmt::Behaviour(p.behaviour()?),
                "domain" | "type" | "heartbeat" => {
                    p.diags.push(
                        Diagnostic::error(tok.span, format!("`{}` is not valid inside a domain block", tok.text))
                            .with_help("is a `}` missing before it?"),
                    );
                    return Err(Fail);
                }
                other => {
                    let help = did_you_mean(other, DOMAIN_KEYWORDS.iter().copied()).unwrap_or_else(|| {
                        "a domain block holds `allow`, `deny`, `exec`, `mode` and `behaviour` statements".into()
                    });
                    p.diags.push(
                        Diagnostic::error(tok.span, format!("unknown statement `{other}` in a domain block"))
                            .with_help(help),
                    );
                    return Err(Fail);
                }
            };
            body.push(stmt);
            Ok(())
        });
        Ok(DomainDecl {
            span: self.span_from(kw.span),
            name,
            body,
        })
    }

    fn exec(&mut self) -> PResult<ExecStmt> {
        let kw = self.bump();
        let path = self.expect_value("the path of an executable")?;
        let mut digest = None;
        if self.at_word("sha256") {
            self.bump();
            digest = Some(self.expect_word("a SHA-256 digest (64 hex digits)")?);
        }
        if self.peek().kind != TokenKind::Arrow {
            return Err(self.fail_expected("`->` and the domain entered"));
        }
        self.bump();
        let target = self.expect_word("the name of the domain entered")?;
        self.expect_semi()?;
        Ok(ExecStmt {
            span: self.span_from(kw.span),
            path,
            digest,
            target,
        })
    }

    fn rule(&mut self) -> PResult<Rule> {
        let kw = self.bump();
        let decision = if kw.text == "allow" {
            Decision::Allow
        } else {
            Decision::Deny
        };
        let class_word = self.expect_word(
            "a class (file, net, capability, signal, ptrace, ipc, system or process)",
        )?;
        let Some(class) = Class::from_name(&class_word.text) else {
            let help = did_you_mean(&class_word.text, Class::ALL.iter().map(|c| c.name()))
                .unwrap_or_else(|| {
                    "classes: file, net, capability, signal, ptrace, ipc, system, process".into()
                });
            self.diags.push(
                Diagnostic::error(
                    class_word.span,
                    format!("unknown class `{}`", class_word.text),
                )
                .with_help(help),
            );
            return Err(Fail);
        };
        let object = if class == Class::File {
            Some(self.expect_word("an object type name")?)
        } else {
            None
        };
        let perms = self.perms(class)?;
        let target = if class == Class::Net {
            Some(self.net_target()?)
        } else {
            None
        };
        self.expect_semi()?;
        Ok(Rule {
            span: self.span_from(kw.span),
            decision,
            class,
            class_span: class_word.span,
            object,
            perms,
            target,
        })
    }

    /// `NAME { [","] NAME }` on one line, or the same in braces (over any number of lines).
    /// For class `net` a bare list ends before the address family.
    fn perms(&mut self, class: Class) -> PResult<Perms> {
        let start = self.peek().span;
        let mut names = Vec::new();
        if self.peek().kind == TokenKind::LBrace {
            let open = self.bump();
            loop {
                let tok = self.peek().clone();
                match tok.kind {
                    TokenKind::RBrace => {
                        self.bump();
                        break;
                    }
                    TokenKind::Comma => {
                        self.bump();
                    }
                    TokenKind::Word => names.push(word(&self.bump())),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                tok.span,
                                format!(
                                    "expected a permission name or `}}`, found {}",
                                    describe(&tok)
                                ),
                            )
                            .with_note(open.span, "the permission list opens here"),
                        );
                        return Err(Fail);
                    }
                }
            }
            if names.is_empty() {
                self.diags.push(
                    Diagnostic::error(self.span_from(open.span), "empty permission list")
                        .with_help(format!(
                            "name at least one {} permission, or `all`",
                            class.name()
                        )),
                );
                return Err(Fail);
            }
        } else {
            if self.peek().kind != TokenKind::Word || (class == Class::Net && self.at_family()) {
                let what = format!("{} permissions", class.name());
                return Err(self.fail_expected(&what));
            }
            names.push(word(&self.bump()));
            loop {
                if self.peek().kind == TokenKind::Comma {
                    self.bump();
                    if self.peek().kind != TokenKind::Word {
                        return Err(self.fail_expected("a permission name after `,`"));
                    }
                    names.push(word(&self.bump()));
                } else if self.at_same_line_word()
                    && !(class == Class::Net && self.ends_net_perms())
                {
                    names.push(word(&self.bump()));
                } else {
                    break;
                }
            }
        }
        Ok(Perms {
            names,
            span: self.span_from(start),
        })
    }

    /// In a bare list of network operations, a word that starts the target instead: a
    /// family (or a near miss of one, so that `inet4` is reported as a family), a
    /// protocol, `port`, or something that looks like an address.
    fn ends_net_perms(&self) -> bool {
        let t = self.peek();
        let text = t.text.as_str();
        t.kind == TokenKind::Word
            && (FAMILIES.contains(&text)
                || PROTOCOLS.contains(&text)
                || text == "port"
                || text.contains(['.', ':', '/', '@'])
                || text.starts_with(|c: char| c.is_ascii_digit())
                || FAMILIES
                    .iter()
                    .any(|f| crate::suggest::edit_distance(text, f) == 1))
    }

    fn at_family(&self) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Word && FAMILIES.contains(&t.text.as_str())
    }

    fn net_target(&mut self) -> PResult<NetTarget> {
        let family = self.expect_word("an address family (inet, inet6 or unix)")?;
        if !FAMILIES.contains(&family.text.as_str()) {
            if PROTOCOLS.contains(&family.text.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        family.span,
                        format!("expected an address family before `{}`", family.text),
                    )
                    .with_help(format!(
                        "write the family first: `inet {0} ...` or `inet6 {0} ...`",
                        family.text
                    )),
                );
                return Err(Fail);
            }
            let help = did_you_mean(&family.text, FAMILIES.iter().copied())
                .unwrap_or_else(|| "families: inet (IPv4), inet6 (IPv6), unix".into());
            self.diags.push(
                Diagnostic::error(
                    family.span,
                    format!("unknown address family `{}`", family.text),
                )
                .with_help(help),
            );
            return Err(Fail);
        }
        let mut target = NetTarget {
            span: family.span,
            family,
            protocol: None,
            addr: None,
            port: None,
            unix_path: None,
        };
        if target.family.text == "unix" {
            let tok = self.peek().clone();
            if tok.kind == TokenKind::Str || (tok.kind == TokenKind::Word && !tok.line_start) {
                if tok.kind == TokenKind::Word
                    && (PROTOCOLS.contains(&tok.text.as_str()) || tok.text == "port")
                {
                    self.error(
                        tok.span,
                        format!(
                            "unix sockets have no {}",
                            if tok.text == "port" {
                                "ports"
                            } else {
                                "protocol"
                            }
                        ),
                    );
                    return Err(Fail);
                }
                target.unix_path = Some(word(&self.bump()));
            }
            let next = self.peek().clone();
            if next.kind == TokenKind::Word && !next.line_start {
                let what = if next.text == "port" {
                    "ports"
                } else {
                    "protocol or address"
                };
                self.error(next.span, format!("unix sockets have no {what}"));
                return Err(Fail);
            }
        } else {
            if self.at_same_line_word() && PROTOCOLS.contains(&self.peek().text.as_str()) {
                target.protocol = Some(word(&self.bump()));
            }
            if self.at_same_line_word() && !self.at_word("port") {
                target.addr = Some(word(&self.bump()));
            }
            if self.at_word("port") {
                self.bump();
                target.port =
                    Some(self.expect_word("a port or a port range such as `1024-65535`")?);
            }
        }
        target.span = self.span_from(target.span);
        Ok(target)
    }

    fn behaviour(&mut self) -> PResult<BehaviourStmt> {
        let kw = self.bump();
        let mut stmt = BehaviourStmt {
            span: kw.span,
            threshold: None,
            window: None,
            max_ops: None,
            response: None,
            quarantine: None,
        };
        while self.peek().kind == TokenKind::Word && self.clause_ahead(BEHAVIOUR_CLAUSES) {
            let key = self.bump();
            let (slot, what) = match key.text.as_str() {
                "threshold" => (&mut stmt.threshold, "an anomaly score threshold"),
                "window" => (&mut stmt.window, "a duration such as `10s`"),
                "max-ops" => (&mut stmt.max_ops, "a number of operations"),
                "response" => (&mut stmt.response, "`audit` or `quarantine DOMAIN`"),
                other => {
                    let help = did_you_mean(other, BEHAVIOUR_CLAUSES.iter().copied())
                        .unwrap_or_else(|| {
                            format!("behaviour settings: {}", BEHAVIOUR_CLAUSES.join(", "))
                        });
                    self.diags.push(
                        Diagnostic::error(key.span, format!("unknown behaviour setting `{other}`"))
                            .with_help(help),
                    );
                    return Err(Fail);
                }
            };
            let twice = slot.is_some();
            let value = {
                if self.peek().kind == TokenKind::Word {
                    word(&self.bump())
                } else {
                    return Err(self.fail_expected(what));
                }
            };
            let is_quarantine = key.text == "response" && value.text == "quarantine";
            match key.text.as_str() {
                "threshold" => stmt.threshold = Some(value),
                "window" => stmt.window = Some(value),
                "max-ops" => stmt.max_ops = Some(value),
                _ => stmt.response = Some(value),
            }
            if twice {
                self.diags.push(Diagnostic::error(
                    key.span,
                    format!("`{}` is given twice", key.text),
                ));
            }
            if is_quarantine {
                stmt.quarantine = Some(self.expect_word("the name of the quarantine domain")?);
            }
        }
        self.expect_semi()?;
        stmt.span = self.span_from(kw.span);
        Ok(stmt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn parse_text(text: &str) -> (File, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let toks = lex(text, &mut d);
        let f = parse(&toks, &mut d);
        (f, d)
    }

    #[test]
    fn parses_every_statement() {
        let (f, d) = parse_text(
            "mode enforce;\nheartbeat timeout 30s action deny-all;\ntype ws protected { prefix /w; glob \"/x/**\"; }\n\
             type t;\nexec /bin/a sha256 00 -> d;\ndomain d { mode alert; allow file ws read, write;\n\
             deny net { connect send } inet tcp 1.2.3.4/32 port 1-2; allow net create unix @x;\n\
             allow capability chown kill; exec /bin/b -> e;\n\
             behaviour threshold 5 window 1s max-ops 9 response quarantine q; }",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.items.len(), 6);
        let Some(Item::Domain(dom)) = f.items.last() else {
            panic!("no domain")
        };
        assert_eq!(dom.body.len(), 7);
    }

    #[test]
    fn missing_semicolon_costs_one_error() {
        let (f, d) = parse_text("mode enforce\ntype a;\n");
        assert_eq!(d.len(), 1);
        assert_eq!(f.items.len(), 2);
    }

    #[test]
    fn recovers_and_reports_every_error() {
        let (f, d) = parse_text(
            "bogus x;\ndomain a { allow foo x; allow file t read; frob; }\ntype b { prefx /a; }\n}",
        );
        assert_eq!(d.len(), 5, "{d:?}");
        assert_eq!(f.items.len(), 2);
    }
}
