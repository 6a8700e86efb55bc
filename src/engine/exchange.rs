//! The spike exchange between shards at the end of a window.
//!
//! [`SpikeExchange`] is all the shard loop knows of its peers: at each window's end a shard
//! hands over one batch per destination shard and its lower bound of the next event it can
//! cause, and gets back every spike sent to it and the smallest bound of all shards. Threads
//! on one machine use [`ChannelExchange`] (crossbeam channels); a transport between machines
//! (MPI's all-to-all) is another implementation of the same trait.

use crate::time::Time;
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use std::time::{Duration, Instant};

/// A spike in transit: its time and the sender's global neuron id.
pub type Spike = (Time, u32);

/// One shard's side of the window exchange.
pub trait SpikeExchange: Send {
    /// This shard's index.
    fn shard(&self) -> usize;
    /// Number of shards.
    fn shards(&self) -> usize;
    /// Sends `outgoing[d]` to shard `d` (this shard's own entry must be empty) together with
    /// `bound`, a lower bound of the time of anything this shard can still cause (its next
    /// queued entry; its sent spikes' deliveries). Leaves `outgoing`'s vectors empty. Every
    /// `send` is followed by one [`SpikeExchange::receive`] before the next `send`.
    fn send(&mut self, outgoing: &mut [Vec<Spike>], bound: Time);
    /// Appends every spike sent to this shard in the window of the last
    /// [`SpikeExchange::send`], in shard order, to `incoming`, and returns the smallest bound
    /// of all shards: nothing happens anywhere before it.
    fn receive(&mut self, incoming: &mut Vec<Spike>) -> Time;
    /// Time spent so far in [`SpikeExchange::receive`] waiting for other shards' batches (not
    /// counting batches that were already there).
    fn waited(&self) -> Duration;
    /// [`SpikeExchange::send`], then [`SpikeExchange::receive`].
    fn exchange(
        &mut self,
        outgoing: &mut [Vec<Spike>],
        bound: Time,
        incoming: &mut Vec<Spike>,
    ) -> Time {
        self.send(outgoing, bound);
        self.receive(incoming)
    }
    /// Bytes sent so far (spikes and bounds as they would go over a wire: 12 and 8 bytes).
    fn bytes_sent(&self) -> u64;
}

/// How long a shard polls an empty channel before it yields its core, and how long it yields
/// before it blocks. A blocked receiver is woken through the operating system, which costs
/// tens of microseconds on a virtual machine — more than a whole window of a network with
/// short delays — so with a thread per core a shard waits actively, as OpenMP runtimes do;
/// yielding first lets a recording thread run, and blocking after that keeps a stalled run
/// from burning a core.
const SPIN_FOR: Duration = Duration::from_micros(200);
const YIELD_FOR: Duration = Duration::from_millis(20);

/// The next batch from `rx`: taken if it is there, else polled (when `spin`), then yielded
/// for, then blocked on. Adds the time waited to `waited`.
///
/// **Why the clock is read only when waiting:** a read costs about 0.13 µs on this machine's
/// virtual clock, and at one window per 0.1 ms step two reads per window were 2 % of a
/// sharded run of `models/xor_bdsp.toml`; the batch is there already in about half the
/// windows.
fn receive(rx: &Receiver<Batch>, spin: bool, waited: &mut Duration) -> Batch {
    match rx.try_recv() {
        Ok(batch) => return batch,
        Err(TryRecvError::Empty) => {}
        Err(TryRecvError::Disconnected) => panic!("a shard hung up during the exchange"),
    }
    let start = Instant::now();
    if spin {
        let mut yielding = false;
        'wait: loop {
            for _ in 0..64 {
                match rx.try_recv() {
                    Ok(batch) => {
                        *waited += start.elapsed();
                        return batch;
                    }
                    Err(TryRecvError::Empty) if yielding => std::thread::yield_now(),
                    Err(TryRecvError::Empty) => std::hint::spin_loop(),
                    Err(TryRecvError::Disconnected) => break 'wait,
                }
            }
            let so_far = start.elapsed();
            if so_far >= YIELD_FOR {
                break 'wait;
            }
            yielding = so_far >= SPIN_FOR;
        }
    }
    let batch = rx.recv().expect("a shard hung up during the exchange");
    *waited += start.elapsed();
    batch
}

struct Batch {
    spikes: Vec<Spike>,
    bound: Time,
}

/// Batches to a shard, and its emptied buffers coming back.
type Outlet = (Sender<Batch>, Receiver<Vec<Spike>>);
/// Batches from a shard, and its emptied buffers going back.
type Inlet = (Receiver<Batch>, Sender<Vec<Spike>>);

/// Crossbeam channels between the threads of one process: one channel per ordered pair of
/// shards, and one back for the emptied buffers, so the steady state allocates nothing. The
/// channels are bounded (preallocated): a shard can be at most one window ahead of another,
/// so at most two batches are ever in flight between two shards.
pub struct ChannelExchange {
    me: usize,
    /// Whether to wait actively for a batch (not when shards outnumber cores).
    spin: bool,
    /// The bound sent with the last batches.
    bound: Time,
    /// Time spent waiting for batches.
    waited: Duration,
    /// Per destination: batches to it, and emptied buffers back from it.
    to: Vec<Option<Outlet>>,
    /// Per source: batches from it, and emptied buffers back to it.
    from: Vec<Option<Inlet>>,
    bytes: u64,
}

impl ChannelExchange {
    /// The connected endpoints of `shards` shards, in shard order.
    pub fn mesh(shards: usize) -> Vec<ChannelExchange> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut ends: Vec<ChannelExchange> = (0..shards)
            .map(|me| ChannelExchange {
                me,
                spin: shards <= cores,
                bound: Time::NEVER,
                waited: Duration::ZERO,
                to: (0..shards).map(|_| None).collect(),
                from: (0..shards).map(|_| None).collect(),
                bytes: 0,
            })
            .collect();
        for a in 0..shards {
            for b in 0..shards {
                if a != b {
                    let (batch_tx, batch_rx) = bounded(2);
                    let (back_tx, back_rx) = bounded(4);
                    ends[a].to[b] = Some((batch_tx, back_rx));
                    ends[b].from[a] = Some((batch_rx, back_tx));
                }
            }
        }
        ends
    }
}

impl SpikeExchange for ChannelExchange {
    fn shard(&self) -> usize {
        self.me
    }

    fn shards(&self) -> usize {
        self.to.len()
    }

    fn send(&mut self, outgoing: &mut [Vec<Spike>], bound: Time) {
        debug_assert!(
            outgoing[self.me].is_empty(),
            "a shard sends nothing to itself"
        );
        self.bound = bound;
        for (d, link) in self.to.iter().enumerate() {
            let Some((tx, back)) = link else { continue };
            // Swap in an emptied buffer that came back (none at the start: a new one).
            let spare = back.try_recv().unwrap_or_default();
            let spikes = std::mem::replace(&mut outgoing[d], spare);
            self.bytes += 12 * spikes.len() as u64 + 8;
            tx.send(Batch { spikes, bound })
                .expect("a shard hung up during the exchange");
        }
    }

    fn receive(&mut self, incoming: &mut Vec<Spike>) -> Time {
        let mut min = self.bound;
        for link in self.from.iter().flatten() {
            let (rx, back) = link;
            let mut batch = receive(rx, self.spin, &mut self.waited);
            incoming.extend_from_slice(&batch.spikes);
            min = min.min(batch.bound);
            batch.spikes.clear();
            // A full return channel (or a sender gone at the end of a run) drops the buffer.
            let _ = back.try_send(batch.spikes);
        }
        min
    }

    fn bytes_sent(&self) -> u64 {
        self.bytes
    }

    fn waited(&self) -> Duration {
        self.waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_gets_its_spikes_and_the_smallest_bound() {
        let ends = ChannelExchange::mesh(3);
        let results: Vec<(Vec<Spike>, Time)> = std::thread::scope(|s| {
            let handles: Vec<_> = ends
                .into_iter()
                .map(|mut ex| {
                    s.spawn(move || {
                        let me = ex.shard() as u32;
                        let mut out = vec![Vec::new(); 3];
                        for (d, o) in out.iter_mut().enumerate() {
                            if d != me as usize {
                                o.push((Time(me as u64), 10 * me + d as u32));
                            }
                        }
                        let mut inc = Vec::new();
                        let bound = ex.exchange(&mut out, Time(100 - me as u64), &mut inc);
                        assert!(out.iter().all(|o| o.is_empty()));
                        (inc, bound)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results[0].0, vec![(Time(1), 10), (Time(2), 20)]);
        assert_eq!(results[1].0, vec![(Time(0), 1), (Time(2), 21)]);
        assert_eq!(results[2].0, vec![(Time(0), 2), (Time(1), 12)]);
        assert!(results.iter().all(|r| r.1 == Time(98)));
    }
}
