//! Every URL the app knows, in one place: pages link with `Page::X.path()`, never with string literals.

/// The app's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The start page: logs in and greets the user.
    Home,
}

impl Page {
    /// The page's path.
    pub fn path(&self) -> String {
        match self {
            Page::Home => "/".to_owned(),
        }
    }
}
