//! The connectome: neurons (external ids and annotations) and connections (weight, delay,
//! synapse count, transmitter), stored as columns, with a petgraph view for analysis.
//!
//! Columns, not a graph, are the storage: a petgraph `DiGraph<NeuronNode, SynEdge>` takes
//! 36 B per edge (16 B of indices and the 20-B [`SynEdge`]) and 24 B per node, while the
//! engine's compiled CSR ([`crate::engine::Csr`]) takes 4–8 B per synapse. [`Connectome::graph`] builds the petgraph
//! view on demand (degree statistics, components, editing); [`Connectome::synapse_columns`]
//! feeds the compiler.
//!
//! Files follow the HDF5 schema of [`file`] (version 1, also the fly-style layout of published
//! FlyWire, larva and C. elegans exports).

pub mod file;
pub mod generate;
pub mod import;

use crate::engine::SynapseColumns;
use crate::time::Time;
use petgraph::graph::{DiGraph, NodeIndex};

/// A fast hasher for integer keys (neuron ids, `(pre, post)` pair keys): one multiply-xorshift
/// round (the SplitMix64 finaliser) per key. Loading 15 M connections looks up 30 M ids; with
/// std's SipHash that is about 1 s more than with this hasher. Not resistant to crafted keys:
/// a hostile file can only make loading slow.
#[derive(Clone, Copy, Default)]
pub(crate) struct IntHasher(u64);

impl std::hash::Hasher for IntHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        let mut z = (self.0 ^ x).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }

    #[inline]
    fn write_i64(&mut self, x: i64) {
        self.write_u64(x as u64);
    }

    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap`/`HashSet` hasher builder for integer keys ([`IntHasher`]).
pub(crate) type IntHash = std::hash::BuildHasherDefault<IntHasher>;

/// Run metadata of a connectome file (root attributes).
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// Short name.
    pub name: String,
    /// Where the data come from (paper, release, repository).
    pub source: String,
    /// The data's licence.
    pub license: String,
}

/// A per-neuron annotation column.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Integer codes, with labels when the file gives them (code `k` → `labels[k]`).
    Codes {
        /// One code per neuron.
        codes: Vec<i64>,
        /// Labels of the codes (may be empty).
        labels: Vec<String>,
    },
    /// Real numbers (e.g. a per-neuron parameter).
    Numbers(Vec<f64>),
    /// Free text (e.g. a neuron's name).
    Text(Vec<String>),
}

impl Column {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Column::Codes { codes, .. } => codes.len(),
            Column::Numbers(x) => x.len(),
            Column::Text(x) => x.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry of neuron `i` as text (a code's label when known).
    pub fn label(&self, i: usize) -> String {
        match self {
            Column::Codes { codes, labels } => {
                let c = codes[i];
                usize::try_from(c)
                    .ok()
                    .and_then(|k| labels.get(k))
                    .cloned()
                    .unwrap_or_else(|| c.to_string())
            }
            Column::Numbers(x) => x[i].to_string(),
            Column::Text(x) => x[i].clone(),
        }
    }

    /// The column as numbers, if it is numeric (codes count as numbers).
    pub fn numbers(&self) -> Option<Vec<f64>> {
        match self {
            Column::Codes { codes, .. } => Some(codes.iter().map(|&c| c as f64).collect()),
            Column::Numbers(x) => Some(x.clone()),
            Column::Text(_) => None,
        }
    }
}

/// A named per-neuron column.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// Column name (`/neurons/<name>`).
    pub name: String,
    /// The values.
    pub column: Column,
}

/// Neurotransmitter codes of the fly-style layout: index = code.
pub const TRANSMITTERS: [&str; 9] = [
    "unknown",
    "acetylcholine",
    "gaba",
    "glutamate",
    "dopamine",
    "serotonin",
    "octopamine",
    "histamine",
    "other",
];

/// Connections as columns (dense neuron indices). Optional columns are `None` when the file has
/// none; `count` defaults to one synapse per connection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edges {
    /// Presynaptic neuron (dense index).
    pub pre: Vec<u32>,
    /// Postsynaptic neuron (dense index).
    pub post: Vec<u32>,
    /// Synapses per connection (fly datasets); 1 when absent.
    pub count: Option<Vec<u32>>,
    /// Explicit weight (mV for `lif_delta`, pA for `lif_exp`).
    pub weight: Option<Vec<f32>>,
    /// Delay (ms).
    pub delay_ms: Option<Vec<f32>>,
    /// Transmitter code per connection (see [`Edges::transmitter_labels`]).
    pub transmitter: Option<Vec<u8>>,
    /// Labels of the transmitter codes (default [`TRANSMITTERS`]).
    pub transmitter_labels: Vec<String>,
}

impl Edges {
    /// Number of connections.
    pub fn len(&self) -> usize {
        self.pre.len()
    }

    /// True when there are no connections.
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty()
    }

    /// Synapse count of connection `k`.
    pub fn count(&self, k: usize) -> u32 {
        self.count.as_ref().map_or(1, |c| c[k])
    }

    /// Total number of synapses (sum of counts).
    pub fn n_synapses(&self) -> u64 {
        match &self.count {
            Some(c) => c.iter().map(|&x| x as u64).sum(),
            None => self.pre.len() as u64,
        }
    }

    /// The label of connection `k`'s transmitter, if known.
    pub fn transmitter_label(&self, k: usize) -> Option<&str> {
        let code = *self.transmitter.as_ref()?.get(k)? as usize;
        self.transmitter_labels.get(code).map(String::as_str)
    }
}

/// A neuron as a graph node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NeuronNode {
    /// Dense index (row of every `/neurons/` column).
    pub index: u32,
    /// External id.
    pub id: i64,
}

/// A connection as a graph edge.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct SynEdge {
    /// Weight (1 when the connectome has no weights).
    pub weight: f32,
    /// Delay (ms), if given.
    pub delay_ms: Option<f32>,
    /// Synapse count.
    pub count: u32,
    /// Transmitter code, if given.
    pub transmitter: Option<u8>,
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

/// Neurons with annotations and the connections between them.
#[derive(Clone, Debug, Default)]
pub struct Connectome {
    /// Name, source and licence.
    pub provenance: Provenance,
    /// External id per neuron (unique).
    pub ids: Vec<i64>,
    /// Per-neuron annotation columns, each of length `ids.len()`.
    pub annotations: Vec<Annotation>,
    /// The connections.
    pub edges: Edges,
}

impl Connectome {
    /// A connectome from engine synapse columns: ids `0..n`, a `population` annotation with the
    /// given names, weights and delays from the columns.
    pub fn from_columns(population: Vec<u16>, names: &[String], syn: SynapseColumns) -> Self {
        let n = population.len();
        Connectome {
            provenance: Provenance::default(),
            ids: (0..n as i64).collect(),
            annotations: vec![Annotation {
                name: "population".into(),
                column: Column::Codes {
                    codes: population.into_iter().map(i64::from).collect(),
                    labels: names.to_vec(),
                },
            }],
            edges: Edges {
                delay_ms: Some(syn.delay.iter().map(|d| d.as_ms() as f32).collect()),
                pre: syn.pre,
                post: syn.post,
                count: None,
                weight: Some(syn.weight),
                transmitter: None,
                transmitter_labels: Vec::new(),
            },
        }
    }

    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.ids.len()
    }

    /// The annotation column called `name`.
    pub fn annotation(&self, name: &str) -> Option<&Column> {
        self.annotations
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.column)
    }

    /// The petgraph view: one node per neuron (dense index order), one edge per connection.
    pub fn graph(&self) -> DiGraph<NeuronNode, SynEdge> {
        let e = &self.edges;
        let mut g = DiGraph::with_capacity(self.ids.len(), e.len());
        for (i, &id) in self.ids.iter().enumerate() {
            g.add_node(NeuronNode {
                index: i as u32,
                id,
            });
        }
        for k in 0..e.len() {
            g.add_edge(
                NodeIndex::new(e.pre[k] as usize),
                NodeIndex::new(e.post[k] as usize),
                SynEdge {
                    weight: e.weight.as_ref().map_or(1.0, |w| w[k]),
                    delay_ms: e.delay_ms.as_ref().map(|d| d[k]),
                    count: e.count(k),
                    transmitter: e.transmitter.as_ref().map(|t| t[k]),
                },
            );
        }
        g
    }

    /// The engine's synapse columns: weight and delay per connection from the given functions
    /// of the connection index (e.g. fly style: sign(transmitter) × count × w_syn).
    pub fn synapse_columns(
        &self,
        mut weight: impl FnMut(usize) -> f32,
        mut delay: impl FnMut(usize) -> Time,
    ) -> SynapseColumns {
        let mut s = SynapseColumns::default();
        for k in 0..self.edges.len() {
            s.push(self.edges.pre[k], self.edges.post[k], weight(k), delay(k));
        }
        s
    }

    /// In- and out-degree (connections) of every neuron.
    pub fn degrees(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.n_neurons();
        let (mut din, mut dout) = (vec![0u32; n], vec![0u32; n]);
        for (&a, &b) in self.edges.pre.iter().zip(&self.edges.post) {
            dout[a as usize] += 1;
            din[b as usize] += 1;
        }
        (din, dout)
    }

    /// Number of strongly connected components and the size of the largest (petgraph's
    /// Kosaraju, iterative, on a graph without weights: 16 B per connection instead of the 36 B
    /// of [`Connectome::graph`]).
    pub fn strong_components(&self) -> (usize, usize) {
        let e = &self.edges;
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(self.ids.len(), e.len());
        for _ in 0..self.ids.len() {
            g.add_node(());
        }
        g.extend_with_edges(e.pre.iter().zip(&e.post).map(|(&a, &b)| (a, b)));
        let sccs = petgraph::algo::kosaraju_scc(&g);
        (sccs.len(), sccs.iter().map(Vec::len).max().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Connectome {
        Connectome {
            provenance: Provenance::default(),
            ids: vec![10, 20, 30],
            annotations: vec![Annotation {
                name: "cell_type".into(),
                column: Column::Codes {
                    codes: vec![0, 1, 1],
                    labels: vec!["PN".into(), "KC".into()],
                },
            }],
            edges: Edges {
                pre: vec![0, 1, 2],
                post: vec![1, 2, 1],
                count: Some(vec![5, 7, 2]),
                weight: None,
                delay_ms: None,
                transmitter: Some(vec![1, 1, 2]),
                transmitter_labels: TRANSMITTERS.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    #[test]
    fn graph_carries_ids_counts_and_transmitters() {
        let c = tiny();
        let g = c.graph();
        assert_eq!(g.node_count(), 3);
        assert_eq!(g[NodeIndex::new(2)].id, 30);
        let e = g
            .edge_weights()
            .map(|e| (e.count, e.transmitter))
            .collect::<Vec<_>>();
        assert_eq!(e, vec![(5, Some(1)), (7, Some(1)), (2, Some(2))]);
        assert_eq!(c.edges.n_synapses(), 14);
        assert_eq!(c.edges.transmitter_label(2), Some("gaba"));
        assert_eq!(c.annotation("cell_type").unwrap().label(2), "KC");
        assert_eq!(c.strong_components(), (2, 2));
        assert_eq!(c.degrees(), (vec![0, 2, 1], vec![1, 1, 1]));
    }

    #[test]
    fn synapse_columns_apply_the_weight_rule() {
        let c = tiny();
        let sign = |k: usize| {
            if c.edges.transmitter_label(k) == Some("gaba") {
                -1.0
            } else {
                1.0
            }
        };
        let d = Time::from_ms(1.8).unwrap();
        let s = c.synapse_columns(|k| sign(k) * c.edges.count(k) as f32 * 0.5, |_| d);
        assert_eq!(s.weight, vec![2.5, 3.5, -1.0]);
        assert_eq!(s.delay[0], d);
    }
}
