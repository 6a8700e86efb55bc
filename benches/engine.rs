//! Criterion benchmarks: scheduler push/pop (both implementations, on a dense and on a sparse
//! queue), delivery of one spike over
//! a 1,000-synapse row, a whole small network on one and on two shards, and one window-end
//! exchange between two shard threads, and steps of two-compartment (`burst2c`) neurons.

use criterion::{Criterion, criterion_group, criterion_main};
use hebb::engine::exchange::{ChannelExchange, SpikeExchange};
use hebb::engine::partition::{Partition, Placement};
use hebb::engine::queue::{CalendarQueue, Entry, HeapScheduler, Kind, Scheduler};
use hebb::engine::shard::ShardedSimulation;
use hebb::engine::{NullRecorder, Simulation, Weights};
use hebb::model::Model;
use hebb::model::build::build;
use hebb::neuron::burst2c::{self, Burst2c, Burst2cParams, Compartment};
use hebb::neuron::exact::ExactPopulation;
use hebb::neuron::lif_delta::{LifDeltaExact, LifParams};
use hebb::neuron::real::Real;
use hebb::neuron::{Ctx, Population, RefractoryInput};
use hebb::time::Time;
use std::hint::black_box;

/// A steady queue of `entries` entries: pop one, push one 0–2 ms later (LCG times), `pops`
/// times.
fn workload(q: &mut dyn Scheduler, entries: u32, pops: u32) {
    let mut x: u64 = 1;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x % 2_000_000_000
    };
    for i in 0..entries {
        q.push(Entry::new(Time(next()), Kind::Deliver, i, 0));
    }
    for i in 0..pops {
        let e = q.pop().expect("non-empty");
        q.push(Entry::new(Time(e.time.0 + next()), Kind::Deliver, i, 0));
    }
}

fn schedulers(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler_100k_pop_push");
    g.bench_function("heap", |b| {
        b.iter(|| workload(&mut HeapScheduler::default(), 10_000, 100_000))
    });
    g.bench_function("calendar", |b| {
        b.iter(|| {
            workload(
                &mut CalendarQueue::new(Time::from_ms(0.1).unwrap(), Time::from_ms(2.0).unwrap()),
                10_000,
                100_000,
            )
        })
    });
    g.finish();
    // A sparse queue on fine buckets: 100 entries, with buckets of 1e-6 ms (a network whose
    // smallest delay is a thousand ticks): about 20,000 buckets, almost all empty, between
    // two pops.
    let mut g = c.benchmark_group("scheduler_sparse_10k_pop_push");
    g.bench_function("heap", |b| {
        b.iter(|| workload(&mut HeapScheduler::default(), 100, 10_000))
    });
    g.bench_function("calendar", |b| {
        b.iter(|| {
            workload(
                &mut CalendarQueue::new(Time(1_000), Time(100_000_000)),
                100,
                10_000,
            )
        })
    });
    g.finish();
}

fn deliver_row(c: &mut Criterion) {
    let n = 10_000;
    let p = LifParams {
        tau_m: 20.0,
        c_m: 250.0,
        e_l: -70.0,
        v_th: -50.0,
        v_reset: -70.0,
        t_ref: 2.0,
        refractory_input: RefractoryInput::Discard,
    };
    let mut pop = ExactPopulation::new(LifDeltaExact::new(p, vec![-70.0; n], vec![0.0; n]), None);
    let targets: Vec<u32> = (0..1000).map(|i| (i * 7919 % n) as u32).collect();
    let weights = vec![0.01f32; 1000];
    let mut q = HeapScheduler::default();
    let mut spikes = Vec::new();
    let mut t = Time::from_ms(1.0).unwrap();
    c.bench_function("deliver_1000_synapse_row_lif_delta_exact", |b| {
        b.iter(|| {
            let mut ctx = Ctx {
                queue: &mut q,
                spikes: &mut spikes,
                offset: 0,
                window: Time::from_ms(1.0).unwrap(),
                spike_limit: usize::MAX,
            };
            pop.deliver(t, black_box(&targets), Weights::Each(&weights), &mut ctx);
            pop.end_tick(t, &mut ctx);
            t = t + Time(1_000_000);
        })
    });
}

const SMALL: &str = r#"
[simulation]
duration = 200.0
[[population]]
name = "E"
size = 1000
model = "lif_delta"
tau_m = 20.0
E_L = -49.0
V_th = -50.0
V_reset = -60.0
t_ref = 5.0
V_m = { uniform = [-60.0, -50.0] }
[[projection]]
source = "E"
target = "E"
rule = { pairwise_bernoulli = { p = 0.05 } }
weight = { uniform = [-0.5, 0.3] }
delay = 0.5
"#;

fn small_network(c: &mut Criterion) {
    let m = Model::parse(SMALL, std::path::Path::new("small.toml")).expect("bench model");
    c.bench_function("network_1000_lif_delta_exact_200ms", |b| {
        b.iter(|| {
            let net = build(&m, None, None).expect("builds");
            let stop = net.warmup + net.duration;
            let mut sim = Simulation::new(net.blueprint);
            sim.run_until(stop, &mut NullRecorder);
            black_box(sim.stats().spikes)
        })
    });
}

fn small_network_two_shards(c: &mut Criterion) {
    let m = Model::parse(SMALL, std::path::Path::new("small.toml")).expect("bench model");
    c.bench_function("network_1000_lif_delta_exact_200ms_2_shards", |b| {
        b.iter(|| {
            let net = build(&m, None, None).expect("builds");
            let stop = net.warmup + net.duration;
            let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
            let degrees = net.blueprint.in_degrees();
            let part = Partition::new(Placement::Balanced, &sizes, &degrees, 2);
            let mut sim = ShardedSimulation::new(net.blueprint, &part);
            sim.run_until(stop, &mut NullRecorder);
            black_box(sim.stats().spikes)
        })
    });
}

/// One window's end between two shard threads, two spikes each way.
fn exchange_round(c: &mut Criterion) {
    c.bench_function("exchange_round_2_threads", |b| {
        b.iter_custom(|rounds| {
            let ends = ChannelExchange::mesh(2);
            let t0 = std::time::Instant::now();
            std::thread::scope(|s| {
                for mut ex in ends {
                    s.spawn(move || {
                        let other = 1 - ex.shard();
                        let (mut out, mut incoming) = (vec![Vec::new(), Vec::new()], Vec::new());
                        for r in 0..rounds {
                            out[other].extend([(Time(r), 1), (Time(r), 2)]);
                            incoming.clear();
                            black_box(ex.exchange(&mut out, Time(r), &mut incoming));
                        }
                    });
                }
            });
            t0.elapsed()
        })
    });
}

/// 1,000 steps of two-compartment neurons (model A), a fifth of them driven to fire by 500 pA
/// into the soma, with 25 conductance inputs a step (the XOR background's order of
/// magnitude): the cost of a `burst2c` neuron-step. 2,500 neurons is the XOR network's size;
/// 512 and 1,024, whose columns are whole multiples of 4 KiB, show whether the state's
/// layout avoids 4K aliasing (`neuron::columns`), against 500 and 1,000; 2,500 again in
/// single precision (`precision = "single"`).
fn burst2c_steps(c: &mut Criterion) {
    for n in [500u32, 512, 1_000, 1_024, 2_500] {
        burst2c_steps_of::<f64>(c, n, "");
    }
    burst2c_steps_of::<f32>(c, 2_500, "_single");
}

fn burst2c_steps_of<R: Real>(c: &mut Criterion, n: u32, precision: &str) {
    c.bench_function(&format!("burst2c_{n}_neurons_1000_steps{precision}"), |b| {
        b.iter_custom(|iters| {
            let mut elapsed = std::time::Duration::ZERO;
            for _ in 0..iters {
                let mut pop =
                    Burst2c::<R>::with_precision(Burst2cParams::model_a(), n, 1, 0).expect("valid");
                for i in (0..n).step_by(5) {
                    pop.set_current(i, Compartment::Soma, 500.0);
                }
                let (mut spikes, mut x) = (Vec::new(), 1u64);
                let t0 = std::time::Instant::now();
                for _ in 0..1_000 {
                    spikes.clear();
                    pop.step(&mut spikes);
                    for _ in 0..25 {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let (c, r) = burst2c::of_port((x >> 62) as u8);
                        pop.add_conductance((x >> 32) as u32 % n, c, r, 0.05);
                    }
                }
                elapsed += t0.elapsed();
                black_box(spikes.len());
            }
            elapsed
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = schedulers, deliver_row, small_network, small_network_two_shards, exchange_round,
        burst2c_steps
}
criterion_main!(benches);
