//! What a thread keeps between calls: one entry, made for a key and reused by every later call
//! on that thread with the same key instead of being made again.
//!
//! Owns the one rule set every such memory follows, whatever it keeps: an OpenSSL context set
//! up for a key (the RSA signing context, the cookie's AES-GCM context), the inflater's state
//! (one for every key), or the result of a pure function of a string (the public base a Host
//! header gives, the CSP for an ACS). An entry is reused only for the key it was made for; it
//! is kept again only after a call that succeeded, so a failure never leaves a half-used entry
//! behind; and a re-entrant call (which nothing does) works on a fresh one. A hit costs a
//! comparison of the key and no allocation. Leaf module: it knows nothing of its users.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::convert::Infallible;
use std::thread::LocalKey;

/// The slot: the key an entry was made for, and the entry.
pub type Slot<K, V> = RefCell<Option<(K, V)>>;

/// Runs `work` on this thread's entry for `key`, made by `make` when the thread has none for
/// that key.
pub fn with<K, Q, V, T, E>(
    slot: &'static LocalKey<Slot<K, V>>,
    key: &Q,
    make: impl FnOnce(&Q) -> Result<V, E>,
    work: impl FnOnce(&mut V) -> Result<T, E>,
) -> Result<T, E>
where
    K: Borrow<Q>,
    Q: PartialEq + ToOwned<Owned = K> + ?Sized,
{
    slot.with(|cell| {
        let Ok(mut kept) = cell.try_borrow_mut() else {
            return work(&mut make(key)?);
        };
        let (k, mut entry) = match kept.take() {
            Some((k, entry)) if k.borrow() == key => (k, entry),
            _ => (key.to_owned(), make(key)?),
        };
        let out = work(&mut entry)?;
        *kept = Some((k, entry));
        Ok(out)
    })
}

/// `f(arg)` for a pure `f` (its result depends on `arg` alone), or a copy of it when `arg` is
/// the argument of this thread's last call.
pub fn last<T: Clone>(
    slot: &'static LocalKey<Slot<String, T>>,
    arg: &str,
    f: impl FnOnce(&str) -> T,
) -> T {
    let made = with(slot, arg, |a| Ok::<T, Infallible>(f(a)), |r| Ok(r.clone()));
    match made {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static CTX: Slot<u8, u32> = const { RefCell::new(None) };
        static MADE: Cell<u32> = const { Cell::new(0) };
        static PURE: Slot<String, String> = const { RefCell::new(None) };
        static CALLS: Cell<u32> = const { Cell::new(0) };
    }

    fn call(key: u8, fail: bool) -> Result<u32, ()> {
        let make = |_: &u8| {
            MADE.with(|m| m.set(m.get() + 1));
            Ok(0)
        };
        with(&CTX, &key, make, |uses| {
            *uses += 1;
            if fail {
                Err(())
            } else {
                Ok(*uses)
            }
        })
    }

    #[test]
    fn reused_for_its_key_remade_for_another_and_dropped_after_a_failure() {
        assert_eq!(call(1, false), Ok(1));
        assert_eq!(call(1, false), Ok(2));
        assert_eq!(MADE.with(Cell::get), 1);
        assert_eq!(call(2, false), Ok(1));
        assert_eq!(call(2, true), Err(()));
        assert_eq!(call(2, false), Ok(1));
        assert_eq!(MADE.with(Cell::get), 3);
    }

    #[test]
    fn a_reentrant_call_works_on_a_fresh_entry() {
        let outer = with(
            &CTX,
            &7,
            |_| Ok::<u32, ()>(10),
            |v| {
                *v += 1;
                let inner = with(&CTX, &7, |_| Ok::<u32, ()>(100), |w| Ok(*w));
                Ok((*v, inner))
            },
        );
        assert_eq!(outer, Ok((11, Ok(100))));
        assert_eq!(with(&CTX, &7, |_| Ok::<u32, ()>(0), |v| Ok(*v)), Ok(11));
    }

    fn shout(s: &str) -> String {
        last(&PURE, s, |s| {
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
