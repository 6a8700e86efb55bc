//! Small HDF5 helpers shared by the readers and writers: opening inputs, creating outputs,
//! string attributes.

use hdf5::types::VarLenUnicode;
use std::path::Path;
use std::str::FromStr;

/// Opens an HDF5 file for reading, without HDF5's file lock (see [`create_output`]).
pub fn open_input(path: &Path) -> hdf5::Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(|p| {
            p.file_locking(false)
                .fclose_degree(hdf5::file::FileCloseDegree::Strong)
        })
        .open_as(path, hdf5::file::OpenMode::Read)
}

/// Creates (truncates) an HDF5 file for writing, without HDF5's file lock and with a strong
/// close (dropping the file closes it).
///
/// HDF5 opens files without close-on-exec and locks them with `flock`: a child process
/// started meanwhile (by any thread) inherits the descriptor and with it the lock, so that
/// opening the file again fails with `errno = 11` for as long as the child lives. Files are
/// written by one writer and only read otherwise; the lock buys nothing here.
pub fn create_output(path: &Path) -> hdf5::Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(|p| {
            p.file_locking(false)
                .fclose_degree(hdf5::file::FileCloseDegree::Strong)
        })
        .create(path)
}

/// Creates (truncates) an HDF5 file that is written over a long time and must stay readable
/// if the process is killed (a run's output): as [`create_output`], and metadata is kept in
/// memory until the next flush instead of being evicted to the file in between. The file on
/// disk then holds the metadata of the last flush, whole, whatever the moment of a kill;
/// without this, a SIGKILL between flushes left object headers half written ("bad object
/// header version number"). The metadata cache then grows with the file's metadata (chunk
/// indices: 12 MiB per GB written), so the run's recorder closes the file and opens it again
/// every 32 MiB it writes (`record::H5Recorder`).
pub fn create_log(path: &Path) -> hdf5::Result<hdf5::File> {
    log_options().create(path)
}

/// Opens a file made by [`create_log`] to write on (a resumed run's output), alike.
pub fn open_log(path: &Path) -> hdf5::Result<hdf5::File> {
    log_options().open_as(path, hdf5::file::OpenMode::ReadWrite)
}

fn log_options() -> hdf5::FileBuilder {
    use hdf5::plist::file_access::{
        CacheDecreaseMode, CacheIncreaseMode, FlashIncreaseMode, MetadataCacheConfig,
    };
    let mdc = MetadataCacheConfig {
        evictions_enabled: false,
        incr_mode: CacheIncreaseMode::Off,
        flash_incr_mode: FlashIncreaseMode::Off,
        decr_mode: CacheDecreaseMode::Off,
        ..MetadataCacheConfig::default()
    };
    let mut b = hdf5::File::with_options();
    b.with_fapl(|p| {
        p.file_locking(false)
            .fclose_degree(hdf5::file::FileCloseDegree::Strong)
            .mdc_config(&mdc)
    });
    b
}

/// Writes a scalar UTF-8 string attribute.
pub fn write_str_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v =
        VarLenUnicode::from_str(value).map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
    loc.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)?
        .write_scalar(&v)
}
