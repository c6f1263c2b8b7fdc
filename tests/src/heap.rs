//! A heap counter for one thread: a global allocator that forwards to the system allocator and
//! counts the bytes held by the threads that opted in. Benchmarks and memory tests declare it as
//! their binary's allocator and measure the peak held while a closure runs:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: nectar_tests::heap::Counting = nectar_tests::heap::Counting;
//!
//! let (_, peak_bytes) = nectar_tests::heap::peak_during(|| runtime.block_on(work()));
//! ```
//!
//! Run the client on a current-thread runtime on the measuring thread: then every allocation
//! of the client (its connection tasks included) is counted, and none of a server running on
//! another runtime's threads.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::atomic::{AtomicUsize, Ordering},
};

/// The counting allocator; see the module documentation.
pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            CURRENT.fetch_sub(
                layout.size().min(CURRENT.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = CURRENT.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                let shrink = (layout.size() - new_size).min(CURRENT.load(Ordering::Relaxed));
                CURRENT.fetch_sub(shrink, Ordering::Relaxed);
            }
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Peak bytes held above the level at the start, while `f` runs on the counted thread.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    COUNTED.with(|c| c.set(true));
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    COUNTED.with(|c| c.set(false));
    (out, peak)
}

/// The line a memory benchmark prints: the peak while streaming against the budget of
/// `(concurrency + 2)` pages, a page being the peak of fetching one page alone.
pub fn budget_report(label: &str, streaming: usize, one_page: usize, concurrency: usize) -> String {
    let mib = |bytes: usize| bytes as f64 / 1_048_576.0;
    let budget = (concurrency + 2) * one_page;
    format!(
        "{label} (memory): peak {:.1} MiB while streaming at concurrency {concurrency}; one page \
         peaks at {:.2} MiB; budget (concurrency + 2) pages = {:.1} MiB; ratio {:.2} pages -> {}",
        mib(streaming),
        mib(one_page),
        mib(budget),
        streaming as f64 / one_page.max(1) as f64,
        if streaming < budget {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    )
}
