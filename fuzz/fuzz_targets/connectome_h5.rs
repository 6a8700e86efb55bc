//! The connectome reader on HDF5 files of random structure and values: datasets at the
//! schema's paths (and others) with any element type, length and values, labels and
//! attributes from the input. Reading gives a connectome or an error, never a panic.
//!
//! `cargo +nightly fuzz run connectome_h5 fuzz/corpus/connectome_h5`

#![no_main]

use arbitrary::Arbitrary;
use hdf5::types::VarLenUnicode;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Place {
    NeuronsId,
    Pre,
    Post,
    PreIdx,
    PostIdx,
    Count,
    Weight,
    Delay,
    NtType,
    Nt,
    NeuronColumn(u8),
    NeuronColumnNames(u8),
    SynapseColumn(u8),
    NtLabels,
    Elsewhere(u8),
}

impl Place {
    fn path(&self) -> String {
        match self {
            Place::NeuronsId => "neurons/id".into(),
            Place::Pre => "synapses/pre".into(),
            Place::Post => "synapses/post".into(),
            Place::PreIdx => "synapses/pre_idx".into(),
            Place::PostIdx => "synapses/post_idx".into(),
            Place::Count => "synapses/count".into(),
            Place::Weight => "synapses/weight".into(),
            Place::Delay => "synapses/delay".into(),
            Place::NtType => "synapses/nt_type".into(),
            Place::Nt => "synapses/nt".into(),
            Place::NeuronColumn(k) => format!("neurons/c{}", k % 4),
            Place::NeuronColumnNames(k) => format!("neurons/c{}_names", k % 4),
            Place::SynapseColumn(k) => format!("synapses/s{}", k % 2),
            Place::NtLabels => "meta/nt_labels".into(),
            Place::Elsewhere(k) => format!("g{}/d", k % 2),
        }
    }
}

/// Values of a dataset. Small integers make ids and indices that refer to each other.
#[derive(Arbitrary, Debug)]
enum Values {
    Small(Vec<u8>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    U8(Vec<u8>),
    F64(Vec<f64>),
    F32(Vec<f32>),
    Text(Vec<String>),
    Matrix(Vec<[i64; 2]>),
    Scalar(i64),
}

#[derive(Arbitrary, Debug)]
enum Attr {
    Labels(Vec<String>),
    LabelsText(String),
    LabelsNumber(i64),
    Unit(String),
}

#[derive(Arbitrary, Debug)]
struct Dataset {
    place: Place,
    values: Values,
    attr: Option<Attr>,
}

#[derive(Arbitrary, Debug)]
struct File {
    format: Option<String>,
    version: Option<i64>,
    datasets: Vec<Dataset>,
    column: u8,
}

/// `s` as an HDF5 string (without NULs, which HDF5 strings cannot hold).
fn text(s: &str) -> VarLenUnicode {
    s.replace('\0', "").parse().unwrap_or_default()
}

/// Writes the string attribute `name` = `s` on `loc`.
fn put_text(loc: &hdf5::Location, name: &str, s: &str) -> hdf5::Result<()> {
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&text(s))
}

fn write(path: &std::path::Path, f: &File) -> hdf5::Result<()> {
    let file = hdf5::File::create(path)?;
    if let Some(s) = &f.format {
        put_text(&file, "format", s)?;
    }
    if let Some(v) = f.version {
        file.new_attr::<i64>().create("version")?.write_scalar(&v)?;
    }
    for d in &f.datasets {
        let path = d.place.path();
        if file.link_exists(&path) {
            continue;
        }
        let group = path.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        if !group.is_empty() && !file.link_exists(group) {
            file.create_group(group)?;
        }
        let ds = match &d.values {
            Values::Small(v) => {
                let v: Vec<i64> = v.iter().map(|&x| i64::from(x % 16)).collect();
                file.new_dataset_builder()
                    .with_data(&v)
                    .create(path.as_str())?
            }
            Values::I64(v) => file
                .new_dataset_builder()
                .with_data(v)
                .create(path.as_str())?,
            Values::I32(v) => file
                .new_dataset_builder()
                .with_data(v)
                .create(path.as_str())?,
            Values::U8(v) => file
                .new_dataset_builder()
                .with_data(v)
                .create(path.as_str())?,
            Values::F64(v) => file
                .new_dataset_builder()
                .with_data(v)
                .create(path.as_str())?,
            Values::F32(v) => file
                .new_dataset_builder()
                .with_data(v)
                .create(path.as_str())?,
            Values::Text(v) => {
                let v: Vec<VarLenUnicode> = v.iter().map(|s| text(s)).collect();
                file.new_dataset_builder()
                    .with_data(&v)
                    .create(path.as_str())?
            }
            Values::Matrix(v) => {
                let flat: Vec<i64> = v.iter().flatten().copied().collect();
                let a = ndarray::Array2::from_shape_vec((v.len(), 2), flat).expect("n × 2");
                file.new_dataset_builder()
                    .with_data(&a)
                    .create(path.as_str())?
            }
            Values::Scalar(x) => {
                let ds = file.new_dataset::<i64>().create(path.as_str())?;
                ds.write_scalar(x)?;
                ds
            }
        };
        match &d.attr {
            Some(Attr::Labels(l)) => put_text(&ds, "labels", &format!("{l:?}"))?,
            Some(Attr::LabelsText(s)) => put_text(&ds, "labels", s)?,
            Some(Attr::LabelsNumber(x)) => {
                ds.new_attr::<i64>().create("labels")?.write_scalar(x)?;
            }
            Some(Attr::Unit(s)) => put_text(&ds, "unit", s)?,
            None => {}
        }
    }
    Ok(())
}

fuzz_target!(|f: File| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("c.h5");
    if write(&path, &f).is_err() {
        return;
    }
    let _ = hebb::connectome::file::read(&path);
    let _ = hebb::connectome::file::read_column(&path, &format!("c{}", f.column % 4));
});
