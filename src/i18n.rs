//! The display language and the app's fixed labels. zh-CN is the default; English follows DingTalk's (or the
//! browser's) language. Failure texts live in `errors.rs`, the one place errors reach the user.

/// The display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language for a DingTalk or browser language tag (`en_US`, `en-GB`, `zh_CN`, `*`).
    pub fn from_tag(tag: &str) -> Self {
        if tag.to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Zh }
    }

    /// One of two texts: `zh` in Chinese, `en` in English. Pages keep their own labels this way, next to where
    /// they are shown; the shared labels are [`Label`]s.
    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The `lang` attribute for `<html>`.
    pub fn html_tag(self) -> &'static str {
        self.pick("zh-CN", "en")
    }
}

/// A fixed label of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Shown while logging in.
    LoggingIn,
    /// The retry button.
    Retry,
    /// The button that starts DingTalk's web login in a plain browser.
    LogInWithDingTalk,
    /// The greeting before the user's name.
    Hello,
    /// Title of the page for unknown URLs.
    PageNotFound,
    /// Advice on that page.
    BackToStart,
    /// The native title bar.
    AppTitle,
}

impl Label {
    /// The label's text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        use Label::*;
        use Lang::*;
        match (self, lang) {
            (LoggingIn, Zh) => "正在登录…",
            (LoggingIn, En) => "Logging in…",
            (Retry, Zh) => "重试",
            (Retry, En) => "Retry",
            (LogInWithDingTalk, Zh) => "用钉钉账号登录",
            (LogInWithDingTalk, En) => "Log in with DingTalk",
            (Hello, Zh) => "你好，",
            (Hello, En) => "Hello,",
            (PageNotFound, Zh) => "页面不存在",
            (PageNotFound, En) => "Page not found",
            (BackToStart, Zh) => "请返回首页。",
            (BackToStart, En) => "Go back to the start page.",
            (AppTitle, Zh) => "审批",
            (AppTitle, En) => "Approvals",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_pick_english_only_for_english() {
        assert_eq!(Lang::from_tag("en_US"), Lang::En);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("zh_CN"), Lang::Zh);
        assert_eq!(Lang::from_tag("*"), Lang::Zh);
    }
}
