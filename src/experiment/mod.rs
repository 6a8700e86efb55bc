//! Experiments: protocols that drive a model at run time (currents, plasticity switched on
//! and off) and report results with figures.
//!
//! - [`xor`]: the XOR task learned by burst-dependent plasticity (`specs/bdsp.md` §5).
//! - [`compare`]: variants of a model × seeds, their metrics and statistics
//!   (`specs/microcircuit.md`).

pub mod compare;
pub mod plots;
pub mod xor;
