//! China's codes (being written).
