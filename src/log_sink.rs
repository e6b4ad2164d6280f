//! Where log lines go: standard output, one `write` per line, without std's stdout lock.
//!
//! Owns [`LogSink`], the writer the log subscriber formats into. Every login writes an audit
//! line, and both runtime workers write them: through `std::io::stdout()` each line takes a
//! process-wide lock, and two workers meeting on it put one to sleep and wake it again. The
//! subscriber formats a whole event first and hands it over in one call, so the lock buys
//! nothing here: `LogSink` writes that line with a single `write(2)` on its own descriptor for
//! standard output. The kernel keeps concurrent writes whole: it serializes them on a file's
//! position, and on a pipe (a journal, a collector) a write of up to PIPE_BUF (4096) bytes is
//! never interleaved; a line is far shorter than that.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;

/// Standard output for log lines. Made once at start.
pub enum LogSink {
    /// A descriptor of our own for the open standard output (a `dup` of it).
    Fd(File),
    /// Standard output could not be duplicated (it is closed): std's stdout, which drops
    /// what it cannot write.
    Std,
}

impl LogSink {
    pub fn stdout() -> LogSink {
        match std::io::stdout().as_fd().try_clone_to_owned() {
            Ok(fd) => LogSink::Fd(File::from(fd)),
            Err(_) => LogSink::Std,
        }
    }
}

/// What one event is written through.
pub enum LineWriter<'a> {
    Fd(&'a File),
    Std(std::io::Stdout),
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            LineWriter::Fd(f) => f.write(buf),
            LineWriter::Std(s) => s.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            LineWriter::Fd(f) => f.write_all(buf),
            LineWriter::Std(s) => s.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            LineWriter::Fd(_) => Ok(()),
            LineWriter::Std(s) => s.flush(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        match self {
            LogSink::Fd(f) => LineWriter::Fd(f),
            LogSink::Std => LineWriter::Std(std::io::stdout()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    #[test]
    fn lines_from_many_threads_arrive_whole_and_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let out = LogSink::Fd(File::create(&path).unwrap());
        let (threads, lines) = (4, 2000);
        std::thread::scope(|s| {
            for t in 0..threads {
                let out = &out;
                s.spawn(move || {
                    for i in 0..lines {
                        let line = format!("thread {t} line {i} {}\n", "x".repeat(100 + i % 50));
                        out.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let mut seen = vec![0usize; threads];
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 5, "a line cut or mixed with another: {line:?}");
            let (t, i): (usize, usize) = (parts[1].parse().unwrap(), parts[3].parse().unwrap());
            assert_eq!(parts[4].len(), 100 + i % 50, "{line:?}");
            assert_eq!(i, seen[t], "thread {t}'s lines out of order");
            seen[t] += 1;
        }
        assert_eq!(seen, vec![lines; threads]);
    }

    #[test]
    fn standard_output_is_duplicated() {
        assert!(matches!(LogSink::stdout(), LogSink::Fd(_)));
    }
}
