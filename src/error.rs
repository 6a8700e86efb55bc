//! Library errors. Each names the file, key, dataset or row at fault and says how to fix it;
//! `main` maps them to exit codes (2 for bad input, 1 otherwise).

use std::path::{Path, PathBuf};

/// Errors of the hebb library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file is malformed or a value is impossible. The message has the line.
    #[error("{path}: {message}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong, where (line) and the expected form.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause, part of the message (not a `source()`, which would print it twice in a
        /// chain).
        error: std::io::Error,
    },
    /// An HDF5 file could not be read or written, or lacks what it should have.
    #[error("{path}: {message}")]
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the dataset.
        message: String,
    },
    /// A data file (CSV) has a bad row.
    #[error("{path}: {message}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the row.
        message: String,
    },
    /// A parameter is impossible or an input does not suit the computation asked for. `what`
    /// names the option (as on the command line) or the input.
    #[error("{what}: {message}")]
    Invalid {
        /// The option (e.g. `--connections`) or the input.
        what: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl Error {
    /// The error of an I/O operation on `path`, for `map_err`.
    pub fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + Copy + '_ {
        move |error| Error::Io {
            path: path.to_owned(),
            error,
        }
    }

    /// True when the error comes from the user's input (exit code 2).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Error::Model { .. }
                | Error::Data { .. }
                | Error::Io { .. }
                | Error::Hdf5 { .. }
                | Error::Invalid { .. }
        )
    }
}

/// Result with the library's error.
pub type Result<T> = std::result::Result<T, Error>;
