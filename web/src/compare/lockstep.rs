//! One timeline over two runs of the same script: `balloon-sim compare`'s lockstep (one
//! command at a time on both sides, event i of a command beside event i of the other side's)
//! as positions. Command c takes as many positions as its longer side has events; a side with
//! fewer holds its last one. So a reaction that takes QEMU 8 more events earlier in the run
//! still lines up with Firecracker's reaction to the same command.

/// Where each side's commands end, in events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lockstep {
    /// Per side, the event count after each command, in script order.
    ends: [Vec<u64>; 2],
}

impl Lockstep {
    /// From each side's event counts after each command (both the same length).
    pub fn new(a: Vec<u64>, b: Vec<u64>) -> Self {
        Self { ends: [a, b] }
    }

    fn span(&self, side: usize, c: usize) -> (u64, u64) {
        let e = &self.ends[side];
        let start = c.checked_sub(1).map_or(0, |p| e[p]);
        (start, e[c] - start)
    }

    fn commands(&self) -> usize {
        self.ends[0].len().min(self.ends[1].len())
    }

    /// Positions in all.
    pub fn count(&self) -> u64 {
        (0..self.commands())
            .map(|c| self.span(0, c).1.max(self.span(1, c).1))
            .sum()
    }

    /// Each side's event count at position `p` (clamped to the end).
    pub fn at(&self, p: u64) -> [u64; 2] {
        let mut left = p;
        for c in 0..self.commands() {
            let (sa, na) = self.span(0, c);
            let (sb, nb) = self.span(1, c);
            let n = na.max(nb);
            if left <= n {
                return [sa + left.min(na), sb + left.min(nb)];
            }
            left -= n;
        }
        [
            self.ends[0].last().copied().unwrap_or(0),
            self.ends[1].last().copied().unwrap_or(0),
        ]
    }

    /// The position that shows event `j` (0-based) of command `c` on both sides.
    pub fn position_of(&self, c: usize, j: u64) -> u64 {
        let before: u64 = (0..c.min(self.commands()))
            .map(|c| self.span(0, c).1.max(self.span(1, c).1))
            .sum();
        (before + j + 1).min(self.count())
    }

    /// The command whose events include side `side`'s event `index` (0-based), and its
    /// place in that command.
    pub fn command_of(&self, side: usize, index: u64) -> Option<(usize, u64)> {
        let e = &self.ends[side];
        let c = e.partition_point(|&end| end <= index);
        (c < e.len()).then(|| (c, index - self.span(side, c).0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shorter_side_waits_at_its_last_event_of_the_command() {
        // Command 0: A 3 events, B 5; command 1: A 4, B 1.
        let l = Lockstep::new(vec![3, 7], vec![5, 6]);
        assert_eq!(l.count(), 5 + 4);
        assert_eq!(l.at(0), [0, 0]);
        assert_eq!(l.at(3), [3, 3]);
        assert_eq!(l.at(5), [3, 5], "A waits for B to end command 0");
        assert_eq!(l.at(6), [4, 6]);
        assert_eq!(l.at(9), [7, 6]);
        assert_eq!(l.at(99), [7, 6]);
        assert_eq!(l.command_of(0, 4), Some((1, 1)));
        assert_eq!(l.command_of(1, 5), Some((1, 0)));
        assert_eq!(l.command_of(1, 6), None);
        // Event 1 of command 1 is position 5 + 2: A shows its 5th event (index 4).
        assert_eq!(l.position_of(1, 1), 7);
        assert_eq!(l.at(7), [5, 6]);
    }
}
