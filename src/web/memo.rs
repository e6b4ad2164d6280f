//! A one-entry memory per thread for pure functions of a string that the request path calls
//! with the same argument again and again (the public base a Host header gives, the CSP for an
//! ACS): the last argument and its result are kept, and a call with that argument again gets
//! a copy of the result without the work. Only pure functions belong here: the result must
//! depend on the argument alone.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The slot a memoized function keeps per thread: its last argument and result.
pub type Slot<T> = RefCell<Option<(String, T)>>;

/// `f(arg)`, or a copy of it when `arg` is the argument of this thread's last call.
pub fn last<T: Clone>(slot: &'static LocalKey<Slot<T>>, arg: &str, f: impl FnOnce(&str) -> T) -> T {
    let hit = slot.with(|s| match s.try_borrow() {
        Ok(s) => s.as_ref().filter(|(a, _)| a == arg).map(|(_, r)| r.clone()),
        Err(_) => None,
    });
    if let Some(r) = hit {
        return r;
    }
    let r = f(arg);
    slot.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            *s = Some((arg.to_string(), r.clone()));
        }
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static SLOT: Slot<String> = const { RefCell::new(None) };
        static CALLS: Cell<u32> = const { Cell::new(0) };
    }

    fn shout(s: &str) -> String {
        last(&SLOT, s, |s| {
            CALLS.with(|c| c.set(c.get() + 1));
            s.to_uppercase()
        })
    }

    #[test]
    fn the_same_argument_again_is_answered_from_memory_and_another_one_is_not() {
        assert_eq!(shout("a"), "A");
        assert_eq!(shout("a"), "A");
        assert_eq!(CALLS.with(Cell::get), 1);
        assert_eq!(shout("b"), "B");
        assert_eq!(shout("a"), "A");
        assert_eq!(CALLS.with(Cell::get), 3);
        // Each thread has its own memory.
        std::thread::spawn(|| {
            assert_eq!(shout("a"), "A");
            assert_eq!(CALLS.with(Cell::get), 1);
        })
        .join()
        .unwrap();
    }
}
