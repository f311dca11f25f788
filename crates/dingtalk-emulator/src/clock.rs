//! The emulator's clock: wall time plus an offset that tests move forward, so expiry rules can be reached at once.
//! Tests may also freeze it, so that "within one second" or "this month" does not depend on how fast they run.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cloneable handle on the emulator's notion of "now".
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    /// The wall time the clock stopped at, or [`RUNNING`].
    frozen_wall_ms: Arc<AtomicI64>,
}

/// The value of `frozen_wall_ms` while the clock runs.
const RUNNING: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        Self { offset_ms: Arc::default(), frozen_wall_ms: Arc::new(AtomicI64::new(RUNNING)) }
    }
}

impl Clock {
    /// Milliseconds since the Unix epoch, as the emulator sees them.
    pub fn now_ms(&self) -> i64 {
        let wall = match self.frozen_wall_ms.load(Ordering::SeqCst) {
            RUNNING => wall_ms(),
            frozen => frozen,
        };
        wall + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Stops the clock where it is; only [`Clock::advance`] moves it until [`Clock::resume`] or a reset.
    pub fn freeze(&self) {
        let _ = self.frozen_wall_ms.compare_exchange(RUNNING, wall_ms(), Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Lets a frozen clock run again, from the time it shows (the time spent frozen comes off the offset).
    pub fn resume(&self) {
        let frozen = self.frozen_wall_ms.swap(RUNNING, Ordering::SeqCst);
        if frozen != RUNNING {
            self.offset_ms.fetch_sub(wall_ms() - frozen, Ordering::SeqCst);
        }
    }

    /// Moves the emulator's time forward; tokens and codes age accordingly.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// Puts the clock back on wall time, running.
    pub fn reset(&self) {
        self.frozen_wall_ms.store(RUNNING, Ordering::SeqCst);
        self.offset_ms.store(0, Ordering::SeqCst);
    }
}

fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
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

    #[test]
    fn a_frozen_clock_moves_only_when_advanced_and_resumes_where_it_stood() {
        let clock = Clock::default();
        clock.freeze();
        let frozen = clock.now_ms();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(clock.now_ms(), frozen);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now_ms(), frozen + 1_000);
        clock.resume();
        let resumed = clock.now_ms();
        assert!((frozen + 1_000..frozen + 1_000 + 500).contains(&resumed), "{resumed} vs {frozen}");
    }
}
