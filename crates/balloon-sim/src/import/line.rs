//! One line of QEMU's `log` trace backend, split and typed.
//!
//! The backend (QEMU `scripts/tracetool/backend/log.py`) prints, with `-msg timestamp=on`,
//! `TID@SECONDS.MICROS:name args`, where TID is `qemu_get_thread_id()` (a thread id, not a
//! process id) and the time is `gettimeofday()`; without timestamps it prints `name args`.
//! `args` is the event's format string from `hw/virtio/trace-events` (and, for
//! `balloon_event`, `softmmu/trace-events`).

/// The `TID@SECONDS.MICROS:` prefix, when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// `qemu_get_thread_id()` of the thread that traced the line.
    pub thread: u32,
    /// Wall-clock time, nanoseconds since the Unix epoch (the log prints microseconds).
    pub time_ns: u64,
}

/// A trace line split into prefix, event name and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// The prefix, if the line had one.
    pub prefix: Option<Prefix>,
    /// The trace event name (a C identifier).
    pub name: &'a str,
    /// Everything after the name.
    pub args: &'a str,
}

/// Parses `SECONDS[.FRACTION]` (at most 9 fraction digits) into nanoseconds, exactly: QMP's
/// `t` and the trace prefix are both decimal text, and going through `f64` would lose the
/// microseconds of a 10-digit epoch.
pub fn decimal_seconds_ns(text: &str) -> Option<u64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let mut ns: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..9 {
        ns *= 10;
    }
    secs.checked_mul(1_000_000_000)?.checked_add(ns)
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

/// Splits a line; `None` when it is not a trace line at all.
pub fn split(line: &str) -> Option<Split<'_>> {
    let mut rest = line.trim_end();
    let mut prefix = None;
    if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (tid, after) = rest.split_once('@')?;
        let (time, after) = after.split_once(':')?;
        if !tid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        prefix = Some(Prefix {
            thread: tid.parse().ok()?,
            time_ns: decimal_seconds_ns(time)?,
        });
        rest = after;
    }
    let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
    is_ident(name).then_some(Split {
        prefix,
        name,
        args: args.trim(),
    })
}

/// The events the importer maps, with their arguments as QEMU prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QemuEvent {
    /// `virtio_set_status(void *vdev, uint8_t val) "vdev %p val %u"` (`virtio_set_status`).
    SetStatus {
        /// VirtIODevice pointer.
        vdev: u64,
        /// The status byte the driver wrote.
        val: u8,
    },
    /// `virtio_queue_notify(void *vdev, int n, void *vq) "vdev %p n %d vq %p"`
    /// (`virtio_queue_notify`: the guest kicked queue `n`).
    QueueNotify {
        /// VirtIODevice pointer.
        vdev: u64,
        /// Queue index.
        n: u32,
        /// VirtQueue pointer.
        vq: u64,
    },
    /// `virtqueue_pop(void *vq, void *elem, unsigned int in_num, unsigned int out_num)`
    /// (`virtqueue_pop`: the device took one element off the avail ring).
    Pop {
        /// VirtQueue pointer.
        vq: u64,
        /// VirtQueueElement pointer (host memory, reused).
        elem: u64,
        /// Device-writable buffers.
        in_num: u32,
        /// Device-readable buffers.
        out_num: u32,
    },
    /// `virtqueue_fill(void *vq, const void *elem, unsigned int len, unsigned int idx)`.
    Fill {
        /// VirtQueue pointer.
        vq: u64,
        /// VirtQueueElement pointer.
        elem: u64,
        /// Bytes written.
        len: u32,
        /// Offset from the used index (not the descriptor index).
        idx: u32,
    },
    /// `virtqueue_flush(void *vq, unsigned int count)`.
    Flush {
        /// VirtQueue pointer.
        vq: u64,
        /// Used entries published.
        count: u32,
    },
    /// `virtio_notify(void *vdev, void *vq)`: an interrupt for `vq` (`virtio_notify`).
    Notify {
        /// VirtIODevice pointer.
        vdev: u64,
        /// VirtQueue pointer.
        vq: u64,
    },
    /// `virtio_balloon_handle_output(const char *name, uint64_t gpa)`
    /// "section name: %s gpa: 0x%"PRIx64: one page of an inflate/deflate element
    /// (`virtio_balloon_handle_output`, after `memory_region_find`).
    HandleOutput {
        /// Guest physical address of the page.
        gpa: u64,
    },
    /// `virtio_balloon_bad_addr(uint64_t gpa)`: a PFN outside guest RAM, ignored by the device.
    BadAddr {
        /// Guest physical address.
        gpa: u64,
    },
    /// `virtio_balloon_to_target(uint64_t target, uint32_t num_pages)`
    /// "balloon target: 0x%"PRIx64" num_pages: %d" (`virtio_balloon_to_target`).
    ToTarget {
        /// Target guest size in bytes.
        target: u64,
        /// Pages the balloon should hold.
        num_pages: u32,
    },
    /// `virtio_balloon_get_config(uint32_t num_pages, uint32_t actual)`
    /// (`virtio_balloon_get_config`: the guest read the config space).
    GetConfig {
        /// `num_pages` as read.
        num_pages: u32,
        /// `actual` as read.
        actual: u32,
    },
    /// `virtio_balloon_set_config(uint32_t actual, uint32_t oldactual)`
    /// (`virtio_balloon_set_config`: the guest wrote `actual`).
    SetConfig {
        /// New `actual`.
        actual: u32,
        /// Previous `actual`.
        oldactual: u32,
    },
    /// `balloon_event(void *opaque, unsigned long addr) "opaque %p addr %lu"`
    /// (`qemu_balloon` in `softmmu/balloon.c`: the monitor asked for a guest size).
    BalloonEvent {
        /// The balloon device (`VirtIOBalloon *`, which starts with its VirtIODevice).
        opaque: u64,
        /// Target guest size in bytes.
        addr: u64,
    },
}

/// The token after `key` among whitespace-separated `args`.
fn after<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    let mut it = args.split_ascii_whitespace();
    while let Some(t) = it.next() {
        if t == key {
            return it.next();
        }
    }
    None
}

/// `%p` prints `0x…`, or `(nil)` for NULL (glibc).
fn pointer(s: &str) -> Option<u64> {
    if s == "(nil)" {
        return Some(0);
    }
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16).ok()
}

/// QEMU prints several `uint32_t` with `%d`, so values above `i32::MAX` come out negative.
fn u32_d(s: &str) -> Option<u32> {
    let v: i64 = s.parse().ok()?;
    if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&v) {
        Some(v as u32)
    } else {
        None
    }
}

/// What became of a split line's name and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A mapped event.
    Event(QemuEvent),
    /// A well-formed line of an event this importer does not map.
    Other,
    /// A mapped event name whose arguments do not have QEMU's format.
    Malformed,
}

/// Types a split line.
pub fn parse(name: &str, args: &str) -> Parsed {
    let a = |k: &str| after(args, k);
    let ev = match name {
        "virtio_set_status" => (|| {
            Some(QemuEvent::SetStatus {
                vdev: pointer(a("vdev")?)?,
                val: a("val")?.parse().ok()?,
            })
        })(),
        "virtio_queue_notify" => (|| {
            Some(QemuEvent::QueueNotify {
                vdev: pointer(a("vdev")?)?,
                n: a("n")?.parse().ok()?,
                vq: pointer(a("vq")?)?,
            })
        })(),
        "virtqueue_pop" => (|| {
            Some(QemuEvent::Pop {
                vq: pointer(a("vq")?)?,
                elem: pointer(a("elem")?)?,
                in_num: a("in_num")?.parse().ok()?,
                out_num: a("out_num")?.parse().ok()?,
            })
        })(),
        "virtqueue_fill" => (|| {
            Some(QemuEvent::Fill {
                vq: pointer(a("vq")?)?,
                elem: pointer(a("elem")?)?,
                len: a("len")?.parse().ok()?,
                idx: a("idx")?.parse().ok()?,
            })
        })(),
        "virtqueue_flush" => (|| {
            Some(QemuEvent::Flush {
                vq: pointer(a("vq")?)?,
                count: a("count")?.parse().ok()?,
            })
        })(),
        "virtio_notify" => (|| {
            Some(QemuEvent::Notify {
                vdev: pointer(a("vdev")?)?,
                vq: pointer(a("vq")?)?,
            })
        })(),
        "virtio_balloon_handle_output" => (|| {
            Some(QemuEvent::HandleOutput {
                gpa: hex(a("gpa:")?)?,
            })
        })(),
        "virtio_balloon_bad_addr" => (|| {
            Some(QemuEvent::BadAddr {
                gpa: hex(args.split_ascii_whitespace().last()?)?,
            })
        })(),
        "virtio_balloon_to_target" => (|| {
            Some(QemuEvent::ToTarget {
                target: hex(a("target:")?)?,
                num_pages: u32_d(a("num_pages:")?)?,
            })
        })(),
        "virtio_balloon_get_config" => (|| {
            Some(QemuEvent::GetConfig {
                num_pages: u32_d(a("num_pages:")?)?,
                actual: u32_d(a("actual:")?)?,
            })
        })(),
        "virtio_balloon_set_config" => (|| {
            Some(QemuEvent::SetConfig {
                actual: u32_d(a("actual:")?)?,
                oldactual: u32_d(a("oldactual:")?)?,
            })
        })(),
        "balloon_event" => (|| {
            Some(QemuEvent::BalloonEvent {
                opaque: pointer(a("opaque")?)?,
                addr: a("addr")?.parse().ok()?,
            })
        })(),
        _ => return Parsed::Other,
    };
    ev.map_or(Parsed::Malformed, Parsed::Event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_optional_and_time_exact() {
        let s = split("26039@1795998885.598957:virtio_balloon_handle_output section name: pc.ram gpa: 0xb8ee000").unwrap();
        assert_eq!(
            s.prefix,
            Some(Prefix {
                thread: 26039,
                time_ns: 1_795_998_885_598_957_000
            })
        );
        assert_eq!(
            parse(s.name, s.args),
            Parsed::Event(QemuEvent::HandleOutput { gpa: 0xb8ee000 })
        );
        let s = split("virtio_balloon_set_config actual: 256 oldactual: 0").unwrap();
        assert_eq!(s.prefix, None);
        assert_eq!(
            parse(s.name, s.args),
            Parsed::Event(QemuEvent::SetConfig {
                actual: 256,
                oldactual: 0
            })
        );
        assert!(split("12@x:foo").is_none());
        assert!(split("hello world!").is_some_and(|s| parse(s.name, s.args) == Parsed::Other));
        assert!(split("#$%").is_none());
        assert_eq!(parse("virtqueue_pop", "vq 0x1 elem zz"), Parsed::Malformed);
        assert_eq!(decimal_seconds_ns("1.5"), Some(1_500_000_000));
        assert_eq!(decimal_seconds_ns("99999999999999999999"), None);
    }
}
