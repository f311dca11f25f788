//! The inbox's cache against the real `localStorage` of headless Chromium: per user, never another user's, and
//! keeping one user's cache clears the others'.
#![cfg(target_arch = "wasm32")]

use api_types::{InboxBox, InboxCounts, InboxPage};
use shenpi::inbox_cache;
use shenpi::routes::InboxQuery;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn page(cursor: &str) -> InboxPage {
    InboxPage { items: Vec::new(), next_cursor: Some(cursor.to_owned()) }
}

#[wasm_bindgen_test]
fn a_kept_page_and_counts_come_back_for_the_same_user_only() {
    storage().clear().unwrap();
    let done = InboxQuery { tab: Some(InboxBox::Done), ..Default::default() };
    let counts = InboxCounts { todo: 3, done: 1, mine: 0, cc: 2 };
    inbox_cache::update("zhangsan", |c| {
        c.put_page(&done, &page("z"));
        c.counts = Some(counts);
    });

    let back = inbox_cache::load("zhangsan");
    assert_eq!(back.page(&done), Some(&page("z")));
    assert_eq!(back.counts, Some(counts));
    assert_eq!(inbox_cache::load("lisi"), Default::default());
}

#[wasm_bindgen_test]
fn keeping_one_users_cache_drops_every_other_users() {
    storage().clear().unwrap();
    storage().set_item("shenpi.session", "kept").unwrap();
    inbox_cache::update("zhangsan", |c| c.put_page(&InboxQuery::default(), &page("z")));
    inbox_cache::update("lisi", |c| c.put_page(&InboxQuery::default(), &page("l")));

    assert_eq!(storage().get_item("shenpi.inbox.zhangsan").unwrap(), None);
    assert_eq!(inbox_cache::load("lisi").page(&InboxQuery::default()), Some(&page("l")));
    // Only the inbox's keys are touched.
    assert_eq!(storage().get_item("shenpi.session").unwrap().as_deref(), Some("kept"));
}

#[wasm_bindgen_test]
fn an_unreadable_cache_is_ignored_and_then_replaced() {
    storage().clear().unwrap();
    storage().set_item("shenpi.inbox.zhangsan", "{not json").unwrap();
    assert_eq!(inbox_cache::load("zhangsan"), Default::default());
    inbox_cache::update("zhangsan", |c| c.put_page(&InboxQuery::default(), &page("z")));
    assert_eq!(inbox_cache::load("zhangsan").page(&InboxQuery::default()), Some(&page("z")));
}
