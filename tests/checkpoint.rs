//! Checkpoints: a run cut at any time, saved and loaded into a freshly built network with any
//! number of shards, goes on exactly as the run that was never cut.

mod common;
#[path = "checkpoint/exact.rs"]
mod exact;
#[path = "checkpoint/grid.rs"]
mod grid;
#[path = "checkpoint/plastic.rs"]
mod plastic;

/// Spike sources only: the next listed spikes and the spikes in flight over delays of 1–3 ms.
#[test]
fn sources_and_spikes_in_flight_resume() {
    let m = common::model(
        r#"
[simulation]
duration = 60.0
seed = 1
[[population]]
name = "S"
size = 3
model = "spike_source"
spike_times = [[5.0, 19.5, 20.0, 40.0], [19.9], [1.0, 19.95, 50.0]]
[[population]]
name = "T"
size = 6
model = "spike_source"
spike_times = [[30.0], [], [], [], [], [55.0]]
"#,
    );
    common::assert_resumes(&m, 20.0, &[(1, 1), (1, 2), (2, 1), (3, 2)]);
}
