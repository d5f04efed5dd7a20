//! The one session every app state shares, and the rule that keeps Yew's cheap comparisons
//! honest: a mutable borrow is a change.
//!
//! The reducer clones the app state on every action, but never the session (a world and its
//! history): every clone holds the same `Rc<RefCell<Session>>`. Yew compares states to decide
//! what to re-render, and two states over one cell would always look alike, so the handle
//! counts generations: [`SharedSession::borrow_mut`] is the only way to change the session,
//! and it starts a new generation. Comparing two handles compares the cell and the generation.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use balloon_sim::Session;

/// A session shared by every state of one app, with its generation.
#[derive(Debug, Clone)]
pub struct SharedSession {
    cell: Rc<RefCell<Session>>,
    generation: u64,
}

impl SharedSession {
    /// A handle on a new session.
    pub fn new(session: Session) -> Self {
        Self {
            cell: Rc::new(RefCell::new(session)),
            generation: 0,
        }
    }

    /// Reads the session.
    pub fn borrow(&self) -> Ref<'_, Session> {
        self.cell.borrow()
    }

    /// Borrows the session to change it: this handle moves to a new generation, so a state
    /// holding it differs from the states before.
    pub fn borrow_mut(&mut self) -> RefMut<'_, Session> {
        self.generation = self.generation.wrapping_add(1);
        self.cell.borrow_mut()
    }

    /// Counts the borrows that could have changed the session: what effects key on.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl PartialEq for SharedSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.cell, &other.cell) && self.generation == other.generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutable_borrow_is_a_new_generation_and_clones_share_the_session() {
        let (s, _) = Session::from_script("-m 1G -device virtio-balloon\nrun\n").unwrap();
        let a = SharedSession::new(s);
        let mut b = a.clone();
        assert_eq!(a, b);
        let _ = b.borrow().event_count();
        assert_eq!(a, b, "reading is no change");
        b.borrow_mut().apply_line("balloon 512").unwrap();
        assert_ne!(a, b);
        assert_eq!(
            a.borrow().event_count(),
            b.borrow().event_count(),
            "one session"
        );
        let (other, _) = Session::from_script("-m 1G -device virtio-balloon\nrun\n").unwrap();
        assert_ne!(a, SharedSession::new(other));
    }
}
