//! The malformed-guest behaviours of the `fault` line: one table gives each its name, its
//! queue and the driver misbehaviour it arms, so no list can fall out of step with another.

use balloon_driver::Misbehaviour;

use super::QueueName;

macro_rules! fault_table {
    ($( $(#[doc = $doc:expr])* $kind:ident = $name:literal on $queue:ident arms $mis:ident; )*) => {
        /// The malformed-guest behaviours, named as the `fault` line spells them (the rows
        /// of the malformed-input catalogue). Serialised as that name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FaultKind {
            $( $(#[doc = $doc])* $kind, )*
        }

        impl FaultKind {
            /// Every fault, in table order.
            pub const ALL: &'static [FaultKind] = &[$(FaultKind::$kind),*];

            /// The names the `fault` line accepts, in table order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The name the `fault` line spells.
            pub fn name(self) -> &'static str {
                match self {
                    $(FaultKind::$kind => $name,)*
                }
            }

            /// The kind called `name`.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(FaultKind::$kind),)*
                    _ => None,
                }
            }

            /// The queue whose buffers this fault breaks.
            pub fn queue(self) -> QueueName {
                match self {
                    $(FaultKind::$kind => QueueName::$queue,)*
                }
            }

            /// The driver misbehaviour that makes the next buffer on [`FaultKind::queue`]
            /// malformed this way.
            pub fn misbehaviour(self) -> Misbehaviour {
                match self {
                    $(FaultKind::$kind => Misbehaviour::$mis,)*
                }
            }
        }
    };
}

fault_table! {
    /// The PFN buffer is marked VIRTQ_DESC_F_WRITE (row 1).
    DeviceWritable = "device-writable" on Ivq arms WritableDescriptor;
    /// The buffer length is not a multiple of 4 (row 2).
    OddLength = "odd-length" on Ivq arms LengthNotMultipleOf4;
    /// More than 256 PFNs in one buffer (row 3).
    Oversized = "oversized" on Ivq arms TooManyPfns;
    /// A PFN beyond the end of guest RAM (row 4).
    PfnOutsideRam = "pfn-outside-ram" on Ivq arms PfnBeyondRam;
    /// avail.idx moved more than the queue size ahead (row 10).
    AvailIdxJump = "avail-idx-jump" on Ivq arms AvailIdxJump;
    /// The avail entry names a head ≥ queue size (row 11).
    HeadOutOfRange = "head-out-of-range" on Ivq arms HeadOutOfRange;
    /// The chain's next fields form a loop (row 11).
    DescLoop = "desc-loop" on Ivq arms LoopingChain;
    /// A zero-length descriptor (row 12).
    ZeroLength = "zero-length" on Ivq arms ZeroLength;
    /// The PFN buffer itself lies past the end of RAM (row 5).
    PfnArrayOutsideRam = "pfn-array-outside-ram" on Ivq arms PfnArrayBeyondRam;
    /// The PFN buffer split over two chained descriptors (row 6).
    Chain = "chain" on Ivq arms ChainedPfnArray;
    /// The second PFN of the message repeats the first (row 7).
    DuplicatePfn = "duplicate-pfn" on Ivq arms DuplicatePfn;
    /// The `actual` written after the next inflate is 0xffffffff (row 9).
    NonsenseActual = "nonsense-actual" on Ivq arms NonsenseActual;
    /// The next deflate names PFN 0, never ballooned (row 8).
    NeverInflated = "never-inflated" on Dvq arms DeflateNeverInflated;
    /// The next stats buffer ends inside its last entry (row 13).
    PartialEntry = "partial-entry" on Svq arms StatsPartialEntry;
    /// The next stats buffer is 4000 bytes long (row 14).
    LargeBuffer = "large-buffer" on Svq arms StatsLargeBuffer;
    /// The next stats buffer starts with tag 0xff (row 15).
    UnknownTag = "unknown-tag" on Svq arms StatsUnknownTag;
    /// A second stats buffer while the device holds one (row 16): QEMU pushes the held one
    /// back, Linux's stats_request re-adds it, and the two ping-pong for as long as the
    /// guest runs, one used interrupt per round.
    SecondBuffer = "second-buffer" on Svq arms SecondStatsBuffer;
    /// The next hint cmd id buffer is 2 bytes (row 17).
    CmdIdLength = "cmd-id-length" on FreePageVq arms HintCmdIdLength;
    /// The next report's first range is misaligned (row 18).
    Misaligned = "misaligned" on ReportingVq arms ReportMisaligned;
    /// The next `actual` is written at config offset 5 (row 19).
    ActualOffset = "actual-offset" on Ivq arms ActualAtWrongOffset;
    /// The next deflate's pages are reused before the host's ack (row 20: a violation only
    /// when MUST_TELL_HOST was negotiated, which crosvm always offers).
    ReleaseBeforeAck = "release-before-ack" on Dvq arms ReleaseBeforeAck;
}

impl serde::Serialize for FaultKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for FaultKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        FaultKind::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "`{name}` is not a fault the `fault` line knows"
            ))
        })
    }
}

/// The `fault` line's forms, one per queue that has faults: `fault ivq <a|b|...>`.
pub(crate) fn forms() -> String {
    QueueName::ALL
        .iter()
        .filter_map(|&q| {
            let names: Vec<&str> = FaultKind::ALL
                .iter()
                .filter(|k| k.queue() == q)
                .map(|k| k.name())
                .collect();
            match names.as_slice() {
                [] => None,
                [one] => Some(format!("fault {} {one}", q.as_str())),
                many => Some(format!("fault {} <{}>", q.as_str(), many.join("|"))),
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}
