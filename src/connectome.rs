//! The connectome: neurons and synapses as columns, with a petgraph view for analysis.
//!
//! The engine never walks the graph (a `petgraph::Graph` costs 24 B/edge and walks edges added
//! in random order at ~200 ns each; the engine's CSR costs 8 B and ~3 ns); the graph is built on
//! demand for degree statistics, components and editing.

use crate::engine::SynapseColumns;
use petgraph::graph::{DiGraph, NodeIndex};

/// Neurons (by dense index; `population[i]` is neuron `i`'s population) and synapses.
#[derive(Clone, Debug, Default)]
pub struct Connectome {
    /// External id per neuron.
    pub ids: Vec<i64>,
    /// Population index per neuron.
    pub population: Vec<u16>,
    /// The synapses (dense indices).
    pub synapses: SynapseColumns,
}

/// A synapse as a graph edge.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct SynEdge {
    /// Weight.
    pub weight: f32,
    /// Delay (ms).
    pub delay_ms: f64,
}

/// Summary statistics of a sequence.
#[derive(Copy, Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Smallest value.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Largest value.
    pub max: f64,
    /// Standard deviation.
    pub std: f64,
}

impl Summary {
    /// Statistics of `xs` (zeros when empty).
    pub fn of(xs: impl IntoIterator<Item = f64>) -> Summary {
        let (mut n, mut sum, mut sq) = (0usize, 0.0, 0.0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for x in xs {
            n += 1;
            sum += x;
            sq += x * x;
            min = min.min(x);
            max = max.max(x);
        }
        if n == 0 {
            return Summary::default();
        }
        let mean = sum / n as f64;
        Summary {
            min,
            mean,
            max,
            std: (sq / n as f64 - mean * mean).max(0.0).sqrt(),
        }
    }
}

impl Connectome {
    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.ids.len()
    }

    /// The petgraph view: node weight = external id, edge weight = synapse.
    pub fn graph(&self) -> DiGraph<i64, SynEdge> {
        let mut g = DiGraph::with_capacity(self.ids.len(), self.synapses.len());
        for &id in &self.ids {
            g.add_node(id);
        }
        let s = &self.synapses;
        for k in 0..s.len() {
            g.add_edge(
                NodeIndex::new(s.pre[k] as usize),
                NodeIndex::new(s.post[k] as usize),
                SynEdge {
                    weight: s.weight[k],
                    delay_ms: s.delay[k].as_ms(),
                },
            );
        }
        g
    }

    /// In- and out-degree of every neuron.
    pub fn degrees(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.n_neurons();
        let (mut din, mut dout) = (vec![0u32; n], vec![0u32; n]);
        for k in 0..self.synapses.len() {
            dout[self.synapses.pre[k] as usize] += 1;
            din[self.synapses.post[k] as usize] += 1;
        }
        (din, dout)
    }

    /// Number of strongly connected components and the size of the largest (petgraph).
    pub fn strong_components(&self) -> (usize, usize) {
        let sccs = petgraph::algo::kosaraju_scc(&self.graph());
        (sccs.len(), sccs.iter().map(Vec::len).max().unwrap_or(0))
    }
}
