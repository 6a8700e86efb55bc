//! Experiments: protocols that drive a model at run time (currents, plasticity switched on
//! and off) and report results with figures.
//!
//! - [`xor`]: the XOR task learned by burst-dependent plasticity (`specs/bdsp.md` §5).

pub mod plots;
pub mod xor;
