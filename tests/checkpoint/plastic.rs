//! Checkpoints of plastic models (filled in below).
