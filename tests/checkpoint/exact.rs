//! Checkpoints of exact models (filled in below).
