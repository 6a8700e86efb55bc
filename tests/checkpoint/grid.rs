//! Checkpoints of grid models (filled in below).
