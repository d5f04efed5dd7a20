//! The per-queue handlers' work on one popped element: `virtio_balloon_handle_output`,
//! `virtio_balloon_receive_stats`, `get_free_page_hints`, `virtio_balloon_handle_report`.

use virtq::{Backend, ChainDescriptor, DescriptorChain};

use crate::consts::PAGE_SIZE;
use crate::device::BalloonDevice;
use crate::engine::{BOGUS, ErrorClass, NS_PER_SEC};
use crate::event::DeviceEvent;
use crate::hint::HintStatus;
use crate::host_memory::{HostMemory, HostPageSize, InflateOutcome, PartiallyBalloonedPage};
use crate::profile::{DeflateAction, MalformedReaction, MissingStat, PfnBufferCap, PfnDescriptors};
use crate::reader::{for_each_batch, for_each_record, read_prefix};
use crate::runs::RunBuilder;
use crate::stats::{StatValues, StatsParse, apply_entry};
use crate::vq::{After, PushReason, QueueKind, Stage};

/// Extends the run `(first, count)` downwards by the PFNs at the start of `records` that
/// continue it (Linux lists a message's PFNs from the highest down, `fill_balloon` popping
/// its page list), and returns how many it took. Guest RAM is one range from frame 0
/// ([`HostMemory::is_ram`]), so a frame below one of the run's is RAM and needs no check; the
/// counts are those of one `balloon_inflate_page` per PFN, applied to the run later.
fn extend_down(records: &[[u8; 4]], run: &mut (u64, u64)) -> usize {
    let mut taken = 0;
    for r in records {
        let pfn = u64::from(u32::from_le_bytes(*r));
        if pfn + 1 != run.0 {
            break;
        }
        run.0 = pfn;
        taken += 1;
    }
    run.1 += taken as u64;
    taken
}

impl<B: Backend> BalloonDevice<B> {
    /// The descriptors whose bytes are PFNs under this profile, the bytes set aside, and
    /// whether the element is to be dropped unreturned (Firecracker's oversized head).
    fn pfn_descriptors(&self, chain: &DescriptorChain) -> (Vec<ChainDescriptor>, u64, bool) {
        let cap_bytes = |d: &ChainDescriptor, max: u32| u64::from(d.len) > u64::from(max) * 4;
        let readable = chain.readable().copied();
        let (mut keep, mut ignored) = (Vec::new(), 0u64);
        match self.profile.pfn_descriptors {
            PfnDescriptors::AllReadable | PfnDescriptors::ReaderStream => keep.extend(readable),
            PfnDescriptors::EachReadableWhole => {
                for d in readable {
                    let too_long = match self.profile.pfn_buffer_cap {
                        PfnBufferCap::SkipDescriptor(max) => d.len > max,
                        _ => false,
                    };
                    // process_queue: "Skipping descriptor with length .. not a multiple of 4"
                    // and ".. exceeding cap": the whole descriptor, not just its tail.
                    if d.len % 4 != 0 || too_long {
                        ignored += u64::from(d.len);
                    } else {
                        keep.push(d);
                    }
                }
            }
            PfnDescriptors::HeadOnly => {
                let head = chain.descriptors.first().copied();
                if let Some(h) = head.filter(|h| !h.writable && h.len % 4 == 0) {
                    if let PfnBufferCap::LoseElement(max) = self.profile.pfn_buffer_cap
                        && cap_bytes(&h, max)
                    {
                        return (Vec::new(), u64::from(h.len), true);
                    }
                    keep.push(h);
                }
                ignored = chain
                    .readable()
                    .map(|d| u64::from(d.len))
                    .sum::<u64>()
                    .saturating_sub(keep.iter().map(|d| u64::from(d.len)).sum());
            }
        }
        (keep, ignored, false)
    }

    pub(crate) fn handle_output(
        &mut self,
        i: usize,
        chain: DescriptorChain,
        ram: &B::Ram,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        let inflate = queue.kind == QueueKind::Inflate;
        let (descs, ignored_bytes, lose) = self.pfn_descriptors(&chain);
        if lose {
            // Firecracker process_inflate: "Inflate descriptor has bogus page count .. > 256,
            // skipping." and `continue`, before add_used.
            self.finish_handler(i);
            return DeviceEvent::ElementLost {
                queue,
                head: chain.head,
                message: format!(
                    "Inflate descriptor has bogus page count {} > 256, skipping.",
                    ignored_bytes / 4
                ),
                function: "process_inflate",
            };
        }
        // Firecracker's deflate acks without reading anything.
        let deflate_reads = self.profile.deflate_action != DeflateAction::AckOnly;
        let (descs, ignored_bytes) = if inflate || deflate_reads {
            (descs, ignored_bytes)
        } else {
            (Vec::new(), 0)
        };
        let mut pbp = if self.profile.pbp_across_requests {
            std::mem::take(&mut self.pbp)
        } else {
            PartiallyBalloonedPage::default()
        };
        let (mut pfns, mut bad) = (RunBuilder::new(), RunBuilder::new());
        let (mut changed, mut host_pages, mut lost) = (0u64, 0u64, 0u64);
        let inhibited = self.discard_inhibited;
        let resident_before = self.memory.resident_bytes();
        let dedup = self.profile.dedup_pfns;
        let mut seen = Vec::new();
        let mem = &mut self.memory;
        // On 4 KiB host pages every PFN is a whole host page, so consecutive PFNs (Linux sends
        // them descending) are gathered into one run and discarded in one bitmap update; the
        // counts are those of one balloon_inflate_page per PFN.
        let whole_pages = mem.page_size() == HostPageSize::Size4K;
        let mut run: Option<(u64, u64)> = None;
        let apply_run = |mem: &mut HostMemory,
                         pfns: &mut RunBuilder,
                         tally: &mut (u64, u64),
                         (first, count): (u64, u64)| {
            pfns.push_run(first, count);
            if inhibited {
                return;
            }
            if inflate {
                tally.0 += mem.inflate_run(first, count).unwrap_or(0);
                tally.1 += count;
            } else {
                tally.0 += mem.deflate_run(first, count).unwrap_or(0);
            }
        };
        let mut tally = (0u64, 0u64);
        // One call per 256-PFN array, the loop over its PFNs here: a call per PFN cost more
        // than everything else the device does for an element.
        let read = for_each_batch::<_, 4>(ram, descs.iter(), |batch| {
            let mut rest = batch;
            loop {
                if whole_pages
                    && !dedup
                    && let Some(run) = &mut run
                {
                    rest = &rest[extend_down(rest, run)..];
                }
                let Some((r, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let pfn = u64::from(u32::from_le_bytes(*r));
                if dedup {
                    // compact_page_frame_numbers: "Skipping duplicate PFN" (at most 256 here).
                    if seen.contains(&pfn) {
                        continue;
                    }
                    seen.push(pfn);
                }
                if !mem.is_ram(pfn) {
                    bad.push(pfn);
                    continue;
                }
                if whole_pages {
                    match &mut run {
                        Some((first, count)) if pfn == *first + *count => *count += 1,
                        Some((first, count)) if pfn + 1 == *first => {
                            *first = pfn;
                            *count += 1;
                        }
                        _ => {
                            if let Some(done) = run.replace((pfn, 1)) {
                                apply_run(mem, &mut pfns, &mut tally, done);
                            }
                        }
                    }
                    continue;
                }
                pfns.push(pfn);
                if inhibited {
                    // virtio_balloon_inhibited(): acknowledge only.
                } else if inflate {
                    match mem.inflate_page(pfn, &mut pbp) {
                        InflateOutcome::Discarded { newly, .. } => {
                            changed += newly;
                            host_pages += 1;
                        }
                        InflateOutcome::Partial { dropped } => lost += u64::from(dropped),
                    }
                } else {
                    changed += mem.deflate_page(pfn).2;
                }
            }
        });
        if let Some(done) = run {
            apply_run(mem, &mut pfns, &mut tally, done);
        }
        changed += tally.0;
        host_pages += tally.1;
        let tail_bytes = match read {
            Ok(t) => t + ignored_bytes,
            // Cloud Hypervisor and crosvm log and break: what was read is used, the element
            // is acked.
            Err(_) if self.profile.malformed.buffer == MalformedReaction::Tolerate => ignored_bytes,
            Err(e) => {
                return self.react(
                    Some(i),
                    ErrorClass::Buffer,
                    BOGUS.to_string(),
                    e.to_string(),
                    Some(chain.head),
                );
            }
        };
        if self.profile.pbp_across_requests {
            // Cloud Hypervisor keeps the partial page in the handler for the next request.
            self.pbp = pbp;
        } else {
            // virtio_balloon_pbp_free: what was collected of a host page is forgotten.
            lost += pbp.subpages_seen();
        }
        self.queues[i].stage = Stage::Push {
            head: chain.head,
            len: 0,
            reason: PushReason::Handled,
            then: After::PopMore,
        };
        let resident_bytes = self.memory.resident_bytes();
        if inflate {
            DeviceEvent::Inflated {
                queue,
                head: chain.head,
                pfns: pfns.finish(),
                bad_pfns: bad.finish(),
                tail_bytes,
                frames_discarded: changed,
                host_pages_discarded: host_pages,
                partial_subpages_lost: lost,
                resident_dropped_bytes: resident_before - resident_bytes,
                resident_bytes,
                inhibited,
            }
        } else {
            DeviceEvent::Deflated {
                queue,
                head: chain.head,
                pfns: pfns.finish(),
                bad_pfns: bad.finish(),
                tail_bytes,
                frames_undiscarded: changed,
                resident_bytes,
                inhibited,
                action: self.profile.deflate_action,
            }
        }
    }

    /// `virtio_balloon_receive_stats` after the pop: hold, reset, parse, re-arm the timer.
    pub(crate) fn receive_stats(
        &mut self,
        i: usize,
        chain: DescriptorChain,
        ram: &B::Ram,
        now_ns: u64,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        self.stats_held = Some(chain.head);
        let mut stats = match self.profile.missing_stat {
            // Firecracker's update_with_stat only overwrites the tags it receives.
            MissingStat::KeepOld => self.stats,
            MissingStat::ResetToMax | MissingStat::Absent => {
                StatValues::reset(self.profile.stats_tags)
            }
        };
        let mut parse = StatsParse::default();
        let read = for_each_record::<_, 10>(ram, chain.readable(), |e| {
            parse.entries += 1;
            // A tag the profile's build does not know is skipped inside apply_entry.
            if !apply_entry(&mut stats, e) {
                parse.unknown_tags += 1;
            }
        });
        match read {
            Ok(t) => parse.tail_bytes = t,
            Err(_) if self.profile.malformed.buffer == MalformedReaction::Tolerate => {}
            Err(e) => {
                self.stats_held = None;
                return self.react(
                    Some(i),
                    ErrorClass::Buffer,
                    BOGUS.to_string(),
                    e.to_string(),
                    Some(chain.head),
                );
            }
        }
        self.stats = stats;
        self.stats_last_update = (now_ns / NS_PER_SEC) as i64;
        if self.stats_poll_interval > 0 {
            self.stats_timer =
                Some(now_ns.saturating_add(u64::from(self.stats_poll_interval) * NS_PER_SEC));
        }
        self.finish_handler(i);
        DeviceEvent::StatsReceived {
            queue,
            head: chain.head,
            parse,
            stats,
            last_update: self.stats_last_update,
            timer: self.stats_timer,
        }
    }

    /// `get_free_page_hints` for one element.
    pub(crate) fn get_free_page_hints(
        &mut self,
        i: usize,
        chain: DescriptorChain,
        ram: &B::Ram,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        let mut cmd = None;
        if chain.readable().next().is_some() {
            let mut id = [0u8; 4];
            let got = match read_prefix(ram, chain.readable(), &mut id) {
                Ok(n) => n,
                Err(e) => {
                    return self.react(
                        Some(i),
                        ErrorClass::Buffer,
                        BOGUS.to_string(),
                        e.to_string(),
                        Some(chain.head),
                    );
                }
            };
            if got != 4 {
                let cause = format!(
                    "the cmd-id buffer of element {} holds {got} byte(s), not 4",
                    chain.head
                );
                return self.virtio_error(
                    Some(i),
                    "received an incorrect cmd id".to_string(),
                    cause,
                    Some(chain.head),
                );
            }
            let id = u32::from_le_bytes(id);
            cmd = Some((id, self.hint.receive_cmd_id(id)));
        }
        let taken = self.hint.accepting_hints();
        let mut runs = RunBuilder::new();
        let mut newly_hinted = 0;
        if taken {
            for d in chain.writable() {
                newly_hinted += self.memory.hint_free(d.addr, u64::from(d.len));
                let first = d.addr / PAGE_SIZE;
                let end = d.addr.saturating_add(u64::from(d.len)).div_ceil(PAGE_SIZE);
                runs.push_run(first, end - first);
            }
        }
        // The BH keeps polling only while hinting is started.
        let then = if self.hint.status == HintStatus::Start {
            After::PopMore
        } else {
            After::Return
        };
        self.queues[i].stage = Stage::Push {
            head: chain.head,
            len: 0,
            reason: PushReason::Handled,
            then,
        };
        match cmd {
            Some((id, o)) => DeviceEvent::HintCmdId {
                queue,
                head: chain.head,
                id,
                old: o.old,
                new: o.new,
            },
            None => DeviceEvent::HintRanges {
                queue,
                head: chain.head,
                runs: runs.finish(),
                taken,
                newly_hinted,
            },
        }
    }

    /// `virtio_balloon_handle_report` for one element.
    pub(crate) fn handle_report(&mut self, i: usize, chain: DescriptorChain) -> DeviceEvent {
        let queue = self.qref(i);
        let mut discarded = RunBuilder::new();
        let (mut frames, mut misaligned) = (0u64, 0u64);
        let skipped_for_poison = (self.poison_val != 0).then_some(self.poison_val);
        let inhibited = self.discard_inhibited;
        if skipped_for_poison.is_none() && !inhibited {
            for d in chain.writable() {
                match self.memory.discard_reported(d.addr, u64::from(d.len)) {
                    Some(n) => {
                        frames += n;
                        discarded.push_run(d.addr / PAGE_SIZE, u64::from(d.len) / PAGE_SIZE);
                    }
                    None => misaligned += 1,
                }
            }
        }
        // Cloud Hypervisor's process_reporting_queue returns the sum of the descriptor lengths.
        let len = if self.profile.report_used_len_sum {
            chain
                .descriptors
                .iter()
                .fold(0u32, |a, d| a.wrapping_add(d.len))
        } else {
            0
        };
        self.queues[i].stage = Stage::Push {
            head: chain.head,
            len,
            reason: PushReason::Handled,
            then: After::PopMore,
        };
        DeviceEvent::Reported {
            queue,
            head: chain.head,
            discarded: discarded.finish(),
            frames_discarded: frames,
            misaligned,
            skipped_for_poison,
            inhibited,
            resident_bytes: self.memory.resident_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::extend_down;

    #[test]
    fn extend_down_takes_the_pfns_that_continue_the_run_downwards() {
        let recs: Vec<[u8; 4]> = [9u32, 8, 7, 3, 2].iter().map(|p| p.to_le_bytes()).collect();
        let mut run = (10, 2);
        assert_eq!(extend_down(&recs, &mut run), 3);
        assert_eq!(run, (7, 5));
        // A PFN that does not continue it (an ascending one, a gap) stops it at once.
        assert_eq!(extend_down(&recs[3..], &mut run), 0);
        assert_eq!(run, (7, 5));
        let mut at_zero = (0, 1);
        assert_eq!(extend_down(&recs, &mut at_zero), 0);
    }
}
