//! How the fields of a text log line are written: every value escaped, so none can break the line.
//!
//! Owns [`EscapedFields`], the field formatter of the text log format. Values from requests
//! (a user ID, an `sp` parameter, an Issuer, a RelayState, an error message quoting one) reach
//! log lines through many call sites; written raw, a CR or LF in one of them starts a line of
//! the attacker's own (a fake `audit: login result="ok"`), and an ESC drives the terminal a
//! log is read in. So the escaping happens here, once, for every field value and the message
//! of every event and span, as the JSON format does by being JSON: control characters become
//! `\n`, `\r`, `\t`, `\0` or `\u{1b}`, and so do the Unicode line separators and the
//! bidirectional controls that reorder what a reader sees. Everything else is written as the
//! default formatter writes it (`name=value`, the message bare), so the line stays readable.
//! It must not drop or shorten a value: what a field says is the call site's business.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;

/// The text format's field formatter (`tracing_subscriber::fmt().fmt_fields(EscapedFields)`).
#[derive(Debug, Default, Clone, Copy)]
pub struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut v = Visitor {
            out: Escape(writer),
            first: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

struct Visitor<'writer> {
    out: Escape<Writer<'writer>>,
    first: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    fn field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        // Metadata tracing-log adds to events bridged from the `log` crate, as the default
        // formatter leaves it out.
        if name.starts_with("log.") {
            return;
        }
        let sep = if self.first { "" } else { " " };
        self.first = false;
        // Field names are identifiers of the source code, not request data.
        self.result = if name == "message" {
            self.out.0.write_str(sep)
        } else {
            write!(self.out.0, "{sep}{name}=")
        }
        .and_then(|()| self.out.write_fmt(value));
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.field(field, format_args!("{value}"));
        } else {
            self.field(field, format_args!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, format_args!("{value:?}"));
    }
}

/// A writer that escapes what could end a line, or change how the rest of it reads.
struct Escape<W>(W);

/// Whether `c` is written escaped.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Line and paragraph separators (some viewers break lines there).
            '\u{2028}' | '\u{2029}'
            // Bidirectional marks, embeddings, overrides and isolates.
            | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl<W: fmt::Write> fmt::Write for Escape<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut clean = 0;
        for (i, c) in s.char_indices() {
            if !needs_escape(c) {
                continue;
            }
            self.0.write_str(&s[clean..i])?;
            match c {
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                '\0' => self.0.write_str("\\0")?,
                c => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
            }
            clean = i + c.len_utf8();
        }
        self.0.write_str(&s[clean..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(f: impl FnOnce()) -> String {
        let buf = Buf::default();
        let out = buf.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || out.clone())
            .with_ansi(false)
            .without_time()
            .fmt_fields(EscapedFields)
            .finish();
        tracing::subscriber::with_default(sub, f);
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn every_value_and_the_message_stay_on_one_line() {
        let evil = "x\r\n2026-01-01T00:00:00Z  INFO audit: login result=\"ok\" user=admin\u{1b}[2J\0\u{202e}";
        let text = logged(|| {
            let span = tracing::info_span!("req", relay = %evil);
            let _g = span.enter();
            tracing::info!(target: "audit", user = %evil, issuer = ?evil, plain = evil, "refused {evil}");
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains(['\r', '\u{1b}', '\0', '\u{202e}']), "{text}");
        assert!(
            text.contains("user=x\\r\\n2026-01-01T00:00:00Z  INFO audit"),
            "{text}"
        );
        assert!(text.contains("\\u{1b}[2J\\0\\u{202e}"), "{text}");
        assert!(text.contains("relay=x\\r\\n"), "{text}");
        assert!(text.contains("audit: refused x\\r\\n"), "{text}");
    }

    #[test]
    fn ordinary_lines_read_as_before() {
        let text = logged(|| {
            tracing::info!(target: "audit", result = "ok", user = %"agent1", n = 3, "login");
        });
        assert!(
            text.ends_with("audit: login result=\"ok\" user=agent1 n=3\n"),
            "{text}"
        );
        let text = logged(|| tracing::info!("listening on http://127.0.0.1:8043 (ü, 日本)"));
        assert!(
            text.ends_with("listening on http://127.0.0.1:8043 (ü, 日本)\n"),
            "{text}"
        );
    }
}
