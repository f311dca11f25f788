//! Presentational components: props in, view out; no fetching here.

mod action_sheet;
mod instance_view;
mod load_failed;
mod notice;

pub use action_sheet::{ActionBar, RemarkSheet};
pub use instance_view::InstanceView;
pub use load_failed::LoadFailed;
pub use notice::Notice;
