//! Presentational components: props in, view out; no fetching here.

mod action_sheet;
mod empty_state;
mod filter_bar;
mod inbox_cell;
mod inbox_tabs;
mod instance_view;
mod load_failed;
mod notice;

pub use action_sheet::{ActionBar, RemarkSheet};
pub use empty_state::EmptyState;
pub use filter_bar::FilterBar;
pub use inbox_cell::{InboxCell, initials};
pub use inbox_tabs::InboxTabs;
pub use instance_view::InstanceView;
pub use load_failed::LoadFailed;
pub use notice::Notice;
