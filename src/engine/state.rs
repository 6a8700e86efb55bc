//! Dynamic state as named columns: what a checkpoint holds of a population, of plasticity and
//! of the engine.
//!
//! A [`Table`] is a set of rows (neurons, synapses, blocks of neurons…) with named columns of
//! plain numbers, `width` values per row. Populations write two tables
//! ([`crate::neuron::Population::save`]): `neurons`, one row per neuron in local order, which
//! the engine maps to global ids (so a checkpoint of any number of shards is one state of the
//! whole network), and `shared`, rows the population identifies itself by a key with a
//! meaning independent of the split (a block's first neuron in the whole population, say).
//! When shards are gathered, shared rows with equal keys are copies of one state and the
//! first is kept. Loading reverses it: a part gets its neurons' rows and every shared row.
//!
//! Times are stored as their ticks (`u64`), random streams as their four `u64` words
//! ([`rng_words`], [`rng_from`]).

use std::collections::BTreeMap;

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

use crate::time::Time;

/// The values of a column, of one element type.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Floating-point values (bit-exact).
    F64(Vec<f64>),
    /// Single-precision values (weights).
    F32(Vec<f32>),
    /// Unsigned integers, times in ticks, random stream words.
    U64(Vec<u64>),
    /// Signed integers.
    I64(Vec<i64>),
    /// Small unsigned integers, indices.
    U32(Vec<u32>),
    /// Bytes, flags.
    U8(Vec<u8>),
}

impl Values {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::U32(v) => v.len(),
            Values::U8(v) => v.len(),
        }
    }

    /// True if there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Values::F64(_) => "f64",
            Values::F32(_) => "f32",
            Values::U64(_) => "u64",
            Values::I64(_) => "i64",
            Values::U32(_) => "u32",
            Values::U8(_) => "u8",
        }
    }

    /// An empty column of the same type.
    fn empty_like(&self) -> Values {
        match self {
            Values::F64(_) => Values::F64(Vec::new()),
            Values::F32(_) => Values::F32(Vec::new()),
            Values::U64(_) => Values::U64(Vec::new()),
            Values::I64(_) => Values::I64(Vec::new()),
            Values::U32(_) => Values::U32(Vec::new()),
            Values::U8(_) => Values::U8(Vec::new()),
        }
    }

    /// Appends `width` values of `other` starting at row `row`.
    fn push_row(&mut self, other: &Values, row: usize, width: usize) {
        let r = row * width..(row + 1) * width;
        match (self, other) {
            (Values::F64(a), Values::F64(b)) => a.extend_from_slice(&b[r]),
            (Values::F32(a), Values::F32(b)) => a.extend_from_slice(&b[r]),
            (Values::U64(a), Values::U64(b)) => a.extend_from_slice(&b[r]),
            (Values::I64(a), Values::I64(b)) => a.extend_from_slice(&b[r]),
            (Values::U32(a), Values::U32(b)) => a.extend_from_slice(&b[r]),
            (Values::U8(a), Values::U8(b)) => a.extend_from_slice(&b[r]),
            _ => unreachable!("columns of one name have one type (checked by the caller)"),
        }
    }
}

/// An element type a column can hold.
pub trait Element: Copy + Default + 'static {
    /// Wraps a vector.
    fn wrap(v: Vec<Self>) -> Values;
    /// The slice if `v` holds this type.
    fn unwrap(v: &Values) -> Option<&[Self]>;
}

macro_rules! element {
    ($t:ty, $var:ident) => {
        impl Element for $t {
            fn wrap(v: Vec<Self>) -> Values {
                Values::$var(v)
            }
            fn unwrap(v: &Values) -> Option<&[Self]> {
                match v {
                    Values::$var(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
element!(f64, F64);
element!(f32, F32);
element!(u64, U64);
element!(i64, I64);
element!(u32, U32);
element!(u8, U8);

/// A column: `width` values per row, row after row.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Values per row.
    pub width: usize,
    /// The values.
    pub values: Values,
}

/// What is wrong with a state being loaded: which table and column, and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("state column `{column}`: {message}")]
pub struct StateError {
    /// The column (`table/name`).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// Rows with named columns; see the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Number of rows.
    pub rows: usize,
    /// Per row its key (empty for a neuron table, whose rows are its neurons in order).
    pub keys: Vec<u64>,
    /// The columns by name.
    pub cols: BTreeMap<String, Column>,
}

impl Table {
    /// An empty table of `rows` rows without keys.
    pub fn with_rows(rows: usize) -> Table {
        Table {
            rows,
            ..Table::default()
        }
    }

    /// A table whose rows have the given keys.
    pub fn keyed(keys: Vec<u64>) -> Table {
        Table {
            rows: keys.len(),
            keys,
            cols: BTreeMap::new(),
        }
    }

    /// Adds a column of `width` values per row.
    ///
    /// # Panics
    /// If the number of values is not `rows × width` (a bug of the caller).
    pub fn put<T: Element>(&mut self, name: &str, width: usize, values: Vec<T>) {
        assert_eq!(
            values.len(),
            self.rows * width,
            "column {name}: {} rows × {width}",
            self.rows
        );
        self.cols.insert(
            name.to_string(),
            Column {
                width,
                values: T::wrap(values),
            },
        );
    }

    /// Adds a column of times.
    pub fn put_times(&mut self, name: &str, times: impl IntoIterator<Item = Time>) {
        let v: Vec<u64> = times.into_iter().map(|t| t.0).collect();
        self.put(name, 1, v);
    }

    /// Adds a column of random streams (four words per row).
    pub fn put_rngs<'a>(
        &mut self,
        name: &str,
        rngs: impl IntoIterator<Item = &'a Xoshiro256PlusPlus>,
    ) {
        let v: Vec<u64> = rngs.into_iter().flat_map(rng_words).collect();
        self.put(name, 4, v);
    }

    /// The values of column `name`, which must have type `T` and `width` values per row.
    pub fn get<T: Element>(&self, name: &str, width: usize) -> Result<&[T], StateError> {
        let err = |message: String| StateError {
            column: name.to_string(),
            message,
        };
        let c = self
            .cols
            .get(name)
            .ok_or_else(|| err("missing (a checkpoint of another version or model?)".into()))?;
        let v = T::unwrap(&c.values).ok_or_else(|| {
            err(format!(
                "holds {} values, expected another type",
                c.values.type_name()
            ))
        })?;
        if c.width != width || v.len() != self.rows * width {
            return Err(err(format!(
                "{} values of width {}, expected {} rows × {width}",
                v.len(),
                c.width,
                self.rows
            )));
        }
        Ok(v)
    }

    /// Column `name` as times.
    pub fn get_times(&self, name: &str) -> Result<Vec<Time>, StateError> {
        Ok(self.get::<u64>(name, 1)?.iter().map(|&t| Time(t)).collect())
    }

    /// Column `name` as random streams.
    pub fn get_rngs(&self, name: &str) -> Result<Vec<Xoshiro256PlusPlus>, StateError> {
        Ok(self
            .get::<u64>(name, 4)?
            .chunks_exact(4)
            .map(|w| rng_from([w[0], w[1], w[2], w[3]]))
            .collect())
    }

    /// Checks that the table is whole: a key per row (or none), and `rows × width` values
    /// in every column. What this checks, the other methods assume.
    pub fn check(&self) -> Result<(), StateError> {
        if !self.keys.is_empty() && self.keys.len() != self.rows {
            return Err(StateError {
                column: "keys".into(),
                message: format!("{} keys for {} rows", self.keys.len(), self.rows),
            });
        }
        for (name, c) in &self.cols {
            let n = c.values.len();
            if Some(n) != self.rows.checked_mul(c.width) {
                return Err(StateError {
                    column: name.clone(),
                    message: format!("{n} values, not rows × width = {} × {}", self.rows, c.width),
                });
            }
        }
        Ok(())
    }

    /// The rows `idx` of this table (a part's neurons), keys included.
    pub fn pick(&self, idx: &[u32]) -> Table {
        let mut out = Table {
            rows: idx.len(),
            keys: if self.keys.is_empty() {
                Vec::new()
            } else {
                idx.iter().map(|&i| self.keys[i as usize]).collect()
            },
            cols: BTreeMap::new(),
        };
        for (name, c) in &self.cols {
            let mut v = c.values.empty_like();
            for &i in idx {
                v.push_row(&c.values, i as usize, c.width);
            }
            out.cols.insert(
                name.clone(),
                Column {
                    width: c.width,
                    values: v,
                },
            );
        }
        out
    }

    /// Scatters the rows of `part` to rows `at` of this table (which has `rows` rows and gets
    /// the part's columns on first use); rows never written stay zero.
    pub fn scatter(&mut self, part: &Table, at: &[u32]) -> Result<(), StateError> {
        for (name, c) in &part.cols {
            let rows = self.rows;
            let col = self.cols.entry(name.clone()).or_insert_with(|| Column {
                width: c.width,
                values: zeros_like(&c.values, rows * c.width),
            });
            if col.width != c.width
                || std::mem::discriminant(&col.values) != std::mem::discriminant(&c.values)
            {
                return Err(StateError {
                    column: name.clone(),
                    message: "parts disagree on its type or width".into(),
                });
            }
            let w = c.width;
            macro_rules! sc {
                ($a:expr, $b:expr) => {
                    for (k, &i) in at.iter().enumerate() {
                        let i = i as usize;
                        $a[i * w..(i + 1) * w].copy_from_slice(&$b[k * w..(k + 1) * w]);
                    }
                };
            }
            match (&mut col.values, &c.values) {
                (Values::F64(a), Values::F64(b)) => sc!(a, b),
                (Values::F32(a), Values::F32(b)) => sc!(a, b),
                (Values::U64(a), Values::U64(b)) => sc!(a, b),
                (Values::I64(a), Values::I64(b)) => sc!(a, b),
                (Values::U32(a), Values::U32(b)) => sc!(a, b),
                (Values::U8(a), Values::U8(b)) => sc!(a, b),
                _ => unreachable!("types checked above"),
            }
        }
        Ok(())
    }

    /// Adds the rows of keyed table `other` whose keys this table does not have yet (copies
    /// of one state in several shards: the first is kept); rows stay sorted by key.
    pub fn union(&mut self, other: &Table) -> Result<(), StateError> {
        if self.cols.is_empty() && self.rows == 0 {
            *self = other.clone();
            return self.sort_by_key();
        }
        let have: std::collections::HashSet<u64> = self.keys.iter().copied().collect();
        let new: Vec<u32> = (0..other.rows as u32)
            .filter(|&r| !have.contains(&other.keys[r as usize]))
            .collect();
        let add = other.pick(&new);
        for (name, c) in &add.cols {
            let col = self.cols.get_mut(name).ok_or_else(|| StateError {
                column: name.clone(),
                message: "present in one part only".into(),
            })?;
            if col.width != c.width {
                return Err(StateError {
                    column: name.clone(),
                    message: "parts disagree on its width".into(),
                });
            }
            for r in 0..add.rows {
                if std::mem::discriminant(&col.values) != std::mem::discriminant(&c.values) {
                    return Err(StateError {
                        column: name.clone(),
                        message: "parts disagree on its type".into(),
                    });
                }
                col.values.push_row(&c.values, r, c.width);
            }
        }
        self.keys.extend_from_slice(&add.keys);
        self.rows += add.rows;
        self.sort_by_key()
    }

    /// Sorts the rows by key.
    fn sort_by_key(&mut self) -> Result<(), StateError> {
        let mut order: Vec<u32> = (0..self.rows as u32).collect();
        order.sort_by_key(|&r| self.keys[r as usize]);
        if order.iter().enumerate().all(|(k, &r)| k == r as usize) {
            return Ok(());
        }
        *self = self.pick(&order);
        Ok(())
    }

    /// The row of key `k`, if any (keys sorted, as after [`Table::union`]).
    pub fn row_of(&self, k: u64) -> Option<usize> {
        self.keys.binary_search(&k).ok()
    }
}

fn zeros_like(v: &Values, n: usize) -> Values {
    match v {
        Values::F64(_) => Values::F64(vec![0.0; n]),
        Values::F32(_) => Values::F32(vec![0.0; n]),
        Values::U64(_) => Values::U64(vec![0; n]),
        Values::I64(_) => Values::I64(vec![0; n]),
        Values::U32(_) => Values::U32(vec![0; n]),
        Values::U8(_) => Values::U8(vec![0; n]),
    }
}

/// A population's state: see the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PopState {
    /// One row per neuron, in local order.
    pub neurons: Table,
    /// Rows keyed by the population, shared by the parts of a split population.
    pub shared: Table,
}

impl PopState {
    /// An empty state of a population of `n` neurons.
    pub fn new(n: usize) -> PopState {
        PopState {
            neurons: Table::with_rows(n),
            shared: Table::default(),
        }
    }
}

/// The four words of a random stream's state.
pub fn rng_words(rng: &Xoshiro256PlusPlus) -> [u64; 4] {
    #[derive(serde::Deserialize)]
    struct Words {
        s: [u64; 4],
    }
    let v = serde_json::to_value(rng).expect("a stream's state serialises");
    serde_json::from_value::<Words>(v)
        .expect("xoshiro256++ state is four words")
        .s
}

/// The random stream whose state is `words`.
pub fn rng_from(words: [u64; 4]) -> Xoshiro256PlusPlus {
    let mut seed = [0u8; 32];
    for (k, w) in words.iter().enumerate() {
        seed[8 * k..8 * k + 8].copy_from_slice(&w.to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn a_stream_continues_from_its_words() {
        let mut a = Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..5 {
            let _: u64 = a.random();
        }
        let mut b = rng_from(rng_words(&a));
        for _ in 0..100 {
            assert_eq!(a.random::<u64>(), b.random::<u64>());
        }
    }

    #[test]
    fn scatter_pick_and_union_round_trip() {
        let mut part = Table::with_rows(2);
        part.put("v", 2, vec![1.0f64, 2.0, 3.0, 4.0]);
        let mut whole = Table::with_rows(4);
        whole.scatter(&part, &[3, 1]).unwrap();
        assert_eq!(
            whole.get::<f64>("v", 2).unwrap(),
            &[0.0, 0.0, 3.0, 4.0, 0.0, 0.0, 1.0, 2.0]
        );
        assert_eq!(whole.pick(&[3, 1]), part);
        assert!(whole.get::<u64>("v", 2).is_err());
        assert!(whole.get::<f64>("v", 1).is_err());
        assert!(whole.get::<f64>("w", 1).is_err());

        let mut a = Table::keyed(vec![5, 2]);
        a.put("x", 1, vec![50u32, 20]);
        let mut b = Table::keyed(vec![2, 9]);
        b.put("x", 1, vec![99u32, 90]);
        let mut u = Table::default();
        u.union(&a).unwrap();
        u.union(&b).unwrap();
        assert_eq!(u.keys, vec![2, 5, 9]);
        assert_eq!(u.get::<u32>("x", 1).unwrap(), &[20, 50, 90]);
        assert_eq!(u.row_of(9), Some(2));
    }
}
