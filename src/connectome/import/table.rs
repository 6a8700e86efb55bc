//! Reading delimited tables (plain or gzip-compressed) as a stream of byte records, and the
//! field parsers every importer shares. Nothing here allocates per row: records are reused
//! and integers are parsed from the bytes.

use crate::error::{Error, Result};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Size of the read buffers (decompressed and compressed side).
const BUF: usize = 1 << 20;

/// A table being read: the file, its header and the reader positioned after it.
pub(super) struct Table {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read>>,
    header: Vec<String>,
    /// What the file is, for messages ("Codex connections table").
    what: &'static str,
}

impl Table {
    /// Opens a comma-separated table; gzip is recognised by its magic bytes, not the name.
    pub(super) fn open(path: &Path, what: &'static str) -> Result<Table> {
        Self::open_with(path, what, b',')
    }

    /// Opens a table with the given delimiter.
    pub(super) fn open_with(path: &Path, what: &'static str, delimiter: u8) -> Result<Table> {
        let io = Error::io(path);
        let mut file = BufReader::with_capacity(BUF, File::open(path).map_err(io)?);
        let gz = {
            use std::io::BufRead;
            file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b])
        };
        let stream: Box<dyn Read> = if gz {
            Box::new(Pipe::spawn(MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .buffer_capacity(BUF)
            .has_headers(true)
            .from_reader(stream);
        let mut t = Table {
            path: path.to_owned(),
            reader,
            header: Vec::new(),
            what,
        };
        let header = t.reader.byte_headers().cloned();
        let header = header.map_err(|e| t.csv_err(e))?;
        t.header = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_owned())
            .collect();
        Ok(t)
    }

    /// An error about this file.
    pub(super) fn err(&self, message: String) -> Error {
        Error::Data {
            path: self.path.clone(),
            message,
        }
    }

    /// An error about the field `column` of the record on `line`.
    pub(super) fn field_err(&self, line: u64, column: usize, message: String) -> Error {
        self.err(format!(
            "line {line}, column `{}`: {message}",
            self.header.get(column).map_or("?", String::as_str)
        ))
    }

    fn csv_err(&self, e: csv::Error) -> Error {
        let line = e.position().map_or(0, |p| p.line());
        let message = match e.into_kind() {
            csv::ErrorKind::Io(io) => format!(
                "cannot read the {} near line {line}: {io}; the file is truncated or corrupt \
                 (if it is gzip-compressed, check it with `gzip -t` and download it again)",
                self.what
            ),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!(
                "line {line} has {len} fields but the header has {expected_len}; every row of \
                 the {} needs one value per column",
                self.what
            ),
            other => format!("line {line}: {other:?}"),
        };
        self.err(message)
    }

    /// The index of column `name`, or an error naming the header found.
    pub(super) fn column(&self, name: &str) -> Result<usize> {
        self.optional_column(name).ok_or_else(|| {
            self.err(format!(
                "no column `{name}`; the header is `{}`; a {} needs the column `{name}` (see \
                 connectomes/SCHEMA.md, \"Importers\")",
                self.header.join(","),
                self.what
            ))
        })
    }

    /// The index of column `name`, if the header has it.
    pub(super) fn optional_column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The header's column names.
    pub(super) fn header(&self) -> &[String] {
        &self.header
    }

    /// Reads the next record into `rec`; false at the end.
    pub(super) fn next(&mut self, rec: &mut csv::ByteRecord) -> Result<bool> {
        self.reader
            .read_byte_record(rec)
            .map_err(|e| self.csv_err(e))
    }

    /// The line of `rec` in the file (1 is the header).
    pub(super) fn line(rec: &csv::ByteRecord) -> u64 {
        rec.position().map_or(0, |p| p.line())
    }

    /// Field `column` of `rec` without surrounding blanks.
    pub(super) fn bytes(rec: &csv::ByteRecord, column: usize) -> &[u8] {
        rec.get(column).unwrap_or_default().trim_ascii()
    }

    /// Field `column` as an integer id.
    pub(super) fn id(&self, rec: &csv::ByteRecord, column: usize) -> Result<i64> {
        let b = Self::bytes(rec, column);
        parse_i64(b).ok_or_else(|| {
            self.field_err(
                Self::line(rec),
                column,
                format!(
                    "{:?} is not an integer id; ids are whole numbers such as 720575940603464672",
                    String::from_utf8_lossy(b)
                ),
            )
        })
    }

    /// Field `column` as a synapse count (an integer ≥ 1).
    pub(super) fn count(&self, rec: &csv::ByteRecord, column: usize) -> Result<u32> {
        let b = Self::bytes(rec, column);
        match parse_i64(b) {
            Some(c) if c >= 1 && c <= u32::MAX as i64 => Ok(c as u32),
            Some(c) => Err(self.field_err(
                Self::line(rec),
                column,
                format!("{c} synapses; a connection has at least 1 synapse (drop the row)"),
            )),
            None => Err(self.field_err(
                Self::line(rec),
                column,
                format!(
                    "{:?} is not a synapse count; counts are whole numbers ≥ 1",
                    String::from_utf8_lossy(b)
                ),
            )),
        }
    }

    /// Field `column` as a number; empty is NaN.
    pub(super) fn number(&self, rec: &csv::ByteRecord, column: usize) -> Result<f64> {
        let b = Self::bytes(rec, column);
        if b.is_empty() {
            return Ok(f64::NAN);
        }
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or_else(|| {
                self.field_err(
                    Self::line(rec),
                    column,
                    format!(
                        "{:?} is not a number (leave it empty when unknown)",
                        String::from_utf8_lossy(b)
                    ),
                )
            })
    }
}

/// A reader fed by another thread: decompression runs beside parsing. On two cores this takes
/// a whole-brain import from the sum of the two (gzip inflate ≈ 45 % of the time) to about
/// the larger. Dropping the pipe (a table read to its end, or abandoned on an error) stops
/// the thread and waits for it, so no thread outlives its table (the `import_csv` fuzzer's
/// leak checker caught one still running after a failed import).
struct Pipe {
    /// `None` once dropped (the thread's next send then fails and it stops).
    full: Option<crossbeam_channel::Receiver<std::io::Result<Vec<u8>>>>,
    empty: crossbeam_channel::Sender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Pipe {
    fn drop(&mut self) {
        drop(self.full.take());
        if let Some(w) = self.worker.take() {
            // The thread only reads and sends: it cannot have panicked but for a panic of
            // the decoder, which has nothing more to say here.
            let _ = w.join();
        }
    }
}

impl Pipe {
    fn spawn<R: Read + Send + 'static>(mut inner: R) -> Pipe {
        let (full_tx, full) = crossbeam_channel::bounded(4);
        let (empty, empty_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
        let worker = std::thread::spawn(move || {
            loop {
                let mut b = empty_rx.try_recv().unwrap_or_default();
                b.resize(BUF, 0);
                let r = read_full(&mut inner, &mut b).map(|n| {
                    b.truncate(n);
                    b
                });
                let stop = !matches!(&r, Ok(b) if !b.is_empty());
                // The receiver is gone when the table was abandoned (an error): stop quietly.
                if full_tx.send(r).is_err() || stop {
                    return;
                }
            }
        });
        Pipe {
            full: Some(full),
            empty,
            buf: Vec::new(),
            pos: 0,
            worker: Some(worker),
        }
    }
}

/// Reads until `b` is full or the stream ends; the number of bytes read.
fn read_full(r: &mut impl Read, b: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < b.len() {
        match r.read(&mut b[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Read for Pipe {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            let Some(Ok(next)) = self.full.as_ref().map(|f| f.recv()) else {
                return Ok(0); // the reader thread ended after the last block
            };
            let next = next?;
            let old = std::mem::replace(&mut self.buf, next);
            let _ = self.empty.send(old);
            self.pos = 0;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Parses a decimal integer (optional sign) from bytes; `None` for anything else.
pub(super) fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::{Pipe, parse_i64};
    use std::io::Read;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// An endless, slow stream that notes when it is dropped (its reading thread has ended).
    struct Slow(Arc<AtomicBool>);
    impl Read for Slow {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            std::thread::sleep(std::time::Duration::from_millis(20));
            out.fill(b'x');
            Ok(out.len())
        }
    }
    impl Drop for Slow {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn an_abandoned_pipe_leaves_no_thread_behind() {
        let ended = Arc::new(AtomicBool::new(false));
        let mut pipe = Pipe::spawn(Slow(ended.clone()));
        let mut b = [0u8; 1];
        assert_eq!(pipe.read(&mut b).expect("reads"), 1);
        drop(pipe);
        assert!(
            ended.load(Ordering::SeqCst),
            "the reading thread still runs"
        );
    }

    #[test]
    fn integers_parse_from_bytes() {
        assert_eq!(parse_i64(b"720575940603464672"), Some(720575940603464672));
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"+5"), Some(5));
        for bad in [&b""[..], b"-", b"1.0", b"12a", b"99999999999999999999"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }
}
