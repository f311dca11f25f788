//! The inbox's local cache (stale-while-revalidate): the last first page of each tab + filter and the box counts,
//! kept in `localStorage` under the user's id, so a reopened inbox shows them at once while the fresh answer loads.
//!
//! One key per user (`shenpi.inbox.<userid>`); another user's key is never read, and keeping this user's cache
//! drops the others', so a shared phone does not keep a former user's approvals.

use api_types::{InboxCounts, InboxPage};
use serde::{Deserialize, Serialize};

use crate::routes::{InboxQuery, Page};

const PREFIX: &str = "shenpi.inbox.";

/// How many tab + filter pages are kept; the least recently kept goes first.
pub const MAX_PAGES: usize = 8;

/// What is kept for one user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InboxCache {
    /// The box counts.
    #[serde(default)]
    pub counts: Option<InboxCounts>,
    /// First pages by [`cache_key`], most recently kept last.
    #[serde(default)]
    pub pages: Vec<(String, InboxPage)>,
}

/// The key of a query's first page: its URL with the tab always spelled out.
pub fn cache_key(query: &InboxQuery) -> String {
    let query = InboxQuery { tab: Some(query.tab()), ..query.clone() };
    Page::Inbox(query).path()
}

impl InboxCache {
    /// The kept first page of `query`.
    pub fn page(&self, query: &InboxQuery) -> Option<&InboxPage> {
        let key = cache_key(query);
        self.pages.iter().find(|(k, _)| *k == key).map(|(_, page)| page)
    }

    /// Keeps `page` as the first page of `query`, dropping the oldest beyond [`MAX_PAGES`].
    pub fn put_page(&mut self, query: &InboxQuery, page: &InboxPage) {
        let key = cache_key(query);
        self.pages.retain(|(k, _)| *k != key);
        self.pages.push((key, page.clone()));
        let excess = self.pages.len().saturating_sub(MAX_PAGES);
        self.pages.drain(..excess);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The cache of `user_id`; empty when there is none or it cannot be read.
pub fn load(user_id: &str) -> InboxCache {
    storage()
        .and_then(|s| s.get_item(&format!("{PREFIX}{user_id}")).ok().flatten())
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .unwrap_or_default()
}

/// Changes the cache of `user_id` with `change` and keeps it, dropping every other user's cache.
pub fn update(user_id: &str, change: impl FnOnce(&mut InboxCache)) {
    let Some(storage) = storage() else { return };
    let mut cache = load(user_id);
    change(&mut cache);
    let own = format!("{PREFIX}{user_id}");
    let length = storage.length().unwrap_or(0);
    let others: Vec<String> = (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX) && *k != own)
        .collect();
    for key in others {
        let _ = storage.remove_item(&key);
    }
    if let Ok(raw) = serde_json::to_string(&cache) {
        // A full storage only costs the next open its head start.
        let _ = storage.set_item(&own, &raw);
    }
}

#[cfg(test)]
mod tests {
    use api_types::InboxBox;

    use super::*;

    fn page(cursor: &str) -> InboxPage {
        InboxPage { items: Vec::new(), next_cursor: Some(cursor.to_owned()) }
    }

    #[test]
    fn the_default_tab_and_an_explicit_todo_share_one_entry() {
        let mut cache = InboxCache::default();
        cache.put_page(&InboxQuery::default(), &page("a"));
        let todo = InboxQuery { tab: Some(InboxBox::Todo), ..Default::default() };
        assert_eq!(cache.page(&todo), Some(&page("a")));
        let done = InboxQuery { tab: Some(InboxBox::Done), ..Default::default() };
        assert_eq!(cache.page(&done), None);
    }

    #[test]
    fn filters_are_part_of_the_key() {
        let mut cache = InboxCache::default();
        let search = InboxQuery { q: Some("报销".into()), ..Default::default() };
        cache.put_page(&search, &page("q"));
        assert_eq!(cache.page(&InboxQuery::default()), None);
        assert_eq!(cache.page(&search), Some(&page("q")));
    }

    #[test]
    fn keeping_a_page_again_replaces_it_and_the_oldest_go_beyond_the_limit() {
        let mut cache = InboxCache::default();
        let queries: Vec<InboxQuery> =
            (0..MAX_PAGES + 2).map(|i| InboxQuery { q: Some(i.to_string()), ..Default::default() }).collect();
        for query in &queries {
            cache.put_page(query, &page("old"));
        }
        cache.put_page(&queries[MAX_PAGES + 1], &page("new"));
        assert_eq!(cache.pages.len(), MAX_PAGES);
        assert_eq!(cache.page(&queries[0]), None);
        assert_eq!(cache.page(&queries[1]), None);
        assert_eq!(cache.page(&queries[2]), Some(&page("old")));
        assert_eq!(cache.page(&queries[MAX_PAGES + 1]), Some(&page("new")));
    }
}
