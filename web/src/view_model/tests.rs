use balloon_sim::command::QueueName;
use balloon_sim::trace::{ConfigField, PfnRun};
use balloon_sim::{Session, StatsSample};

use super::*;
use balloon_sim::StepSize;

fn booted() -> Session {
    Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n")
        .unwrap()
        .0
}

#[test]
fn pfn_ranges_read_as_the_spec_prints_them() {
    let r = |first, count| format_pfn_range(PfnRun { first, count });
    assert_eq!(r(0x1a000, 256), "0x1a000–0x1a0ff (256 pages)");
    assert_eq!(r(0x10, 1), "0x10 (1 page)");
    assert_eq!(r(0x10, 2), "0x10–0x11 (2 pages)");
    assert_eq!(
        r(u64::MAX, 2),
        format!("{:#x}–{:#x} (2 pages)", u64::MAX, u64::MAX)
    );
}

#[test]
fn mib_and_flags_formatting() {
    assert_eq!(format_mib(131_072), "512 MiB");
    assert_eq!(format_mib(128), "0.5 MiB");
    assert_eq!(format_desc_flags(0), "0");
    assert_eq!(format_desc_flags(3), "NEXT|WRITE");
}

#[test]
fn one_inflate_message_moves_the_ivq_indices_and_highlights_them() {
    let mut s = booted();
    let ivq = |s: &Session| {
        queue_models(s)
            .into_iter()
            .find(|q| q.name == QueueName::Ivq)
            .unwrap()
    };
    let before = ivq(&s).view.ring.unwrap();
    s.apply_line("balloon 512").unwrap();
    // Up to the publish: avail.idx moves and is highlighted.
    let mut saw_avail = false;
    let mut saw_pfns = false;
    for _ in 0..200 {
        s.step(StepSize::Op);
        let q = ivq(&s);
        saw_avail |= q.changes.avail_idx;
        saw_pfns |= q.payloads.iter().any(
            |(_, p)| matches!(p, Payload::Pfns(r) if r.iter().map(|r| r.count).sum::<u64>() == 256),
        );
        if current_event(&s).is_some_and(|e| e.ends_message()) {
            break;
        }
    }
    let after = ivq(&s);
    let ring = after.ring.as_ref().unwrap();
    assert!(saw_avail, "avail.idx never highlighted");
    assert!(saw_pfns, "no in-flight descriptor showed its 256 PFNs");
    assert_eq!(ring.avail.idx, before.avail.idx.wrapping_add(1));
    assert_eq!(ring.used.idx, before.used.idx.wrapping_add(1));
    assert!(
        after.changes.last_used,
        "the closing step collects the used buffer"
    );
    assert_eq!(after.changes.towards_device, Some(false));
    assert_eq!((after.counts.kicks, after.counts.interrupts), (1, 1));
    assert_eq!(after.side, Side::Guest);
}

#[test]
fn init_flow_walks_from_type_registration_to_driver_ok() {
    let mut s = Session::new(balloon_sim::command::MachineConfig::default()).unwrap();
    let current = |s: &Session| {
        init_flow(s)
            .iter()
            .find(|st| st.state == StageState::Current)
            .map(|st| st.name)
    };
    assert_eq!(current(&s), Some("type registration"));
    s.step(StepSize::Op);
    assert_eq!(current(&s), Some("class_init"));
    s.step(StepSize::UntilQuiet);
    assert_eq!(current(&s), None);
    assert!(init_flow(&s).iter().all(|st| st.state == StageState::Done));
    let c = config_model(&s);
    assert!(c.status_bits.iter().filter(|b| b.set).count() == 4);
    assert!(c.features.contains(&"VIRTIO_F_VERSION_1"));
}

#[test]
fn config_model_marks_the_field_the_step_changed() {
    let mut s = booted();
    s.apply_line("balloon 512").unwrap();
    let c = config_model(&s);
    assert_eq!(c.num_pages, 131_072);
    assert_eq!(c.changed, vec![ConfigField::NumPages]);
    s.step(StepSize::Op);
    assert!(config_model(&s).changed.is_empty());
}

#[test]
fn transcript_is_bounded_and_ends_at_the_current_event() {
    let mut s = booted();
    s.apply_line("balloon 512").unwrap();
    s.step(StepSize::UntilQuiet);
    assert!(s.current_index() > 1000);
    let t = transcript(&s, TRANSCRIPT_LEN);
    assert_eq!(t.len(), TRANSCRIPT_LEN);
    assert_eq!(t.last().unwrap().number, s.current_index());
    s.seek(3).unwrap();
    let t = transcript(&s, TRANSCRIPT_LEN);
    assert_eq!(t.iter().map(|l| l.number).collect::<Vec<_>>(), [1, 2, 3]);
}

fn sample(i: u64, free: u64) -> StatsSample {
    let mut values = [u64::MAX; 16];
    values[4] = free << 20;
    StatsSample {
        index: i,
        time_ns: i * 1_000_000_000,
        values,
    }
}

#[test]
fn stats_chart_thins_long_runs_and_keeps_the_last_sample() {
    let samples: Vec<_> = (0..10_000).map(|i| sample(i, i % 700)).collect();
    let c = stats_chart(&samples, 240);
    assert_eq!(c.series.len(), 1, "only MEMFREE was reported");
    assert_eq!(c.series[0].name, "VIRTIO_BALLOON_S_MEMFREE");
    assert!(c.series[0].points.len() <= 241);
    assert_eq!(c.series[0].points.last().unwrap().0, 9999.0);
    assert_eq!(c.samples, 10_000);
    assert!(stats_chart(&[], 240).series.is_empty());
}
