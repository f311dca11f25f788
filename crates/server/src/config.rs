//! The server's settings: one clap struct, every field also an environment variable (all listed in `.env.sample`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// shenpi's backend.
#[derive(Debug, Clone, Parser)]
#[command(name = "shenpi-server", version)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SHENPI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Database URL: `sqlite://PATH` creates the file (and its folder) on first start;
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`) needs the database to exist. Either way the
    /// server creates and migrates its tables.
    /// Its password, if any, never shows in `Debug` output.
    #[arg(long, env = "SHENPI_DATABASE_URL", default_value = "sqlite://data/shenpi.db", hide_env_values = true)]
    pub database_url: DatabaseUrl,
    /// Folder of the built app (Trunk's `dist/`), served for every path outside `/api`.
    #[arg(long, env = "SHENPI_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,
    /// The organisation's corpId (DingTalk developer console → 基础信息).
    #[arg(long, env = "DINGTALK_CORP_ID")]
    pub corp_id: String,
    /// The micro-app's AgentId.
    #[arg(long, env = "DINGTALK_AGENT_ID")]
    pub agent_id: String,
    /// The app's AppKey (Client ID).
    #[arg(long, env = "DINGTALK_APP_KEY")]
    pub app_key: String,
    /// The app's AppSecret (Client Secret). Never logged.
    #[arg(long, env = "DINGTALK_APP_SECRET", hide_env_values = true)]
    pub app_secret: Secret,
    /// DingTalk's legacy host.
    #[arg(long, env = "DINGTALK_OAPI_URL", default_value = dingtalk_client::DEFAULT_OAPI_URL)]
    pub oapi_url: String,
    /// DingTalk's v1.0 host.
    #[arg(long, env = "DINGTALK_API_URL", default_value = dingtalk_client::DEFAULT_API_URL)]
    pub api_url: String,
    /// DingTalk's web login host (the OAuth page for browsers outside DingTalk).
    #[arg(long, env = "DINGTALK_LOGIN_URL", default_value = "https://login.dingtalk.com")]
    pub login_url: String,
    /// A bearer token `GET /metrics` requires (`Authorization: Bearer <token>`); when unset, `/metrics` is open to
    /// whoever reaches the server. Never logged.
    #[arg(long, env = "SHENPI_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// How long a DingTalk call may take before it counts as unanswered, in ms.
    #[arg(long, env = "DINGTALK_TIMEOUT_MS", default_value_t = 10_000)]
    pub dingtalk_timeout_ms: u64,
    /// The outbox's first retry delay in ms; each further retry doubles it, up to 300 times this.
    #[arg(long, env = "SHENPI_OUTBOX_BACKOFF_MS", default_value_t = 1_000)]
    pub outbox_backoff_ms: u64,
    /// How often the outbox worker looks for due rows when not woken, in ms.
    #[arg(long, env = "SHENPI_OUTBOX_POLL_MS", default_value_t = 1_000)]
    pub outbox_poll_ms: u64,
    /// How long a claimed outbox row stays with this process, in ms; by default 40 DingTalk timeouts, at least a
    /// minute. A row left by a process that stopped mid-delivery waits this long before anyone sends it again.
    #[arg(long, env = "SHENPI_OUTBOX_LEASE_MS")]
    pub outbox_lease_ms: Option<u64>,
    /// On SIGTERM or Ctrl-C, how long deliveries to DingTalk in flight may take to finish, in ms.
    #[arg(long, env = "SHENPI_SHUTDOWN_GRACE_MS", default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,
    /// DingTalk calls per minute the inbox backfill may make (re-reading quiet instances, finding missed ones);
    /// 0 turns it off. A standard-edition org has 5,000 calls a month in all, so keep this small.
    #[arg(long, env = "SHENPI_BACKFILL_CALLS_PER_MIN", default_value_t = 6)]
    pub backfill_calls_per_min: u32,
    /// Seconds without news after which the backfill reads an instance again; also the time between its rounds of
    /// looking for instances the index never heard of. The default, 6 h, costs a standard-edition org about 120 calls
    /// a month per template for discovery, plus up to 4 reads a day per running instance that events left quiet.
    #[arg(long, env = "SHENPI_BACKFILL_QUIET_SECS", default_value_t = 21_600)]
    pub backfill_quiet_secs: u64,
    /// Days back the backfill looks for instances the index never heard of (DingTalk allows at most 120).
    #[arg(long, env = "SHENPI_BACKFILL_WINDOW_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub backfill_window_days: u64,
    /// Which channels receive DingTalk's events: `stream` (Stream mode, no public URL needed), `http` (the encrypted
    /// callback `POST /dingtalk/events`), `both`, or `off`.
    #[arg(long, env = "SHENPI_EVENTS", value_enum, default_value = "stream")]
    pub events: crate::events::EventsMode,
    /// The event subscription's "签名Token" (console → 事件订阅); required when `SHENPI_EVENTS` includes http.
    /// Never logged.
    #[arg(long, env = "DINGTALK_CALLBACK_TOKEN", hide_env_values = true)]
    pub callback_token: Option<Secret>,
    /// The event subscription's "加密aes_key" (43 characters); required when `SHENPI_EVENTS` includes http.
    /// Never logged.
    #[arg(long, env = "DINGTALK_CALLBACK_AES_KEY", hide_env_values = true)]
    pub callback_aes_key: Option<Secret>,
    /// The first retry delay of an event the index failed to apply, in ms; each further retry doubles it, up to 300
    /// times this.
    #[arg(long, env = "SHENPI_EVENTS_BACKOFF_MS", default_value_t = 1_000)]
    pub events_backoff_ms: u64,
    /// Failed attempts after which an event is parked (kept with its error, no longer tried).
    #[arg(long, env = "SHENPI_EVENTS_MAX_ATTEMPTS", default_value_t = 12)]
    pub events_max_attempts: i64,
    /// How often the event applier looks for due events when not woken, in ms.
    #[arg(long, env = "SHENPI_EVENTS_POLL_MS", default_value_t = 1_000)]
    pub events_poll_ms: u64,
    /// Seconds the contact directory (the browser's pickers) is served from memory before it is walked from
    /// DingTalk again; a walk costs 1 + departments + member pages calls, all exempt from the monthly quota.
    #[arg(long, env = "SHENPI_DIRECTORY_TTL_SECS", default_value_t = 600)]
    pub directory_ttl_secs: u64,
}

/// A string that never shows in `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// A database URL whose password never shows in `Debug` output.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, password included, for opening the store.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    /// Shows `scheme://user:<redacted>@host/...` when the URL carries a password, the whole URL otherwise.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = &self.0;
        let Some((scheme, rest)) = url.split_once("://") else { return write!(f, "{url:?}") };
        let Some((userinfo, host)) = rest.rsplit_once('@') else { return write!(f, "{url:?}") };
        match userinfo.split_once(':') {
            Some((user, _password)) => write!(f, "\"{scheme}://{user}:<redacted>@{host}\""),
            None => write!(f, "{url:?}"),
        }
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(DatabaseUrl(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_app_secret() {
        let config = Config::try_parse_from([
            "shenpi-server",
            "--corp-id=ding1",
            "--agent-id=1",
            "--app-key=key",
            "--app-secret=hunter2",
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(config.app_secret.expose(), "hunter2");
    }

    #[test]
    fn debug_redacts_the_database_password() {
        let url: DatabaseUrl = "postgres://shenpi:s3cr%40t@db.internal:5432/shenpi".parse().unwrap();
        assert_eq!(format!("{url:?}"), "\"postgres://shenpi:<redacted>@db.internal:5432/shenpi\"");
        assert_eq!(url.expose(), "postgres://shenpi:s3cr%40t@db.internal:5432/shenpi");
        let sqlite: DatabaseUrl = "sqlite://data/shenpi.db".parse().unwrap();
        assert_eq!(format!("{sqlite:?}"), "\"sqlite://data/shenpi.db\"");
    }
}
