//! The emulator's clock: wall time plus an offset that tests move forward, so expiry rules can be reached at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cloneable handle on the emulator's notion of "now".
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Milliseconds since the Unix epoch, as the emulator sees them.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        wall + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves the emulator's time forward; tokens and codes age accordingly.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// Puts the clock back on wall time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_and_reset_undoes_it() {
        let clock = Clock::default();
        let before = clock.now_ms();
        clock.advance(Duration::from_secs(7200));
        assert!(clock.now_ms() - before >= 7_200_000);
        clock.reset();
        assert!(clock.now_ms() - before < 7_200_000);
    }
}
