//! `K` state columns of `f64` (or `f32`), one value per neuron each, in a single allocation, each
//! starting at a different offset within a 4 KiB page.
//!
//! **Why.** A grid step reads and writes every column of a population at the same index, and
//! stores to one column are followed by loads from the others. With one allocation per column,
//! columns whose size is a multiple of 4 KiB (512 or 1,024 neurons of `f64`) start a few bytes
//! apart modulo 4 KiB, one after the other, and the processor takes a load from one column for
//! a reload of the store just made to the next (4K aliasing), waiting for it. Here column `k`
//! starts `k` strides into the allocation, with the stride (at least the number of neurons, in
//! whole cache lines) chosen so that no two columns start within [`APART`] bytes of each other
//! modulo 4 KiB.
//!
//! Measured with `cargo bench --bench engine -- burst2c` (1,000 steps of model A, the other
//! core idle), per 1,000 steps:
//!
//! | neurons | one allocation per column | `Columns` |
//! |---|---|---|
//! | 500 | 1.85 ms | 1.56 ms |
//! | 512 | 3.13 ms | 2.08 ms |
//! | 1,000 | 3.07 ms | 3.19 ms |
//! | 1,024 | 3.59 ms | 3.81 ms |
//! | 2,500 | 8.55 ms | 8.99 ms |
//!
//! The 512-neuron step went from 1.7 times the 500-neuron one to 1.3 times; the other sizes
//! moved within the bench's noise (about ±10 % between runs). The integer columns of
//! `burst2c` (counters and flags) are still allocations of their own.
//!
//! **Padding.** Each column has room for [`Columns::padded_len`] values: the number of neurons
//! rounded up to [`PAD`]. A step that runs over the padded length has no remainder after its
//! vector loop, which otherwise runs one lane at a time: with 512-bit vectors the compiler
//! steps 32 single-precision values per iteration, then 4 at a time, then 1, so a 250-neuron
//! population (a 500-neuron one cut in two) spent a tenth of its lanes outside the wide loop.
//! The padding lanes belong to no neuron; [`Columns::pad`] gives them values (a state at rest)
//! that a step may change freely.

/// The least distance (bytes, modulo 4 KiB) between the starts of any two columns.
pub const APART: usize = 256;

/// The padded length of every column is a multiple of this many values: two 512-bit vectors
/// of `f32`, the widest iteration of a step's loop.
pub const PAD: usize = 32;

/// `K` columns of `n` values each; see the module docs.
#[derive(Clone, Debug)]
pub struct Columns<const K: usize, T = f64> {
    buf: Vec<T>,
    n: usize,
    stride: usize,
}

impl<const K: usize, T: Copy + Default> Default for Columns<K, T> {
    fn default() -> Self {
        Columns::new(0, [T::default(); K])
    }
}

impl<const K: usize, T: Copy + Default> Columns<K, T> {
    /// `n` values per column, column `k` filled with `init[k]` (its padding too).
    pub fn new(n: usize, init: [T; K]) -> Self {
        let stride = stride(padded(n), K, size_of::<T>());
        let mut buf = vec![T::default(); stride * K];
        for (k, &x) in init.iter().enumerate() {
            buf[k * stride..k * stride + padded(n)].fill(x);
        }
        Columns { buf, n, stride }
    }

    /// The columns `cols`, which must all have the same length (padding filled with
    /// `T::default()`: see [`Columns::pad`]).
    pub fn from_vecs(cols: [Vec<T>; K]) -> Self {
        let n = cols.first().map_or(0, Vec::len);
        assert!(
            cols.iter().all(|c| c.len() == n),
            "columns of one population have one length"
        );
        let mut out = Columns::new(n, [T::default(); K]);
        for (k, c) in cols.iter().enumerate() {
            out.col_mut(k).copy_from_slice(c);
        }
        out
    }

    /// Values per column (neurons).
    pub fn len(&self) -> usize {
        self.n
    }

    /// Values per column including the padding: [`Columns::len`] rounded up to [`PAD`].
    pub fn padded_len(&self) -> usize {
        padded(self.n)
    }

    /// Sets the padding of column `k` to `values[k]`, for every column.
    pub fn pad(&mut self, values: [T; K]) {
        let (n, p) = (self.n, padded(self.n));
        for (k, &x) in values.iter().enumerate() {
            self.buf[k * self.stride + n..k * self.stride + p].fill(x);
        }
    }

    /// True without neurons.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Column `k`.
    #[inline]
    pub fn col(&self, k: usize) -> &[T] {
        &self.buf[k * self.stride..k * self.stride + self.n]
    }

    /// Column `k`, to change.
    #[inline]
    pub fn col_mut(&mut self, k: usize) -> &mut [T] {
        &mut self.buf[k * self.stride..k * self.stride + self.n]
    }

    /// Every column at once, to change, each [`Columns::padded_len`] long: the neurons'
    /// values, then the padding.
    #[inline]
    pub fn split_padded_mut(&mut self) -> [&mut [T]; K] {
        let n = padded(self.n);
        if self.stride == 0 {
            return std::array::from_fn(|_| <&mut [T]>::default());
        }
        let mut parts = self.buf.chunks_exact_mut(self.stride);
        std::array::from_fn(|_| {
            let c = parts.next().expect("K strides in the allocation");
            &mut c[..n]
        })
    }

    /// The values of neurons `idx` (local indices), in that order.
    pub fn subset(&self, idx: &[u32]) -> Self {
        Columns::from_vecs(std::array::from_fn(|k| super::pick(self.col(k), idx)))
    }
}

/// `n` rounded up to a multiple of [`PAD`].
fn padded(n: usize) -> usize {
    n.div_ceil(PAD) * PAD
}

/// The stride (values) of `k` columns of `n` values of `size` bytes (8 or 4): the least whole
/// number of 64-byte lines
/// at least `n` long such that the starts of any two columns are at least [`APART`] bytes
/// apart modulo 4 KiB. Any number of lines congruent to 4 modulo 64 keeps up to 16 columns
/// apart (multiples 4, 8, …, 60 of 64 bytes), so at most 64 lines are tried for those.
fn stride(n: usize, k: usize, size: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let line = 64 / size; // values per 64-byte line
    const LINES_PER_PAGE: usize = 4096 / 64;
    const MIN_LINES: usize = APART / 64;
    let apart = |lines: usize| {
        (1..k).all(|d| {
            let m = d * lines % LINES_PER_PAGE;
            (MIN_LINES..=LINES_PER_PAGE - MIN_LINES).contains(&m)
        })
    };
    let first = n.div_ceil(line);
    (first..first + LINES_PER_PAGE)
        .find(|&lines| apart(lines))
        .unwrap_or(first)
        * line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of columns starts at least `APART` bytes apart modulo 4 KiB, for the sizes
    /// that alias with one allocation per column and for others; the stride wastes less than
    /// a page per column.
    #[test]
    fn columns_start_apart_within_a_page() {
        for n in [
            1usize, 7, 8, 500, 512, 1000, 1024, 2048, 2500, 4096, 65536, 100_003,
        ] {
            for (k, size) in [2usize, 5, 12, 16]
                .into_iter()
                .flat_map(|k| [(k, 8), (k, 4)])
            {
                let (s, line) = (stride(n, k, size), 64 / size);
                assert!(s >= n && s.is_multiple_of(line), "n {n} k {k}: stride {s}");
                let page = 4096 / size;
                assert!(s < n + line + page, "n {n} k {k}: stride {s} wastes a page");
                for a in 0..k {
                    for b in a + 1..k {
                        let off = (b - a) * s * size % 4096;
                        assert!(
                            (APART..=4096 - APART).contains(&off),
                            "n {n} k {k} size {size}: columns {a} and {b} are {off} bytes apart"
                        );
                    }
                }
            }
        }
        assert_eq!(stride(0, 12, 8), 0);
    }

    #[test]
    fn columns_keep_their_values_apart() {
        let mut c = Columns::<3>::new(5, [1.0, 2.0, 3.0]);
        assert_eq!(c.col(1), &[2.0; 5]);
        c.col_mut(0)[4] = 9.0;
        let [a, b, x] = c.split_padded_mut();
        b[0] = 7.0;
        x[2] = 8.0;
        assert_eq!((a[4], a.len(), a[PAD - 1]), (9.0, PAD, 1.0));
        x[5] = 6.0;
        assert_eq!(c.col(1), &[7.0, 2.0, 2.0, 2.0, 2.0]);
        assert_eq!(c.col(2), &[3.0, 3.0, 8.0, 3.0, 3.0]);
        let s = c.subset(&[4, 0]);
        assert_eq!(
            (s.col(0), s.col(1), s.len()),
            (&[9.0, 1.0][..], &[2.0, 7.0][..], 2)
        );
        let mut v = Columns::<2>::from_vecs([vec![1.0, 2.0], vec![3.0, 4.0]]);
        assert_eq!(v.col(1), &[3.0, 4.0]);
        v.pad([-1.0, -2.0]);
        let [p0, p1] = v.split_padded_mut();
        assert_eq!((&p0[..3], p0.len()), (&[1.0, 2.0, -1.0][..], PAD));
        assert_eq!((&p1[1..3], p1[PAD - 1]), (&[4.0, -2.0][..], -2.0));
        let mut e = Columns::<4>::new(0, [0.0; 4]);
        assert!(e.is_empty() && e.split_padded_mut().iter().all(|c| c.is_empty()));
        let mut f = Columns::<2, f32>::new(3, [0.5, 1.5]);
        f.col_mut(1)[2] = 2.5;
        assert_eq!(
            (f.col(0), f.col(1)),
            (&[0.5f32; 3][..], &[1.5f32, 1.5, 2.5][..])
        );
    }
}
