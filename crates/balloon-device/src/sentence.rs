//! The plain sentence of each device event, for the UI.

use crate::consts::{feature_names, status};
use crate::event::{BalloonChange, DeviceEvent};
use crate::profile::DeflateAction;
use crate::runs::{describe, total};
use crate::vq::PushReason;

impl DeviceEvent {
    /// A short stable code for filters and styling, next to the sentence so that a new
    /// variant must be classified where it is explained: `boot`, `config`, `status`, `kick`,
    /// `pop`, `pages`, `used`, `notify` or `timer`.
    pub fn kind(&self) -> &'static str {
        use DeviceEvent::*;
        match self {
            TypeRegistered { .. }
            | ClassInit { .. }
            | InstanceInit { .. }
            | Realized { .. }
            | RealizeFailed { .. }
            | QueueAdded { .. }
            | StatsReset
            | Unrealized { .. } => "boot",
            FeaturesRead { .. }
            | DriverFeaturesSet { .. }
            | ConfigRead { .. }
            | ConfigAccessOutOfRange { .. }
            | ConfigWritten { .. }
            | ConfigWriteIgnored { .. }
            | VmmResized { .. }
            | QueueConfigured { .. }
            | QueueConfigFailed { .. }
            | NoSuchQueue { .. }
            | TargetSet { .. }
            | PollingIntervalSet { .. }
            | HintStatusChanged { .. } => "config",
            Kicked { .. } => "kick",
            Popped { .. } | QueueDrained { .. } => "pop",
            Inflated { .. }
            | Deflated { .. }
            | Reported { .. }
            | HintRanges { .. }
            | HintCmdId { .. }
            | StatsReceived { .. } => "pages",
            UsedPushed { .. } | PushDropped { .. } => "used",
            Notified { .. } => "notify",
            StatsPollFired { .. } | BalloonChangeFlushed { .. } => "timer",
            VirtioError { .. } | StatusSet { .. } | DeviceReset { .. } => "status",
            VmmAborted { .. } => "status",
            QueueStalled { .. } => "pop",
            ElementLost { .. } => "used",
            BufferSkipped { .. } => "handle",
        }
    }

    /// One plain sentence for the UI.
    pub fn sentence(&self) -> String {
        use DeviceEvent::*;
        match self {
            TypeRegistered { type_name } => format!(
                "type_init(virtio_register_types) registered the QOM type \"{type_name}\" (parent virtio-device)."
            ),
            ClassInit { props } => format!(
                "virtio_balloon_class_init registered the properties deflate-on-oom={}, free-page-hint={}, page-poison={}, free-page-reporting={}, qemu-4-0-config-size={} and the realize, reset, get_config, set_config, get_features and set_status hooks.",
                props.deflate_on_oom, props.free_page_hint, props.page_poison, props.free_page_reporting, props.qemu_4_0_config_size
            ),
            InstanceInit { cmd_id } => format!(
                "virtio_balloon_instance_init set free_page_hint_cmd_id to {cmd_id:#x} and added the guest-stats and guest-stats-polling-interval properties."
            ),
            Realized { device_id, config_size, features } => format!(
                "virtio_balloon_device_realize called virtio_init with device id {device_id} and a {config_size}-byte config space; the device will offer {}.",
                feature_names(*features)
            ),
            RealizeFailed { message } => format!("virtio_balloon_device_realize failed: {message}."),
            QueueAdded { queue, size } => format!("virtio_add_queue created {queue} with {size} entries."),
            StatsReset => "virtio_balloon_device_realize reset every guest stat to 18446744073709551615 (u64::MAX) and last-update to 0.".to_string(),
            Unrealized { queues_deleted } => format!(
                "virtio_balloon_device_unrealize stopped hinting, destroyed the stats timer, removed the balloon handler and deleted {queues_deleted} queue(s)."
            ),
            FeaturesRead { features } => format!("The driver read the device features: {}.", feature_names(*features)),
            DriverFeaturesSet { requested, accepted, applied: true } => format!(
                "The driver accepted {} (wrote {:#x}, kept {:#x}).",
                feature_names(*accepted), requested, accepted
            ),
            DriverFeaturesSet { requested, .. } => format!(
                "The driver wrote features {requested:#x} after FEATURES_OK; virtio_set_features refused the change."
            ),
            StatusSet { old, new } => format!("The driver set the device status from {} to {}.", status::names(*old), status::names(*new)),
            DeviceReset { num_pages, actual, unpopped_stats, .. } => format!(
                "The driver wrote status 0: virtio_balloon_device_reset stopped hinting, {}set poison_val to 0 and kept num_pages {num_pages} and actual {actual}; every queue is reset.",
                match unpopped_stats {
                    Some(h) => format!("un-popped the held stats element (head {h}), "),
                    None => String::new(),
                }
            ),
            ConfigRead { offset, data, .. } => format!(
                "The driver read {} config byte(s) at offset {offset}: {}.",
                data.len(), config_field_value(*offset, data)
            ),
            ConfigAccessOutOfRange { offset, len, size, write } => format!(
                "The driver {} {len} byte(s) at config offset {offset}, past the {size}-byte config space: {}.",
                if *write { "wrote" } else { "read" },
                if *write { "the write is dropped" } else { "the read returns all ones" }
            ),
            ConfigWritten { offset, old, new, balloon_change, .. } => {
                let mut s = format!("The driver wrote config offset {offset}: actual {} -> {}", old.actual, new.actual);
                if old.poison_val != new.poison_val {
                    s += &format!(", poison_val {:#x} -> {:#x}", old.poison_val, new.poison_val);
                }
                match balloon_change {
                    Some(BalloonChange { actual, sent_now: true }) => s += &format!("; BALLOON_CHANGE {{actual: {actual}}} sent."),
                    Some(BalloonChange { actual, sent_now: false }) => s += &format!("; BALLOON_CHANGE {{actual: {actual}}} held by the one-per-second throttle."),
                    None => s += ".",
                }
                s
            }
            QueueConfigured { queue, layout, event_idx } => format!(
                "The driver placed {queue}: {} entries, descriptors at {:#x}, avail ring at {:#x}, used ring at {:#x}{}.",
                layout.size, layout.desc_table, layout.avail_ring, layout.used_ring,
                if *event_idx { ", EVENT_IDX on" } else { "" }
            ),
            QueueConfigFailed { queue, error } => format!("The layout for {queue} was refused: {error}."),
            NoSuchQueue { index, op } => format!("The driver named queue {index} ({op}), which this device does not have; ignored."),
            Kicked { queue, accepted: true } => format!("The driver kicked {queue}; {} will run.", queue.kind.handler()),
            Kicked { queue, .. } => format!("The driver kicked {queue}, but the queue is not ready or the device is broken; nothing runs."),
            Popped { queue, head, descriptors, readable_bytes, writable_bytes, next_avail, .. } => format!(
                "virtqueue_pop took descriptor {head} from {queue} ({descriptors} descriptor(s), {readable_bytes} readable and {writable_bytes} writable bytes); next_avail {} -> {}.",
                next_avail.0, next_avail.1
            ),
            QueueDrained { queue, next_avail } => format!(
                "virtqueue_pop found {queue} empty (avail.idx == next_avail {next_avail}); {} returns.",
                queue.kind.handler()
            ),
            Inflated { head, pfns, inhibited: true, .. } => format!(
                "virtio_balloon_handle_output acknowledged {} PFN(s) of descriptor {head} ({}) without discarding: RAM discards are inhibited.",
                total(pfns), describe(pfns)
            ),
            Deflated { head, pfns, inhibited: true, .. } => format!(
                "virtio_balloon_handle_output acknowledged {} deflated PFN(s) of descriptor {head} ({}) without MADV_WILLNEED: RAM discards are inhibited.",
                total(pfns), describe(pfns)
            ),
            Inflated { head, pfns, bad_pfns, tail_bytes, frames_discarded, host_pages_discarded, partial_subpages_lost, resident_dropped_bytes, resident_bytes, .. } => {
                let mut s = format!(
                    "balloon_inflate_page for {} PFN(s) of descriptor {head} ({}): {frames_discarded} frame(s) newly discarded in {host_pages_discarded} host page(s), of which {} KiB had been written by the guest and were resident; host resident size of guest RAM now {} KiB",
                    total(pfns), describe(pfns), resident_dropped_bytes / 1024, resident_bytes / 1024
                );
                if !bad_pfns.is_empty() {
                    s += &format!("; {} PFN(s) outside RAM skipped ({})", total(bad_pfns), describe(bad_pfns));
                }
                if *partial_subpages_lost > 0 {
                    s += &format!("; {partial_subpages_lost} subpage(s) of partly ballooned host pages could not be discarded");
                }
                if *tail_bytes > 0 {
                    s += &format!("; {tail_bytes} trailing byte(s) ignored");
                }
                s + "."
            }
            Deflated { head, resident_bytes, action: DeflateAction::AckOnly, .. } => format!(
                "process_deflate_queue acknowledged descriptor {head} without reading its PFNs: Firecracker's deflate leaves host memory as it is (the pages fault back in when the guest writes them); host resident size of guest RAM stays {} KiB.",
                resident_bytes / 1024
            ),
            Deflated { head, pfns, bad_pfns, tail_bytes, frames_undiscarded, resident_bytes, action, .. } => {
                let how = match action {
                    DeflateAction::Reclaim => "reclaim_memory (a no-op on a Linux host)",
                    _ => "balloon_deflate_page (MADV_WILLNEED on whole host pages)",
                };
                let mut s = format!(
                    "{how} for {} PFN(s) of descriptor {head} ({}): {frames_undiscarded} frame(s) back in the guest's use, resident on the host again only once the guest writes them; host resident size of guest RAM stays {} KiB",
                    total(pfns), describe(pfns), resident_bytes / 1024
                );
                if !bad_pfns.is_empty() {
                    s += &format!("; {} PFN(s) outside RAM skipped ({})", total(bad_pfns), describe(bad_pfns));
                }
                if *tail_bytes > 0 {
                    s += &format!("; {tail_bytes} trailing byte(s) ignored");
                }
                s + "."
            }
            StatsReceived { head, parse, last_update, timer, .. } => format!(
                "virtio_balloon_receive_stats holds descriptor {head}: reset the stats, parsed {} entr{} ({} unknown tag(s) ignored, {} trailing byte(s) ignored), last-update {last_update}{}.",
                parse.entries, if parse.entries == 1 { "y" } else { "ies" }, parse.unknown_tags, parse.tail_bytes,
                match timer {
                    Some(t) => format!(", poll timer armed for {} ms", t / 1_000_000),
                    None => ", polling is off".to_string(),
                }
            ),
            HintCmdId { head, id, old, new, .. } => format!(
                "get_free_page_hints read cmd id {id:#x} from descriptor {head}: {} -> {}.",
                old.name(), new.name()
            ),
            HintRanges { head, runs, taken, newly_hinted, .. } => {
                if *taken {
                    format!(
                        "qemu_guest_free_page_hint for descriptor {head}: {} frame(s) ({}) may skip migration ({newly_hinted} new).",
                        total(runs), describe(runs)
                    )
                } else {
                    format!("get_free_page_hints ignored the hinted ranges of descriptor {head}: hinting is not started.")
                }
            }
            Reported { head, inhibited: true, .. } => format!(
                "virtio_balloon_handle_report skipped descriptor {head}: RAM discards are inhibited."
            ),
            Reported { head, discarded, frames_discarded, misaligned, skipped_for_poison, resident_bytes, .. } => match skipped_for_poison {
                Some(p) => format!("virtio_balloon_handle_report skipped descriptor {head}: poison_val is {p:#x}, so the pages must keep their contents."),
                None => format!(
                    "virtio_balloon_handle_report discarded {} ({frames_discarded} frame(s) newly) for descriptor {head}{}; host resident size now {} KiB.",
                    describe(discarded),
                    if *misaligned > 0 { format!(", {misaligned} range(s) skipped as misaligned or past RAM") } else { String::new() },
                    resident_bytes / 1024
                ),
            },
            UsedPushed { queue, head, len, used_idx, reason } => format!(
                "virtqueue_push put {{id: {head}, len: {len}}} in the used ring of {queue}{}; used.idx {} -> {}.",
                match reason {
                    PushReason::Handled => "",
                    PushReason::StatsPoll => " to ask for fresh stats",
                    PushReason::StatsSuperseded => " (an older stats buffer, replaced by a new one)",
                },
                used_idx.0, used_idx.1
            ),
            PushDropped { queue, head } => format!(
                "virtqueue_push dropped element {head} of {queue}: the device is broken, so used.idx does not move."
            ),
            Notified { queue, interrupt: true } => format!("virtio_notify raised a used-buffer interrupt for {queue}."),
            Notified { queue, .. } => format!("virtio_notify for {queue}: the driver asked not to be interrupted now (EVENT_IDX or NO_INTERRUPT)."),
            StatsPollFired { held: Some(h), .. } => format!("The stats poll timer fired: balloon_stats_poll_cb returns held descriptor {h}."),
            StatsPollFired { rearmed, .. } => format!(
                "The stats poll timer fired with no stats buffer held: re-armed{}.",
                rearmed.map(|t| format!(" for {} ms", t / 1_000_000)).unwrap_or_default()
            ),
            BalloonChangeFlushed { actual, raised_ns } => format!("The one-per-second throttle window closed: BALLOON_CHANGE {{actual: {actual}}}, raised at {}.{:06} s, sent with that timestamp.", raised_ns / 1_000_000_000, raised_ns % 1_000_000_000 / 1000),
            VmmAborted { message, cause, function, .. } => format!(
                "{function} panics (\"{message}\"): {cause}. The VMM process would abort here and the whole VM with it; the simulator stops the device instead."
            ),
            QueueStalled { queue, message, cause, function } => format!(
                "{function} gives up on {queue}{}: {cause}. Nothing is returned and nothing is told to the guest, so the queue stalls.",
                if message.is_empty() { String::new() } else { format!(" (\"{message}\")") }
            ),
            ElementLost { queue, head, message, function } => format!(
                "{function}: \"{message}\"; element {head} of {queue} is popped but never returned to the used ring."
            ),
            VmmResized { function, requested, num_pages, config_interrupt } => format!(
                "{function}({requested}): num_pages {} -> {}; {}.",
                num_pages.0,
                num_pages.1,
                if *config_interrupt { "a config interrupt tells the driver" } else { "no interrupt yet (no DRIVER_OK)" }
            ),
            BufferSkipped { queue, head, message, cause, function } => format!(
                "{function} passes over element {head} of {queue}{}: {cause}; no PFN is read and the element is acked.",
                if message.is_empty() { String::new() } else { format!(" (\"{message}\")") }
            ),
            ConfigWriteIgnored { offset, data, message } => format!(
                "The driver wrote {} byte(s) at config offset {offset}; the device ignores it (\"{message}\").",
                data.len()
            ),
            VirtioError { message, cause, config_interrupt, lost_head, .. } => format!(
                "virtio_error(\"{message}\"): {cause}; the device sets DEVICE_NEEDS_RESET{} and stops processing until reset{}.",
                if *config_interrupt { " and raises a config interrupt" } else { "" },
                lost_head.map(|h| format!("; element {h} is never returned")).unwrap_or_default()
            ),
            TargetSet { requested, target, num_pages, config_interrupt } => format!(
                "qmp_balloon({requested}) -> virtio_balloon_to_target({target}): num_pages {} -> {}; {}.",
                num_pages.0, num_pages.1, irq(*config_interrupt)
            ),
            PollingIntervalSet { old, new, timer } => format!(
                "guest-stats-polling-interval {old} -> {new} s{}.",
                match timer {
                    Some(t) => format!("; the poll timer fires at {} ms", t / 1_000_000),
                    None => "; the poll timer is off".to_string(),
                }
            ),
            HintStatusChanged { reason, old, new, cmd_id, config_interrupt } => format!(
                "Precopy notifier {}: free page hinting {} -> {} (cmd id {cmd_id:#x}); {}.",
                reason.name(), old.name(), new.name(), irq(*config_interrupt)
            ),
        }
    }
}

fn irq(b: bool) -> &'static str {
    if b {
        "a config-change interrupt is raised"
    } else {
        "no interrupt (DRIVER_OK not set)"
    }
}

fn config_field_value(offset: u32, data: &[u8]) -> String {
    let field = match offset {
        0..=3 => "num_pages",
        4..=7 => "actual",
        8..=11 => "free_page_hint_cmd_id",
        12..=15 => "poison_val",
        _ => "beyond the config",
    };
    let mut v = [0u8; 8];
    let n = data.len().min(8);
    v[..n].copy_from_slice(&data[..n]);
    format!("{field} {}", u64::from_le_bytes(v))
}
