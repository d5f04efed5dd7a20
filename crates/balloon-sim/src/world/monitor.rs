//! The monitor: QMP and HMP commands answered as QEMU answers them, over the device's
//! operator functions (`qmp_balloon`, `qmp_query_balloon`, the QOM stats properties).

use balloon_device::{BalloonDevice, DeviceEvent, Error as DevError};
use serde_json::{Map, Value, json};
use virtq::Backend;

use crate::command::{MachineConfig, QmpRequest};
use crate::reply::Reply;

/// What one monitor command did: the device step it caused (if any) and the output.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorOutcome {
    /// The device event (`TargetSet`, `PollingIntervalSet`), if the command changed the device.
    pub device: Option<DeviceEvent>,
    /// The reply line.
    pub reply: Reply,
}

fn error(class: &str, desc: impl Into<String>, id: &Option<Value>) -> MonitorOutcome {
    MonitorOutcome {
        device: None,
        reply: Reply::QmpError {
            class: class.to_owned(),
            desc: desc.into(),
            id: id.clone(),
        },
    }
}

fn fail(class: &str, desc: impl Into<String>, id: &Option<Value>) -> Box<MonitorOutcome> {
    Box::new(error(class, desc, id))
}

fn ok(value: Value, device: Option<DeviceEvent>, id: &Option<Value>) -> MonitorOutcome {
    MonitorOutcome {
        device,
        reply: Reply::QmpReturn {
            value,
            id: id.clone(),
        },
    }
}

fn dev_error(e: &DevError, id: &Option<Value>) -> Box<MonitorOutcome> {
    fail(e.qmp_class(), e.to_string(), id)
}

/// The QAPI input visitor's checks: every member known, required ones present.
fn check_args(
    args: &Map<String, Value>,
    known: &[&str],
    id: &Option<Value>,
) -> Result<(), Box<MonitorOutcome>> {
    if let Some(k) = args.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(fail(
            "GenericError",
            format!("Parameter '{k}' is unexpected"),
            id,
        ));
    }
    for k in known {
        if !args.contains_key(*k) {
            return Err(fail(
                "GenericError",
                format!("Parameter '{k}' is missing"),
                id,
            ));
        }
    }
    Ok(())
}

fn int_arg(
    args: &Map<String, Value>,
    name: &str,
    id: &Option<Value>,
) -> Result<i64, Box<MonitorOutcome>> {
    args.get(name).and_then(Value::as_i64).ok_or_else(|| {
        fail(
            "GenericError",
            format!("Invalid parameter type for '{name}', expected: integer"),
            id,
        )
    })
}

fn str_arg<'a>(
    args: &'a Map<String, Value>,
    name: &str,
    id: &Option<Value>,
) -> Result<&'a str, Box<MonitorOutcome>> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| {
        fail(
            "GenericError",
            format!("Invalid parameter type for '{name}', expected: string"),
            id,
        )
    })
}

/// Whether `path` names the balloon: its QOM path, or its id (qom-get accepts partial paths).
fn resolves(path: &str, machine: &MachineConfig) -> bool {
    match &machine.device_id {
        Some(id) => path == id || path == format!("/machine/peripheral/{id}"),
        None => path == "/machine/peripheral-anon/device[0]" || path == "device[0]",
    }
}

const QOM_TYPE: &str = "virtio-balloon-device";

/// Runs one QMP request.
pub fn qmp<B: Backend>(
    device: &mut BalloonDevice<B>,
    machine: &MachineConfig,
    req: &QmpRequest,
    now_ns: u64,
) -> MonitorOutcome {
    let id = &req.id;
    let args = &req.arguments;
    let mut run = || -> Result<MonitorOutcome, Box<MonitorOutcome>> {
        match req.execute.as_str() {
            "qmp_capabilities" => Ok(ok(json!({}), None, id)),
            "balloon" => {
                check_args(args, &["value"], id)?;
                let value = int_arg(args, "value", id)?;
                match device.balloon(value) {
                    Ok(ev) => Ok(ok(json!({}), Some(ev), id)),
                    Err(e) => Err(dev_error(&e, id)),
                }
            }
            "query-balloon" => {
                check_args(args, &[], id)?;
                let info = device.query_balloon().map_err(|e| dev_error(&e, id))?;
                Ok(ok(json!({ "actual": info.actual }), None, id))
            }
            "qom-get" | "qom-set" => {
                let set = req.execute == "qom-set";
                check_args(
                    args,
                    if set {
                        &["path", "property", "value"]
                    } else {
                        &["path", "property"]
                    },
                    id,
                )?;
                let path = str_arg(args, "path", id)?;
                let property = str_arg(args, "property", id)?;
                if !resolves(path, machine) {
                    return Err(fail(
                        "DeviceNotFound",
                        format!("Device '{path}' not found"),
                        id,
                    ));
                }
                match (property, set) {
                    ("guest-stats", false) => {
                        let stats = device.qom_get_guest_stats();
                        let value = serde_json::to_value(stats).unwrap_or(Value::Null);
                        Ok(ok(value, None, id))
                    }
                    ("guest-stats", true) => Err(fail(
                        "GenericError",
                        "Insufficient permission to perform this operation",
                        id,
                    )),
                    ("guest-stats-polling-interval", false) => {
                        Ok(ok(json!(device.qom_get_polling_interval()), None, id))
                    }
                    ("guest-stats-polling-interval", true) => {
                        let value = int_arg(args, "value", id)?;
                        let ev = device
                            .qom_set_polling_interval(value, now_ns)
                            .map_err(|e| dev_error(&e, id))?;
                        Ok(ok(json!({}), Some(ev), id))
                    }
                    (p, _) => Err(fail(
                        "GenericError",
                        format!("Property '{QOM_TYPE}.{p}' not found"),
                        id,
                    )),
                }
            }
            other => Err(fail(
                "CommandNotFound",
                format!("The command {other} has not been found"),
                id,
            )),
        }
    };
    run().unwrap_or_else(|e| *e)
}

/// HMP `balloon <value>`: the value is MiB, an expression as QEMU's monitor evaluates it
/// (monitor/hmp.c `monitor_parse_arguments`, type `M`). A failed parse prints QEMU's message
/// and `handle_hmp_command`'s hint; a parsed value goes to `qmp_balloon`, whose errors HMP
/// prints after "Error: " (`hmp_handle_error`).
pub fn hmp_balloon<B: Backend>(device: &mut BalloonDevice<B>, arg: &str) -> MonitorOutcome {
    let text = |s: String| MonitorOutcome {
        device: None,
        reply: Reply::Hmp(s),
    };
    let parse_error = |msg: &str| text(format!("{msg}\nTry \"help balloon\" for more information"));
    let mib = match crate::command::hmp_expr::eval(arg) {
        Err(msg) => return parse_error(&msg),
        Ok((v, _)) if v < 0 => return parse_error("enter a positive value"),
        Ok((_, rest)) if !rest.trim().is_empty() => {
            return parse_error("balloon: extraneous characters at the end of line");
        }
        Ok((v, _)) => v,
    };
    // `val *= MiB` on an int64_t: wraps as QEMU's arithmetic does on every host it runs on.
    match device.balloon(mib.wrapping_mul(1 << 20)) {
        Ok(ev) => MonitorOutcome {
            device: Some(ev),
            reply: Reply::Hmp(String::new()),
        },
        Err(e) => text(format!("Error: {e}")),
    }
}

/// HMP `info balloon`.
pub fn hmp_info_balloon<B: Backend>(device: &BalloonDevice<B>) -> MonitorOutcome {
    let line = match device.hmp_info_balloon() {
        Ok(s) => s,
        Err(e) => format!("Error: {e}"),
    };
    MonitorOutcome {
        device: None,
        reply: Reply::Hmp(line),
    }
}

/// Firecracker's stats names by tag (`BalloonStats` in `balloon/device.rs`).
const FC_STAT_NAMES: [&str; 16] = [
    "swap_in",
    "swap_out",
    "major_faults",
    "minor_faults",
    "free_memory",
    "total_memory",
    "available_memory",
    "disk_caches",
    "hugetlb_allocations",
    "hugetlb_failures",
    "oom_kill",
    "alloc_stall",
    "async_scan",
    "direct_scan",
    "async_reclaim",
    "direct_reclaim",
];

/// crosvm's `balloon_control::BalloonStats` fields past the ten standard tags it shares with
/// Firecracker's names; Linux never sends these non-standard tags, so they stay `null`.
const CROSVM_EXTRA_STATS: [&str; 2] = ["shared_memory", "unevictable_memory"];

/// A request in another VMM's own syntax, answered as that VMM answers: HTTP status lines and
/// JSON bodies for Cloud Hypervisor and Firecracker, the command's stdout for crosvm.
pub fn vmm_request<B: Backend>(
    device: &mut BalloonDevice<B>,
    req: &crate::command::VmmRequest,
) -> MonitorOutcome {
    use crate::command::VmmRequest as R;
    let text = |s: String, device: Option<DeviceEvent>| MonitorOutcome {
        device,
        reply: Reply::Hmp(s),
    };
    let vmm = device.profile().vmm;
    if req.vmm() != vmm {
        let e = DevError::WrongVmm {
            command: match req {
                R::ChResize(_) => "vm.resize",
                R::ChInfo => "vm.info",
                R::FcPatchBalloon(_) => "PATCH /balloon",
                R::FcStatistics => "GET /balloon/statistics",
                R::CrosvmBalloon(..) => "crosvm balloon",
                R::CrosvmStats(_) => "crosvm balloon_stats",
            },
            vmm: req.vmm().name(),
            profile: vmm.name(),
        };
        return text(format!("error: {e}"), None);
    }
    let stats = device.qom_get_guest_stats().stats;
    let config = device.config();
    match req {
        R::ChResize(bytes) | R::CrosvmBalloon(bytes, _) => {
            let crosvm = matches!(req, R::CrosvmBalloon(..));
            match device.vmm_resize(*bytes) {
                // Cloud Hypervisor answers 204; `crosvm balloon` prints nothing.
                Ok(ev) if crosvm => text(String::new(), Some(ev)),
                Ok(ev) => text("HTTP/1.1 204 No Content".to_owned(), Some(ev)),
                Err(e) if crosvm => text(format!("error: {e}"), None),
                Err(e) => text(format!("HTTP/1.1 500 Internal Server Error\n{e}"), None),
            }
        }
        R::FcPatchBalloon(mib) => match device.vmm_resize(*mib) {
            Ok(ev) => text("HTTP/1.1 204 No Content".to_owned(), Some(ev)),
            Err(e) => text(
                format!(
                    "HTTP/1.1 400 Bad Request\n{}",
                    json!({ "fault_message": e.to_string() })
                ),
                None,
            ),
        },
        R::ChInfo => {
            // vmm/src/lib.rs `vm_info`: memory_actual_size = boot memory - balloon size.
            let ram = device.memory().ram_size();
            let size = ram.saturating_sub(u64::from(config.actual) << 12);
            text(
                format!(
                    "HTTP/1.1 200 OK\n{}",
                    json!({ "state": "Running", "memory_actual_size": size })
                ),
                None,
            )
        }
        R::FcStatistics => {
            if device.device_features() & (1 << 1) == 0 {
                let e = DevError::StatisticsDisabled;
                return text(
                    format!(
                        "HTTP/1.1 400 Bad Request\n{}",
                        json!({ "fault_message": e.to_string() })
                    ),
                    None,
                );
            }
            let mut body = Map::new();
            body.insert("target_pages".into(), json!(config.num_pages));
            body.insert("actual_pages".into(), json!(config.actual));
            body.insert("target_mib".into(), json!(config.num_pages / 256));
            body.insert("actual_mib".into(), json!(config.actual / 256));
            for (tag, name) in FC_STAT_NAMES.iter().enumerate() {
                // `skip_serializing_if = "Option::is_none"`.
                if let Some(v) = stats.get(tag as u16) {
                    body.insert((*name).into(), json!(v));
                }
            }
            text(format!("HTTP/1.1 200 OK\n{}", Value::Object(body)), None)
        }
        R::CrosvmStats(_) => {
            let mut s = Map::new();
            for (tag, name) in FC_STAT_NAMES[..10].iter().enumerate() {
                s.insert((*name).into(), json!(stats.get(tag as u16)));
            }
            for name in CROSVM_EXTRA_STATS {
                s.insert(name.into(), Value::Null);
            }
            let reply = json!({ "BalloonStats": {
                "stats": Value::Object(s),
                "balloon_actual": u64::from(config.actual) << 12,
            }});
            // `{:#}` is serde_json's `to_writer_pretty` (two-space indent), the text of
            // `to_string_pretty`, through the `Display` copy the page links anyway.
            text(format!("{reply:#}"), None)
        }
    }
}
