//! `tcp-monitor`: reads the decision events of the securityfs `events` file, filters them
//! and prints them readably or as JSON (docs/cli.md).
//!
//! The file is opened non-blocking ([`crate::Securityfs::open_events`]). A snapshot run
//! reads until the queue is empty (`EAGAIN`) or, for a regular file, until its end; a
//! realtime run waits with `poll(2)` for more events, and for the output to be closed.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use serde_json::{Map, Value};
use tcp_lsm_engine::event::{escape, parse_line, Line, ParseError};

use crate::filter::Filter;

/// Fields whose JSON values are numbers (when they parse as one).
const NUMERIC_FIELDS: [&str; 3] = ["seq", "time", "pid"];

/// Fields that the readable format places; others are appended as `name=value`.
const PLACED_FIELDS: [&str; 13] = [
    "seq", "time", "op", "class", "perms", "decision", "mode", "domain", "object", "pid", "comm",
    "errno", "reason",
];

/// Bytes asked for by each read of the `events` file (the kernel returns whole lines).
pub const READ_SIZE: usize = 64 * 1024;

/// What to print.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Wait for new events instead of stopping when the queue is empty.
    pub realtime: bool,
    /// Print only the events that pass this filter (lost-event reports always pass).
    pub filter: Option<Filter>,
    /// One JSON object per line instead of the readable format.
    pub json: bool,
    /// Stop after printing this many events.
    pub count: Option<u64>,
}

/// Whether to go on reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read more.
    Continue,
    /// `--count` events were printed.
    Done,
}

/// Why [`run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// No more events: the queue was empty (snapshot run) or the file ended.
    Drained,
    /// `--count` events were printed.
    CountReached,
    /// The output was closed (for example `tcp-monitor --realtime | head -1`).
    OutputClosed,
}

/// What can stop [`run`] with a failure.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// Reading the events file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The events file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Waiting for events failed.
    #[error("cannot wait for events on {path}: {source}")]
    Poll {
        /// The events file.
        path: PathBuf,
        /// Why.
        source: Errno,
    },
    /// Writing the output failed (other than by the output being closed).
    #[error("cannot write the output: {0}")]
    Write(io::Error),
}

/// `value` as the readable format shows it: as in the `events` file, bytes outside
/// printable ASCII and `\` as `\xHH`, an empty value as `-` (so that a shown value can be
/// pasted into a filter as a bare value, and no terminal control sequence gets through).
fn shown(value: &str) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = escape(&mut s, value.as_bytes());
    s
}

/// Nanoseconds since boot as `[SSSSS.UUUUUU]` (seconds and microseconds, like dmesg).
pub fn format_time(ns: u64) -> String {
    format!(
        "[{:>5}.{:06}]",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 1_000
    )
}

/// One event (fields as [`parse_line`] returns them) in the readable format:
///
/// ```text
/// [TIME] DECISION MODE DOMAIN OP CLASS{PERMS} OBJECT pid=PID comm=COMM errno=ERRNO reason=REASON seq=SEQ
/// [   12.345678] DENY  enforce agent file_open file{read,write} /etc/passwd pid=42 comm=cat errno=EACCES reason=rule seq=7
/// ```
///
/// A missing field shows as `?`; fields other than the thirteen known ones follow as
/// ` name=value`.
pub fn format_event(fields: &[(String, String)]) -> String {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let field = |name: &str| get(name).map_or_else(|| "?".to_owned(), shown);
    let time = match get("time").map(str::parse::<u64>) {
        Some(Ok(ns)) => format_time(ns),
        _ => format!("[{}]", field("time")),
    };
    let decision =
        get("decision").map_or_else(|| "?".to_owned(), |d| shown(&d.to_ascii_uppercase()));
    let mut line = format!(
        "{time} {decision:<5} {mode:<7} {domain} {op} {class}{{{perms}}} {object} pid={pid} comm={comm} errno={errno} reason={reason} seq={seq}",
        mode = field("mode"),
        domain = field("domain"),
        op = field("op"),
        class = field("class"),
        perms = field("perms"),
        object = field("object"),
        pid = field("pid"),
        comm = field("comm"),
        errno = field("errno"),
        reason = field("reason"),
        seq = field("seq"),
    );
    for (name, value) in fields
        .iter()
        .filter(|(k, _)| !PLACED_FIELDS.contains(&k.as_str()))
    {
        let _ = write!(line, " {}={}", shown(name), shown(value));
    }
    line
}

/// One event as a JSON object: every field in line order, `seq`, `time` and `pid` as
/// numbers, the others as (unescaped) strings.
pub fn event_json(fields: &[(String, String)]) -> String {
    let mut map = Map::new();
    for (name, value) in fields {
        let json = match value.parse::<u64>() {
            Ok(n) if NUMERIC_FIELDS.contains(&name.as_str()) => Value::from(n),
            _ => Value::from(value.as_str()),
        };
        map.insert(name.clone(), json);
    }
    Value::Object(map).to_string()
}

/// The JSON object reporting `count` dropped events: `{"lost":N}`.
pub fn lost_json(count: u64) -> String {
    serde_json::json!({ "lost": count }).to_string()
}

/// The message (without the program name) reporting `count` dropped events.
pub fn lost_message(count: u64) -> String {
    format!("{count} events dropped by the kernel (queue full)")
}

/// Turns the bytes read from the `events` file into output: splits them into lines,
/// parses, filters, formats and counts. Write errors on `out` are returned (the caller
/// treats a closed pipe as the end); messages on `err` are best effort.
pub struct Monitor<O: Write, E: Write> {
    options: Options,
    out: O,
    err: E,
    /// Bytes of a line not yet ended by a newline.
    pending: Vec<u8>,
    printed: u64,
    lines: u64,
}

impl<O: Write, E: Write> Monitor<O, E> {
    /// A monitor printing events to `out` and reports to `err`.
    pub fn new(options: Options, out: O, err: E) -> Self {
        Monitor {
            options,
            out,
            err,
            pending: Vec::new(),
            printed: 0,
            lines: 0,
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Number of events printed so far.
    pub fn printed(&self) -> u64 {
        self.printed
    }

    /// The outputs.
    pub fn into_parts(self) -> (O, E) {
        (self.out, self.err)
    }

    /// Handles bytes read from the file: every line they complete.
    pub fn feed(&mut self, data: &[u8]) -> io::Result<Flow> {
        self.pending.extend_from_slice(data);
        let mut start = 0;
        let mut flow = Flow::Continue;
        while let Some(len) = self
            .pending
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        {
            let line = self
                .pending
                .get(start..start + len)
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let line = line.into_owned();
            start += len + 1;
            if self.line(&line)? == Flow::Done {
                flow = Flow::Done;
                break;
            }
        }
        self.pending.drain(..start.min(self.pending.len()));
        Ok(flow)
    }

    /// Handles the end of the file: a last line without a newline, then flushes.
    pub fn finish(&mut self) -> io::Result<Flow> {
        let rest = std::mem::take(&mut self.pending);
        let flow = if rest.is_empty() {
            Flow::Continue
        } else {
            self.line(&String::from_utf8_lossy(&rest))?
        };
        self.out.flush()?;
        Ok(flow)
    }

    /// Writes out whatever is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Reports `message` on `err`, after what was printed before it.
    fn report(&mut self, message: &str) -> io::Result<()> {
        self.out.flush()?;
        // Best effort: a closed stderr must not end the monitor.
        let _ = writeln!(self.err, "tcp-monitor: {message}");
        Ok(())
    }

    fn line(&mut self, text: &str) -> io::Result<Flow> {
        self.lines += 1;
        match parse_line(text) {
            Ok(Line::Lost(count)) => {
                self.report(&lost_message(count))?;
                if self.options.json {
                    writeln!(self.out, "{}", lost_json(count))?;
                    if self.options.realtime {
                        self.out.flush()?;
                    }
                }
                Ok(Flow::Continue)
            }
            Ok(Line::Event(fields)) => {
                if self
                    .options
                    .filter
                    .as_ref()
                    .is_some_and(|f| !f.matches(&fields))
                {
                    return Ok(Flow::Continue);
                }
                let formatted = if self.options.json {
                    event_json(&fields)
                } else {
                    format_event(&fields)
                };
                writeln!(self.out, "{formatted}")?;
                if self.options.realtime {
                    self.out.flush()?;
                }
                self.printed += 1;
                if self.options.count.is_some_and(|max| self.printed >= max) {
                    Ok(Flow::Done)
                } else {
                    Ok(Flow::Continue)
                }
            }
            Err(ParseError::Empty) => Ok(Flow::Continue),
            Err(e) => {
                self.report(&format!(
                    "skipping unreadable line {} of the events file: {e}",
                    self.lines
                ))?;
                Ok(Flow::Continue)
            }
        }
    }
}

/// What ended a wait for events.
enum Wake {
    /// The file has data.
    Readable,
    /// The file hung up: no more events will come.
    Hangup,
    /// The output was closed.
    OutputClosed,
}

/// Waits until `file` is readable or `output` (if given) is closed.
fn wait(file: &File, output: Option<BorrowedFd<'_>>) -> Result<Wake, Errno> {
    loop {
        let mut fds = vec![PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        if let Some(fd) = output {
            // No events asked for: poll still reports POLLERR (a pipe without reader)
            // and POLLHUP (a hung-up terminal).
            fds.push(PollFd::new(fd, PollFlags::empty()));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
        let revents = |i: usize| {
            fds.get(i)
                .and_then(|p| p.revents())
                .unwrap_or(PollFlags::empty())
        };
        let gone = PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL;
        if revents(1).intersects(gone) {
            return Ok(Wake::OutputClosed);
        }
        let events = revents(0);
        if events.contains(PollFlags::POLLIN) {
            return Ok(Wake::Readable);
        }
        if events.intersects(PollFlags::POLLERR | PollFlags::POLLNVAL) {
            return Err(Errno::EIO);
        }
        if events.contains(PollFlags::POLLHUP) {
            return Ok(Wake::Hangup);
        }
    }
}

/// Reads `file` (opened non-blocking; `path` names it in errors) into `monitor` until the
/// queue is empty (snapshot), the file ends, `--count` events were printed, or the output
/// is closed. In realtime mode an empty queue means waiting with `poll(2)` on the file and
/// on `output` (the descriptor of the output, to notice when it is closed while no event
/// comes).
pub fn run<O: Write, E: Write>(
    monitor: &mut Monitor<O, E>,
    file: &mut File,
    path: &Path,
    output: Option<BorrowedFd<'_>>,
) -> Result<Stop, MonitorError> {
    match pump(monitor, file, path, output) {
        Err(MonitorError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            Ok(Stop::OutputClosed)
        }
        other => other,
    }
}

fn pump<O: Write, E: Write>(
    monitor: &mut Monitor<O, E>,
    file: &mut File,
    path: &Path,
    output: Option<BorrowedFd<'_>>,
) -> Result<Stop, MonitorError> {
    let end = |monitor: &mut Monitor<O, E>| match monitor.finish().map_err(MonitorError::Write)? {
        Flow::Done => Ok(Stop::CountReached),
        Flow::Continue => Ok(Stop::Drained),
    };
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return end(monitor),
            Ok(n) => {
                let data = buf.get(..n).unwrap_or_default();
                if monitor.feed(data).map_err(MonitorError::Write)? == Flow::Done {
                    monitor.flush().map_err(MonitorError::Write)?;
                    return Ok(Stop::CountReached);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !monitor.options().realtime {
                    return end(monitor);
                }
                monitor.flush().map_err(MonitorError::Write)?;
                match wait(file, output) {
                    Ok(Wake::Readable) => {}
                    Ok(Wake::Hangup) => return end(monitor),
                    Ok(Wake::OutputClosed) => return Ok(Stop::OutputClosed),
                    Err(source) => {
                        return Err(MonitorError::Poll {
                            path: path.to_owned(),
                            source,
                        })
                    }
                }
            }
            Err(source) => {
                return Err(MonitorError::Read {
                    path: path.to_owned(),
                    source,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        "seq=7 time=12345678901 op=file_open class=file perms=read,write decision=deny \
                        mode=enforce domain=agent object=/tmp/a\\x20b pid=42 comm=cat errno=EACCES reason=rule";

    fn fields(line: &str) -> Vec<(String, String)> {
        match parse_line(line) {
            Ok(Line::Event(fields)) => fields,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn event(seq: u64, domain: &str, decision: &str) -> String {
        format!(
            "seq={seq} time={} op=file_open class=file perms=read decision={decision} mode=enforce \
             domain={domain} object=/x pid=1 comm=c errno=EACCES reason=rule\n",
            seq * 1000
        )
    }

    fn monitor(options: Options) -> Monitor<Vec<u8>, Vec<u8>> {
        Monitor::new(options, Vec::new(), Vec::new())
    }

    fn outputs(m: Monitor<Vec<u8>, Vec<u8>>) -> (String, String) {
        let (out, err) = m.into_parts();
        (
            String::from_utf8(out).expect("utf-8"),
            String::from_utf8(err).expect("utf-8"),
        )
    }

    #[test]
    fn time_is_seconds_since_boot_with_microseconds() {
        assert_eq!(format_time(0), "[    0.000000]");
        assert_eq!(format_time(12_345_678_901), "[   12.345678]");
        assert_eq!(format_time(123_456_000_000_999), "[123456.000000]");
    }

    #[test]
    fn readable_format() {
        assert_eq!(
            format_event(&fields(LINE)),
            "[   12.345678] DENY  enforce agent file_open file{read,write} /tmp/a\\x20b pid=42 comm=cat errno=EACCES reason=rule seq=7"
        );
        let allow = LINE
            .replace("decision=deny", "decision=allow")
            .replace("mode=enforce", "mode=alert");
        assert!(format_event(&fields(&allow))
            .starts_with("[   12.345678] ALLOW alert   agent file_open"));
    }

    #[test]
    fn readable_format_escapes_and_marks_missing_and_extra_fields() {
        let f = fields("seq=1 object=\\x1b[31mred\\x0a comm=- perms=- extra=a\\x20b");
        assert_eq!(
            format_event(&f),
            "[?] ?     ?       ? ? ?{-} \\x1b[31mred\\x0a pid=? comm=- errno=? reason=? seq=1 extra=a\\x20b"
        );
    }

    #[test]
    fn json_format() {
        assert_eq!(
            event_json(&fields(LINE)),
            r#"{"seq":7,"time":12345678901,"op":"file_open","class":"file","perms":"read,write","decision":"deny","mode":"enforce","domain":"agent","object":"/tmp/a b","pid":42,"comm":"cat","errno":"EACCES","reason":"rule"}"#
        );
        // Control characters and quotes are escaped as JSON; non-numbers stay strings.
        assert_eq!(
            event_json(&fields("pid=x object=\\x22\\x0a errno=13 comm=-")),
            r#"{"pid":"x","object":"\"\n","errno":"13","comm":""}"#
        );
        assert_eq!(lost_json(3), r#"{"lost":3}"#);
    }

    #[test]
    fn filters_and_counts() {
        let filter = Filter::parse("domain=b").ok();
        let mut m = monitor(Options {
            filter,
            count: Some(2),
            ..Options::default()
        });
        let input = [
            event(1, "a", "deny"),
            event(2, "b", "deny"),
            event(3, "b", "deny"),
            event(4, "b", "deny"),
        ]
        .concat();
        assert_eq!(m.feed(input.as_bytes()).expect("feed"), Flow::Done);
        assert_eq!(m.printed(), 2);
        let (out, err) = outputs(m);
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(out.lines().all(|l| l.contains(" b file_open")), "{out}");
        assert!(out.contains("seq=2") && out.contains("seq=3"), "{out}");
        assert_eq!(err, "");
    }

    #[test]
    fn lines_split_across_reads_are_joined() {
        let mut m = monitor(Options {
            json: true,
            ..Options::default()
        });
        let input = [event(1, "a", "deny"), event(2, "a", "allow")].concat();
        let (first, second) = input.split_at(50);
        assert_eq!(m.feed(first.as_bytes()).expect("feed"), Flow::Continue);
        assert_eq!(m.printed(), 0);
        assert_eq!(m.feed(second.as_bytes()).expect("feed"), Flow::Continue);
        // A last line without newline is handled at the end.
        m.feed(event(3, "a", "deny").trim_end().as_bytes())
            .expect("feed");
        assert_eq!(m.printed(), 2);
        assert_eq!(m.finish().expect("finish"), Flow::Continue);
        assert_eq!(m.printed(), 3);
        let (out, _) = outputs(m);
        assert!(out.lines().all(|l| l.starts_with("{\"seq\":")), "{out}");
    }

    #[test]
    fn lost_lines_pass_any_filter() {
        let filter = Filter::parse("domain=nobody").ok();
        let mut m = monitor(Options {
            filter: filter.clone(),
            ..Options::default()
        });
        m.feed(format!("{}lost=5\n{}", event(1, "a", "deny"), event(2, "a", "deny")).as_bytes())
            .expect("feed");
        let (out, err) = outputs(m);
        assert_eq!(out, "");
        assert_eq!(
            err,
            "tcp-monitor: 5 events dropped by the kernel (queue full)\n"
        );

        let mut m = monitor(Options {
            filter,
            json: true,
            ..Options::default()
        });
        m.feed(b"lost=5\n").expect("feed");
        let (out, err) = outputs(m);
        assert_eq!(out, "{\"lost\":5}\n");
        assert!(err.contains("5 events dropped"), "{err}");
    }

    #[test]
    fn unreadable_lines_are_reported_and_skipped() {
        let mut m = monitor(Options::default());
        m.feed(format!("\ngarbage\n{}", event(1, "a", "deny")).as_bytes())
            .expect("feed");
        assert_eq!(m.printed(), 1);
        let (_, err) = outputs(m);
        assert!(
            err.starts_with("tcp-monitor: skipping unreadable line 2 of the events file"),
            "{err}"
        );
    }

    #[test]
    fn run_reads_a_regular_file_to_its_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events");
        std::fs::write(
            &path,
            [
                event(1, "a", "deny"),
                "lost=2\n".into(),
                event(2, "b", "deny"),
            ]
            .concat(),
        )
        .expect("write");
        for realtime in [false, true] {
            let mut file = File::open(&path).expect("open");
            let mut m = monitor(Options {
                realtime,
                ..Options::default()
            });
            assert_eq!(
                run(&mut m, &mut file, &path, None).expect("run"),
                Stop::Drained
            );
            assert_eq!(m.printed(), 2);
        }
    }

    /// A writer whose reader is gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_output_ends_the_run_quietly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events");
        std::fs::write(&path, event(1, "a", "deny")).expect("write");
        let mut file = File::open(&path).expect("open");
        let mut m = Monitor::new(
            Options {
                realtime: true,
                ..Options::default()
            },
            ClosedPipe,
            Vec::new(),
        );
        assert_eq!(
            run(&mut m, &mut file, &path, None).expect("run"),
            Stop::OutputClosed
        );
        let (_, err) = m.into_parts();
        assert!(err.is_empty());
    }
}
