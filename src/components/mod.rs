//! Presentational components: props in, view out; no fetching here.

mod notice;

pub use notice::Notice;
