//! The two tasks each [`RedisLimit`](super::RedisLimit) runs: the keeper (gives slots back,
//! renews leases) and the listener (what the channel says: slots freed, limit lowered, pause).

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};

use super::{RELEASE_BATCH, Shared, duration_ms, scripts::scripts};

/// What the listener learns from the channel, for the waiters.
pub(super) struct Signals {
    /// Told (once per slot) when a message says slots came free, in any process.
    pub(super) freed: Notify,
    /// Whether the subscription to those messages is up (else waiters poll).
    pub(super) listening: AtomicBool,
    /// The newest epoch of the shared limit seen (it grows with every decrease).
    pub(super) epoch: AtomicU64,
    /// Until when (ms since `base`) the fleet is paused by a `Retry-After`.
    pub(super) paused_until: AtomicU64,
    pub(super) base: Instant,
}

impl Signals {
    pub(super) fn pause(&self, pause: Duration) {
        let until = duration_ms(self.base.elapsed().saturating_add(pause));
        self.paused_until.fetch_max(until, Ordering::AcqRel);
    }

    pub(super) fn paused(&self) -> bool {
        duration_ms(self.base.elapsed()) < self.paused_until.load(Ordering::Acquire)
    }

    /// Whether a slot taken at `epoch` may be handed on: no decrease and no pause since.
    pub(super) fn current(&self, epoch: u64) -> bool {
        epoch >= self.epoch.load(Ordering::Acquire) && !self.paused()
    }
}

/// Gives back the slots released (in batches, with the answers counted since the last batch)
/// and renews the leases held, until the limit is dropped.
pub(super) async fn keep(shared: Weak<Shared>, mut released: mpsc::UnboundedReceiver<String>) {
    let mut next_renewal = match shared.upgrade() {
        Some(shared) => Instant::now() + shared.lease / 3,
        None => return,
    };
    loop {
        let wait = next_renewal.saturating_duration_since(Instant::now());
        let first = tokio::time::timeout(wait, released.recv()).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        match first {
            Ok(None) => return,
            Ok(Some(id)) => {
                let mut ids = vec![id];
                while ids.len() < RELEASE_BATCH {
                    match released.try_recv() {
                        Ok(id) => ids.push(id),
                        Err(_) => break,
                    }
                }
                let answers = shared.answers.swap(0, Ordering::Relaxed);
                let mut args = vec![
                    shared.channel.clone(),
                    answers.to_string(),
                    shared.max.to_string(),
                    shared.initial_limit(),
                ];
                args.append(&mut ids.clone());
                // Should it fail, the slots come free when their leases end.
                let _: Option<u64> = shared
                    .run(&scripts().release, &[&shared.slots, &shared.state], &args)
                    .await;
                if shared.unsent.fetch_sub(ids.len(), Ordering::AcqRel) == ids.len() {
                    shared.sent.notify_waiters();
                }
            }
            Err(_) => {
                next_renewal = Instant::now() + shared.lease / 3;
                if shared.waiting.load(Ordering::Acquire) == 0 {
                    shared.release_handoffs();
                }
                let held: Vec<String> = shared.held().iter().cloned().collect();
                if !held.is_empty() && !shared.is_down() {
                    let mut args = vec![duration_ms(shared.lease).to_string()];
                    args.extend(held);
                    let _: Option<u8> = shared.run(&scripts().renew, &[&shared.slots], &args).await;
                }
            }
        }
    }
}

/// Listens for the messages of slots freed (by any process on the key) and wakes one waiter per
/// slot; while the subscription is down, waiters poll instead. Ends when the limit is dropped.
pub(super) async fn listen(
    shared: Weak<Shared>,
    client: ::redis::Client,
    channel: String,
    signals: Arc<Signals>,
    timeout: Duration,
) {
    while shared.strong_count() > 0 {
        let subscribed = tokio::time::timeout(timeout * 4, async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(channel.as_str()).await?;
            Ok::<_, ::redis::RedisError>(pubsub)
        })
        .await;
        let Ok(Ok(pubsub)) = subscribed else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        signals.listening.store(true, Ordering::Release);
        let mut messages = pubsub.into_on_message();
        loop {
            // Checks once a second whether the limit is still there.
            match tokio::time::timeout(Duration::from_secs(1), messages.next()).await {
                Ok(Some(message)) => {
                    let text: String = message.get_payload().unwrap_or_default();
                    let mut words = text.split(' ');
                    match (words.next(), words.next(), words.next()) {
                        (Some("throttled"), Some(epoch), Some(pause)) => {
                            let epoch = epoch.parse().unwrap_or(u64::MAX);
                            signals.epoch.fetch_max(epoch, Ordering::AcqRel);
                            signals.pause(Duration::from_millis(pause.parse().unwrap_or(0)));
                        }
                        (Some(slots), None, None) => {
                            let slots: u64 = slots.parse().unwrap_or(1);
                            for _ in 0..slots.clamp(1, RELEASE_BATCH as u64) {
                                signals.freed.notify_one();
                            }
                        }
                        _ => signals.freed.notify_waiters(),
                    }
                }
                Ok(None) => break,
                Err(_) if shared.strong_count() == 0 => return,
                Err(_) => {}
            }
        }
        signals.listening.store(false, Ordering::Release);
        // Wake every waiter: they poll until the subscription is back.
        signals.freed.notify_waiters();
    }
}
