//! Playing the timeline: how many events a frame may run, and running them without recording a
//! console line per event.

use balloon_sim::{Session, StepSize};

use crate::view_model::Fixed;

/// Slowest play speed, in events per second.
pub const MIN_SPEED: f64 = 1.0;
/// Fastest play speed, in events per second (the frame's time box still applies).
pub const MAX_SPEED: f64 = 100_000.0;
/// The speed the page starts at: slow enough to watch one message's ring operations.
pub const DEFAULT_SPEED: f64 = 8.0;
/// While the operator has not chosen a speed, play holds [`DEFAULT_SPEED`] this long (one
/// message round trip of about 13 operations, slowly enough to read)...
pub const RAMP_HOLD_MS: f64 = 2_000.0;
/// ...then doubles its speed this often up to [`MAX_SPEED`], so that a 512-message inflate
/// still ends within seconds.
pub const RAMP_DOUBLING_MS: f64 = 1_000.0;
/// Positions of the speed slider: `SLIDER_STEPS` positions over five decades.
pub const SLIDER_STEPS: u32 = 500;
/// Script time one frame may spend stepping before it renders what it has.
pub const FRAME_BUDGET_MS: f64 = 2.0;
/// Events run between two looks at the clock: reading it costs more than one step.
pub(crate) const CHUNK: u64 = 4;
/// Longest gap between two frames that is turned into events (a tab that was in the background
/// must not come back to a burst of work).
const MAX_FRAME_GAP_MS: f64 = 100.0;

/// The real-time paces play offers: virtual time runs at this fraction of the wall clock, so
/// a 0.71 s inflate takes 0.71 s at 1 and 71 s at 1/100.
pub const REAL_TIME_RATIOS: [(f64, &str); 4] = [
    (1.0, "real time"),
    (0.1, "1/10 real time"),
    (0.01, "1/100 real time"),
    (0.001, "1/1000 real time"),
];

/// The pace select's value for `ratio`: what its `<option>` carries, the ratio as `{}` prints
/// it ("1", "0.1", ...). Printed through [`Fixed`] with the trailing zeros cut: `f64`'s own
/// `Display` would be the last user of core's float formatting in the page (about 12 kB of wasm
/// before gzip; see `view_model::fixed`). Three decimals carry every ratio of
/// [`REAL_TIME_RATIOS`] exactly.
pub fn pace_value(ratio: f64) -> String {
    let text = Fixed(ratio, 3).to_string();
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The real-time ratio a pace option's value stands for; `None` for "event by event" (or any
/// value no option carries). Looked up rather than parsed: `str::parse::<f64>` would be the
/// page's only float parse and link core's decimal-to-float tables (about 10 kB of the wasm
/// that gzip cannot shrink).
pub fn pace_ratio(value: &str) -> Option<f64> {
    REAL_TIME_RATIOS
        .iter()
        .map(|(r, _)| *r)
        .find(|r| pace_value(*r) == value)
}

/// The speed (events per second) at slider position `pos` (log scale, clamped).
pub fn speed_at(pos: u32) -> f64 {
    let decades = (MAX_SPEED / MIN_SPEED).log10();
    let t = f64::from(pos.min(SLIDER_STEPS)) / f64::from(SLIDER_STEPS);
    MIN_SPEED * 10f64.powf(t * decades)
}

/// The slider position closest to `speed`.
pub fn slider_at(speed: f64) -> u32 {
    let decades = (MAX_SPEED / MIN_SPEED).log10();
    let speed = clamp_speed(speed);
    let t = (speed / MIN_SPEED).log10() / decades;
    (t * f64::from(SLIDER_STEPS)).round() as u32
}

/// `speed` within MIN_SPEED..=MAX_SPEED; anything not a number becomes the default.
pub fn clamp_speed(speed: f64) -> f64 {
    if speed.is_finite() {
        speed.clamp(MIN_SPEED, MAX_SPEED)
    } else {
        DEFAULT_SPEED
    }
}

/// The speed of a ramped play that has been playing for `played_ms`: `speed` for
/// [`RAMP_HOLD_MS`], then doubling every [`RAMP_DOUBLING_MS`] up to [`MAX_SPEED`].
pub fn ramp_speed(speed: f64, played_ms: f64) -> f64 {
    let doublings = ((played_ms - RAMP_HOLD_MS) / RAMP_DOUBLING_MS).clamp(0.0, 32.0);
    clamp_speed(clamp_speed(speed) * doublings.exp2())
}

/// Turns frame gaps into whole events at `speed`, carrying the fraction to the next frame.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    last_ms: Option<f64>,
    carry: f64,
    played_ms: f64,
}

impl Pacer {
    /// The events due at frame time `now_ms`; with `ramp`, at [`ramp_speed`] of `speed`.
    pub fn events_due(&mut self, now_ms: f64, speed: f64, ramp: bool) -> u64 {
        let gap = self
            .last_ms
            .map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_FRAME_GAP_MS));
        self.last_ms = Some(now_ms);
        self.played_ms += gap;
        let speed = if ramp {
            ramp_speed(speed, self.played_ms)
        } else {
            clamp_speed(speed)
        };
        // The first frame runs one event so that play responds at once.
        if gap == 0.0 && self.carry == 0.0 {
            self.carry = 1.0;
        } else {
            self.carry += speed * gap / 1000.0;
        }
        let due = self.carry.floor();
        self.carry -= due;
        due as u64
    }
}

impl Pacer {
    /// The virtual ns due at frame time `now_ms` when virtual time runs at `ratio` of the
    /// wall clock.
    pub fn time_due(&mut self, now_ms: f64, ratio: f64) -> u64 {
        let gap = self
            .last_ms
            .map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_FRAME_GAP_MS));
        self.last_ms = Some(now_ms);
        self.played_ms += gap;
        let ratio = if ratio.is_finite() {
            ratio.clamp(0.0, 1.0)
        } else {
            1.0
        };
        (gap * 1e6 * ratio) as u64
    }
}

/// What play drives: one VM's session or a host's.
pub trait Playable {
    /// When the next step's event happens, in virtual ns (`None`: nothing will by itself).
    fn next_event_ns(&self) -> Option<u64>;
    /// Runs up to `max` events forward while `more_time()` says there is time left (replaying
    /// the recorded timeline in the past); returns how many ran.
    fn advance(&mut self, max: u64, more_time: &mut dyn FnMut() -> bool) -> u64;
}

impl Playable for Session {
    fn next_event_ns(&self) -> Option<u64> {
        Session::next_event_ns(self)
    }
    fn advance(&mut self, max: u64, more_time: &mut dyn FnMut() -> bool) -> u64 {
        advance(self, max, more_time)
    }
}

/// Plays in virtual time: runs every event that starts at or before `until_ns` (the play
/// clock), while `more_time()` says the frame has time left. Returns how many ran, or `None`
/// when nothing will ever happen by itself (no recorded future, no work, no timer).
pub fn advance_until<P: Playable>(
    session: &mut P,
    until_ns: u64,
    mut more_time: impl FnMut() -> bool,
) -> Option<u64> {
    let mut done = 0;
    loop {
        match session.next_event_ns() {
            None => return (done > 0).then_some(done),
            Some(t) if t > until_ns => return Some(done),
            Some(_) => {}
        }
        if session.advance(1, &mut || true) == 0 {
            return (done > 0).then_some(done);
        }
        done += 1;
        if done.is_multiple_of(CHUNK) && !more_time() {
            return Some(done);
        }
    }
}

/// Runs up to `max` events forward while `more_time()` says there is time left; returns how
/// many ran. In the past this replays the recorded timeline (a seek, so no line is added to
/// the session's script); at the end it steps the scheduler.
pub fn advance(session: &mut Session, max: u64, mut more_time: impl FnMut() -> bool) -> u64 {
    let mut done = 0;
    while done < max {
        let chunk = (max - done).min(CHUNK);
        let before = session.current_index();
        let recorded = session.event_count();
        if before < recorded {
            // Within the recorded timeline a seek cannot fail.
            let _ = session.seek((before + chunk).min(recorded));
        } else {
            for _ in 0..chunk {
                let at = session.current_index();
                session.step(StepSize::Op);
                if session.current_index() == at {
                    break;
                }
            }
        }
        let moved = session.current_index() - before;
        done += moved;
        if moved == 0 || !more_time() {
            break;
        }
    }
    done
}

/// One ring operation forward: replayed from the timeline when in the past.
pub fn step_op(session: &mut Session) {
    advance(session, 1, || true);
}

/// Until no work is left: in the past, first to the end of the recorded timeline (a recorded
/// input would otherwise stop the run where it was typed), then until quiet.
pub fn run_to_quiet(session: &mut Session) {
    let count = session.event_count();
    if session.current_index() < count {
        // Within the recorded timeline a seek cannot fail.
        let _ = session.seek(count);
    }
    session.step(StepSize::UntilQuiet);
}

/// To the end of the next message round trip. In the past this seeks to the end of the next
/// recorded message (or the end of the timeline); at the end it steps the scheduler.
pub fn step_message(session: &mut Session) {
    let from = session.current_index();
    let count = session.event_count();
    if from >= count {
        session.step(StepSize::Message);
        return;
    }
    let end = (from..count)
        .find(|&i| {
            session
                .events()
                .get(i as usize)
                .is_some_and(|e| e.ends_message())
        })
        .map_or(count, |i| i + 1);
    let _ = session.seek(end);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 GiB → 512 MiB takes 0.71 s of virtual time: played at real time, 0.5 s of frames
    /// shows an intermediate balloon, and the rest of it finishes the inflate.
    /// Each option's value reads back as its ratio (the values as the pace select writes
    /// them, and as the e2e test picks "0.1"); "events" and anything else is event by event.
    #[test]
    fn pace_values_read_back_as_their_ratios() {
        for (value, ratio) in [("1", 1.0), ("0.1", 0.1), ("0.01", 0.01), ("0.001", 0.001)] {
            assert_eq!(pace_ratio(value), Some(ratio), "{value}");
        }
        for (ratio, _) in REAL_TIME_RATIOS {
            assert_eq!(pace_ratio(&pace_value(ratio)), Some(ratio));
        }
        for value in ["events", "", "0.10", "2", "1e-1", "NaN"] {
            assert_eq!(pace_ratio(value), None, "{value}");
        }
    }

    #[test]
    fn real_time_play_follows_virtual_time() {
        let text = "-m 1G -device virtio-balloon -seed 1\nrun\nballoon 512\n";
        let (mut s, _) = Session::from_script(text).unwrap();
        let start = s.now_ns();
        let mut pacer = Pacer::default();
        let mut clock = start + pacer.time_due(0.0, 1.0);
        let mut frame = 0.0;
        while frame < 500.0 {
            frame += 16.0;
            clock += pacer.time_due(frame, 1.0);
            advance_until(&mut s, clock, || true);
        }
        let actual = s.balloon().actual;
        assert!(actual > 0 && actual < 131_072, "{actual}");
        // Nothing ran ahead of the play clock (but the last event's own work, about 1 ms).
        assert!(s.now_ns() <= clock + 2_000_000, "{} > {clock}", s.now_ns());
        assert!(clock - start <= 520_000_000);
        while frame < 1000.0 {
            frame += 16.0;
            clock += pacer.time_due(frame, 1.0);
            advance_until(&mut s, clock, || true);
        }
        assert_eq!(s.balloon().actual, 131_072);
    }

    #[test]
    fn speed_slider_is_logarithmic_and_round_trips() {
        assert!((speed_at(0) - MIN_SPEED).abs() < 1e-9);
        assert!((speed_at(SLIDER_STEPS) - MAX_SPEED).abs() < 1e-6);
        assert!((speed_at(SLIDER_STEPS / 5) - 10.0).abs() < 1e-9);
        for pos in [0, 1, 77, 250, SLIDER_STEPS] {
            assert_eq!(slider_at(speed_at(pos)), pos);
        }
        assert_eq!(slider_at(f64::NAN), slider_at(DEFAULT_SPEED));
        assert_eq!(slider_at(1e12), SLIDER_STEPS);
    }

    #[test]
    fn pacer_turns_time_into_events_and_caps_gaps() {
        let mut p = Pacer::default();
        assert_eq!(p.events_due(1000.0, 100.0, false), 1);
        // 100 events/s for 10 ms is one event; 5 ms carries half of one.
        assert_eq!(p.events_due(1010.0, 100.0, false), 1);
        assert_eq!(p.events_due(1015.0, 100.0, false), 0);
        assert_eq!(p.events_due(1020.0, 100.0, false), 1);
        // A ten-second gap counts as 100 ms.
        assert_eq!(p.events_due(11_020.0, 1000.0, false), 100);
    }

    #[test]
    fn the_ramp_holds_the_first_message_then_doubles_to_the_top() {
        assert_eq!(ramp_speed(DEFAULT_SPEED, 0.0), DEFAULT_SPEED);
        assert_eq!(ramp_speed(DEFAULT_SPEED, RAMP_HOLD_MS), DEFAULT_SPEED);
        assert_eq!(
            ramp_speed(DEFAULT_SPEED, RAMP_HOLD_MS + 3.0 * RAMP_DOUBLING_MS),
            DEFAULT_SPEED * 8.0
        );
        assert_eq!(ramp_speed(DEFAULT_SPEED, 1e12), MAX_SPEED);
        // The hold shows at least one message (about 13 operations) at the start.
        const { assert!(DEFAULT_SPEED * RAMP_HOLD_MS / 1000.0 >= 13.0) };
        // Ramped frames of 16 ms: 2 s of hold gives the slow events, later frames many more.
        let mut p = Pacer::default();
        let mut first_two_s = 0;
        let mut t = 0.0;
        while t <= RAMP_HOLD_MS {
            first_two_s += p.events_due(t, DEFAULT_SPEED, true);
            t += 16.0;
        }
        assert!((15..=18).contains(&first_two_s), "{first_two_s}");
        let mut total = first_two_s;
        while t <= RAMP_HOLD_MS + 12_000.0 {
            total += p.events_due(t, DEFAULT_SPEED, true);
            t += 16.0;
        }
        // A 512-message inflate is about 6,700 events: it ends within 14 s of play.
        assert!(total > 7_000, "{total}");
    }

    fn booted() -> Session {
        Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\nballoon 512\n")
            .unwrap()
            .0
    }

    #[test]
    fn advance_steps_then_replays_without_adding_lines() {
        let mut s = booted();
        let start = s.current_index();
        assert_eq!(advance(&mut s, 40, || true), 40);
        assert_eq!(s.current_index(), start + 40);
        let hash = s.trace_hash();
        let script = s.script_text();
        s.seek(start).unwrap();
        assert_eq!(advance(&mut s, 40, || true), 40);
        assert_eq!(s.trace_hash(), hash);
        assert_eq!(s.script_text(), script, "replay added lines");
        // No time left: one chunk at most.
        assert!(advance(&mut s, 1000, || false) <= CHUNK);
    }

    #[test]
    fn advance_stops_when_nothing_is_left() {
        let mut s = booted();
        s.step(StepSize::UntilQuiet);
        let end = s.current_index();
        let ran = advance(&mut s, 1_000_000, || true);
        assert_eq!(s.current_index(), end + ran);
        assert_eq!(advance(&mut s, 10, || true), 0);
    }

    #[test]
    fn run_from_the_past_goes_to_the_end_of_the_script() {
        let mut s =
            Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\nballoon 512\nrun\n")
                .unwrap()
                .0;
        let end = (s.event_count(), s.balloon());
        s.seek(0).unwrap();
        run_to_quiet(&mut s);
        assert_eq!((s.current_index(), s.balloon()), end);
    }

    #[test]
    fn step_message_in_the_past_lands_on_a_message_end() {
        let mut s = booted();
        s.step(StepSize::UntilQuiet);
        s.seek(0).unwrap();
        let script = s.script_text();
        step_message(&mut s);
        let i = s.current_index();
        assert!(i > 0);
        assert!(
            s.events()
                .get(i as usize - 1)
                .is_some_and(|e| e.ends_message())
        );
        assert_eq!(s.script_text(), script);
    }
}
