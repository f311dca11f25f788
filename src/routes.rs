//! Every URL the app knows, in one place: pages link with `Page::X.path()`, never with string literals.
//!
//! The inbox's tab and filters live in the query (`/?box=done&q=报销`), so a reload, the back button and a shared
//! link all show the same list.

use api_types::InboxBox;

/// The inbox's tab and filters, as they appear in the URL's query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxQuery {
    /// The tab; 待处理 when absent.
    pub tab: Option<InboxBox>,
    /// Free text (`q`).
    pub q: Option<String>,
    /// One template (`process_code`).
    pub process_code: Option<String>,
    /// One status (`status`, as the API spells it: `running`, `approved`, ...).
    pub status: Option<String>,
    /// Submitted on or after this day (`from`, `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Submitted on or before this day (`to`, `YYYY-MM-DD`).
    pub to: Option<String>,
}

impl InboxQuery {
    /// The tab shown: 待处理 unless the query names another.
    pub fn tab(&self) -> InboxBox {
        self.tab.unwrap_or(InboxBox::Todo)
    }

    /// The query as `key=value` pairs, leaving out what is empty.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(tab) = self.tab {
            pairs.push(("box", tab.as_str().to_owned()));
        }
        let optional = [
            ("q", &self.q),
            ("process_code", &self.process_code),
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
        ];
        for (key, value) in optional {
            if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                pairs.push((key, value.clone()));
            }
        }
        pairs
    }

    /// Reads the query from its pairs (unknown keys and an unknown `box` are ignored).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = InboxQuery::default();
        for (key, value) in pairs {
            let value = Some(value.to_owned()).filter(|v| !v.is_empty());
            match key {
                "box" => query.tab = InboxBox::ALL.into_iter().find(|b| Some(b.as_str()) == value.as_deref()),
                "q" => query.q = value,
                "process_code" => query.process_code = value,
                "status" => query.status = value,
                "from" => query.from = value,
                "to" => query.to = value,
                _ => {}
            }
        }
        query
    }
}

/// The app's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The inbox: 待处理 / 已处理 / 已发起 / 抄送我.
    Inbox(InboxQuery),
    /// An approval instance: form, timeline and the caller's actions.
    Instance {
        /// DingTalk's processInstanceId.
        id: String,
    },
    /// One of the caller's own requests, before and after DingTalk has it (its live state).
    Request {
        /// shenpi's request id.
        id: String,
    },
    /// The templates the caller may start.
    Templates,
    /// A new request from a template, optionally reopening a draft or copying an earlier request.
    NewRequest {
        /// The template's processCode.
        process_code: String,
        /// A draft to reopen (`?draft=`).
        draft: Option<String>,
        /// A request whose submitted values to copy (`?copy=`).
        copy: Option<String>,
    },
}

/// Percent-encodes one path segment or query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn with_query(path: String, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return path;
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{path}?{}", query.join("&"))
}

impl Page {
    /// The page's path, with its query.
    pub fn path(&self) -> String {
        match self {
            Page::Inbox(query) => with_query("/".to_owned(), &query.pairs()),
            Page::Instance { id } => format!("/instances/{}", encode(id)),
            Page::Request { id } => format!("/requests/{}", encode(id)),
            Page::Templates => "/new".to_owned(),
            Page::NewRequest { process_code, draft, copy } => {
                let mut pairs = Vec::new();
                if let Some(draft) = draft {
                    pairs.push(("draft", draft.clone()));
                }
                if let Some(copy) = copy {
                    pairs.push(("copy", copy.clone()));
                }
                with_query(format!("/new/{}", encode(process_code)), &pairs)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbox_query_round_trips_and_leaves_out_empty_filters() {
        let query = InboxQuery {
            tab: Some(InboxBox::Cc),
            q: Some("报销 3".into()),
            status: Some(String::new()),
            from: Some("2026-11-01".into()),
            ..Default::default()
        };
        assert_eq!(Page::Inbox(query.clone()).path(), "/?box=cc&q=%E6%8A%A5%E9%94%80%203&from=2026-11-01");
        let pairs = query.pairs();
        let back = InboxQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back, InboxQuery { status: None, ..query });
    }

    #[test]
    fn an_unknown_tab_falls_back_to_todo() {
        let query = InboxQuery::from_pairs([("box", "archive"), ("utm", "x")]);
        assert_eq!(query.tab(), InboxBox::Todo);
        assert_eq!(Page::Inbox(InboxQuery::default()).path(), "/");
    }

    #[test]
    fn ids_are_encoded_in_paths() {
        assert_eq!(Page::Instance { id: "a/b c".into() }.path(), "/instances/a%2Fb%20c");
        let new = Page::NewRequest { process_code: "PROC-1".into(), draft: Some("d1".into()), copy: None };
        assert_eq!(new.path(), "/new/PROC-1?draft=d1");
    }
}
