//! Spreads independent work over the machine's cores and keeps the results in order, so a
//! stack of thousands of Deployments renders, checks and prints in a fraction of the time,
//! and the output stays the same bytes. Small inputs stay on one thread: starting threads
//! costs more than a few objects do.

/// Below this many items the work is done on the calling thread.
const MIN_ITEMS: usize = 64;

/// Threads for work that mostly waits on the disk (a synced write each), whatever the
/// cores: the file system commits concurrent syncs together.
const IO_THREADS: usize = 8;

/// `f` applied to every item, on as many threads as there are cores, in the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    map_on(cores(), items, f)
}

/// The cores this process may use, asked once: the answer reads the cgroup's quota files
/// (about twenty system calls), which costs as much as rendering a small stack.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `map` for work that waits on the disk: on `IO_THREADS` threads.
pub fn map_io<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_on(IO_THREADS, items, f)
}

fn map_on<T: Sync, R: Send>(threads: usize, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if threads < 2 || items.len() < MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = super::map(&items, |i| i * 2);
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }
}
