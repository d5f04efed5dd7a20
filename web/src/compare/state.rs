//! The compare view's state: one preset run on two machines, both sessions shown at the same
//! lockstep position (event k on each side), the event-by-event comparison and the two runs'
//! series (issue 19's neutral `RunSeries`, which `RunCompare` draws).

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use balloon_sim::command::parse_script;
use balloon_sim::compare::profiles::{self, compare_machines, side_label};
use balloon_sim::compare::{self as runs, RunSeries};
use balloon_sim::{Session, presets};
use yew::Reducible;

use super::link::CompareLink;
use super::lockstep::Lockstep;
use crate::view_model::series_chart::SeriesRef;

/// What the compare view can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareAction {
    /// Both sides one event on.
    Step,
    /// Both sides one event back.
    Back,
    /// Both sides at this position.
    Seek(u64),
    /// The position where the two sides first differ.
    FirstDifference,
}

/// Both runs, where they are shown, and where they differ.
#[derive(Debug, Clone)]
pub struct CompareState {
    /// The link it was opened from (its problems already in `notice`).
    pub link: Rc<CompareLink>,
    /// The two sides' labels.
    pub labels: [String; 2],
    sessions: Rc<[RefCell<Session>; 2]>,
    lockstep: Rc<Lockstep>,
    /// The position of the first divergence.
    first: Option<u64>,
    /// The lockstep position (see [`Lockstep`]).
    pub index: u64,
    /// Positions in all.
    pub count: u64,
    /// Event by event: the first divergence and the counts table.
    pub events: Rc<profiles::Comparison>,
    /// The two runs as series, A then B.
    pub series: [SeriesRef; 2],
    /// The two series compared (messages per queue, time to each target).
    pub runs: Rc<runs::Comparison>,
    /// What was wrong with the link, or why the last action did nothing.
    pub notice: Option<String>,
}

impl PartialEq for CompareState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sessions, &other.sessions)
            && self.index == other.index
            && self.notice == other.notice
    }
}

impl CompareState {
    /// Runs the link's preset on both sides to its end and shows the position it asks for
    /// (the first divergence when it names none).
    pub fn open(link: CompareLink) -> Result<Self, String> {
        let preset = presets::get(link.preset).ok_or("the preset is gone")?;
        let script = parse_script(preset.text).map_err(|e| e.to_string())?;
        let machines = link.machines();
        let events = compare_machines::<balloon_sim::Portable>(&script, &machines[0], &machines[1])
            .map_err(|e| e.to_string())?;
        let labels = link.sides.clone().map(|s| side_label(&s));
        let mut sessions = Vec::with_capacity(2);
        let mut series = Vec::with_capacity(2);
        let mut ends = Vec::with_capacity(2);
        for (m, label) in machines.into_iter().zip(&labels) {
            let ram_pages = m.ram_size / balloon_sim::view::PAGE_SIZE;
            let mut s = Session::new(m).map_err(|e| e.to_string())?;
            // One command at a time, as `compare_machines` runs them: where each ends is
            // the lockstep's grid.
            let side_ends: Vec<u64> = script
                .lines
                .iter()
                .map(|l| {
                    s.apply_command(l.command.clone());
                    s.event_count()
                })
                .collect();
            series.push(SeriesRef(Rc::new(RunSeries::from_events(
                label.clone(),
                ram_pages,
                s.events().iter(),
                0,
            ))));
            sessions.push(RefCell::new(s));
            ends.push(side_ends);
        }
        let [sa, sb]: [RefCell<Session>; 2] = sessions.try_into().map_err(|_| "two sessions")?;
        let [ra, rb]: [SeriesRef; 2] = series.try_into().map_err(|_| "two series")?;
        let [ea, eb]: [Vec<u64>; 2] = ends.try_into().map_err(|_| "two sides")?;
        let lockstep = Lockstep::new(ea, eb);
        let count = lockstep.count();
        let notice = (!link.problems.is_empty()).then(|| link.problems.join(" "));
        let runs = Rc::new(runs::compare(&ra.0, &rb.0));
        let first_command = events
            .first_divergence
            .as_ref()
            .and_then(|d| script.lines.iter().position(|l| l.line == d.line));
        let mut state = Self {
            link: Rc::new(link),
            labels,
            sessions: Rc::new([sa, sb]),
            lockstep: Rc::new(lockstep),
            first: None,
            index: count,
            count,
            events: Rc::new(events),
            series: [ra, rb],
            runs,
            notice,
        };
        state.first = first_command.and_then(|c| {
            let d = state.events.first_divergence.as_ref()?;
            // The divergence's event index is side A's, or B's when A had none there.
            let side = usize::from(d.a.is_none());
            let (_, j) = state.lockstep.command_of(side, d.index)?;
            Some(state.lockstep.position_of(c, j))
        });
        let at = state.link.step.unwrap_or_else(|| state.first_difference());
        if at > count {
            state.notice = Some(format!(
                "{}step {at} is past the end ({count} events): showing the end.",
                state.notice.map(|n| n + " ").unwrap_or_default()
            ));
        }
        state.show(at.min(count));
        Ok(state)
    }

    /// The position that shows the first differing event on both sides (the end when the
    /// runs agree event for event).
    pub fn first_difference(&self) -> u64 {
        self.first.unwrap_or(self.count)
    }

    /// Side `i`'s session as shown.
    pub fn session(&self, i: usize) -> Ref<'_, Session> {
        self.sessions[i].borrow()
    }

    fn show(&mut self, k: u64) {
        for (s, n) in self.sessions.iter().zip(self.lockstep.at(k)) {
            let mut s = s.borrow_mut();
            let end = s.event_count();
            // Within the timeline by construction: seek only fails past the end.
            let _ = s.seek(n.min(end));
        }
        self.index = k;
    }
}

impl Reducible for CompareState {
    type Action = CompareAction;
    fn reduce(self: Rc<Self>, action: CompareAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.notice = None;
        let k = match action {
            CompareAction::Step => self.index + 1,
            CompareAction::Back => self.index.saturating_sub(1),
            CompareAction::Seek(k) => k,
            CompareAction::FirstDifference => self.first_difference(),
        };
        if k > self.count {
            next.notice = Some(format!(
                "Both runs have ended ({} events): nothing more to step.",
                self.count
            ));
            return Rc::new(next);
        }
        next.show(k);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::link::parse;

    fn reduce(s: CompareState, a: CompareAction) -> CompareState {
        (*Rc::new(s).reduce(a)).clone()
    }

    /// QEMU with page-poison on (its default) has a 16-byte config (`virtio_balloon_config_size`),
    /// Firecracker's `ConfigSpace` 12: the sides show those, and their runs part somewhere.
    #[test]
    fn opens_at_the_first_difference_and_steps_both_sides_together() {
        let s = CompareState::open(parse(Some("qemu,firecracker"), None, None)).unwrap();
        assert_eq!(s.notice, None);
        let d = s.events.first_divergence.clone().expect("they differ");
        assert_eq!(s.index, d.index + 1);
        let [a, b] = {
            let (x, y) = (s.session(0), s.session(1));
            crate::compare::model::sides(["qemu", "firecracker"], &x, &y)
        };
        assert!(a.event_differs && b.event_differs);
        let count = s.count;
        let s = reduce(s, CompareAction::Seek(count));
        let [a, b] = {
            let (x, y) = (s.session(0), s.session(1));
            crate::compare::model::sides(["qemu", "firecracker"], &x, &y)
        };
        assert_eq!((a.config.len(), b.config.len()), (16, 12));
        assert!(a.size_differs && a.config[12..].iter().all(|b| b.only_here));
        assert!(b.config.iter().all(|b| !b.only_here));
        let s = reduce(s, CompareAction::Back);
        assert_eq!(s.index, s.count - 1);
        let s = reduce(s, CompareAction::Step);
        let end = s.index;
        let s = reduce(s, CompareAction::Step);
        assert_eq!(s.index, end, "past the end: nothing moves");
        assert!(s.notice.is_some(), "and it says so");
    }

    #[test]
    fn a_link_past_the_end_shows_the_end_and_says_so() {
        let s = CompareState::open(parse(Some("qemu,crosvm"), None, Some("999999"))).unwrap();
        assert_eq!(s.index, s.count);
        assert!(s.notice.as_deref().unwrap().contains("past the end"));
    }
}
