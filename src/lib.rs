//! hebb: exact, fast event-driven simulation of spiking networks and real connectomes.
//!
//! See `ARCHITECTURE.md` for the code map. The layers, bottom up: [`time`] and [`ids`];
//! [`neuron`] (models); [`engine`] (scheduler, compiled synapses, event loop); [`model`]
//! (model files → a built network); [`record`] (HDF5 output); [`analysis`] and [`plot`].
#![warn(missing_docs)]

pub mod analysis;
pub mod checkpoint;
pub mod connectome;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod h5;
pub mod ids;
pub mod inspect;
pub mod model;
pub mod neuron;
mod par;
/// Plasticity rules: traces, event/burst classification, BDSP, STDP, short-term plasticity.
pub mod plasticity;
pub mod plot;
pub mod record;
pub mod run;
pub mod stats;
pub mod time;
pub mod weights;
