//! A context a thread keeps between calls: one OpenSSL object set up for a key (the RSA
//! signing context, the cookie's AES-GCM context) and reused by every later call on that
//! thread with the same key, instead of being set up again each time.
//!
//! Owns the rules both users share: a context is reused only for the key it was made for; it
//! is kept again only after a call that succeeded, so a failure never leaves a half-used
//! context behind; and a re-entrant call (which nothing does) works on a fresh one.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The slot: the key a context was made for, and the context.
pub type Kept<K, C> = RefCell<Option<(K, C)>>;

/// Runs `work` on this thread's context for `key`, made by `make` when the thread has none for
/// that key.
pub fn with<K: PartialEq, C, T, E>(
    slot: &'static LocalKey<Kept<K, C>>,
    key: K,
    make: impl Fn() -> Result<C, E>,
    work: impl FnOnce(&mut C) -> Result<T, E>,
) -> Result<T, E> {
    slot.with(|cell| {
        let Ok(mut kept) = cell.try_borrow_mut() else {
            return work(&mut make()?);
        };
        let mut ctx = match kept.take() {
            Some((k, ctx)) if k == key => ctx,
            _ => make()?,
        };
        let out = work(&mut ctx)?;
        *kept = Some((key, ctx));
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static SLOT: Kept<u8, u32> = const { RefCell::new(None) };
        static MADE: Cell<u32> = const { Cell::new(0) };
    }

    fn call(key: u8, fail: bool) -> Result<u32, ()> {
        let make = || {
            MADE.with(|m| m.set(m.get() + 1));
            Ok(0)
        };
        with(&SLOT, key, make, |uses| {
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
}
