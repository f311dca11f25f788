//! Presentational components: props in, view out; no fetching here.

mod empty_state;
mod filter_bar;
mod inbox_cell;
mod inbox_tabs;
mod notice;

pub use empty_state::EmptyState;
pub use filter_bar::FilterBar;
pub use inbox_cell::{InboxCell, initials};
pub use inbox_tabs::InboxTabs;
pub use notice::Notice;
