//! The other VMMs' operator interfaces, in their own syntax: Cloud Hypervisor's REST API
//! (`vmm/src/api/openapi/cloud-hypervisor.yaml`), Firecracker's (`src/firecracker/swagger/
//! firecracker.yaml`) and crosvm's command line (`src/crosvm/cmdline.rs`). Each resize number is
//! the balloon's size, not the guest's.

use super::ScriptError;

/// One operator request to a VMM other than QEMU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmmRequest {
    /// Cloud Hypervisor `PUT /api/v1/vm.resize {"desired_balloon": BYTES}`.
    ChResize(u64),
    /// Cloud Hypervisor `GET /api/v1/vm.info`.
    ChInfo,
    /// Firecracker `PATCH /balloon {"amount_mib": MIB}`.
    FcPatchBalloon(u64),
    /// Firecracker `GET /balloon/statistics`.
    FcStatistics,
    /// crosvm `crosvm balloon BYTES SOCKET`.
    CrosvmBalloon(u64, String),
    /// crosvm `crosvm balloon_stats SOCKET`.
    CrosvmStats(String),
}

impl VmmRequest {
    /// The request as typed.
    pub fn to_line(&self) -> String {
        match self {
            Self::ChResize(b) => format!("PUT /api/v1/vm.resize {{\"desired_balloon\": {b}}}"),
            Self::ChInfo => "GET /api/v1/vm.info".to_owned(),
            Self::FcPatchBalloon(m) => format!("PATCH /balloon {{\"amount_mib\": {m}}}"),
            Self::FcStatistics => "GET /balloon/statistics".to_owned(),
            Self::CrosvmBalloon(b, s) => format!("crosvm balloon {b} {s}"),
            Self::CrosvmStats(s) => format!("crosvm balloon_stats {s}"),
        }
    }

    /// The VMM whose interface this is.
    pub fn vmm(&self) -> balloon_device::Vmm {
        use balloon_device::Vmm;
        match self {
            Self::ChResize(_) | Self::ChInfo => Vmm::CloudHypervisor,
            Self::FcPatchBalloon(_) | Self::FcStatistics => Vmm::Firecracker,
            Self::CrosvmBalloon(..) | Self::CrosvmStats(_) => Vmm::Crosvm,
        }
    }

    /// Whether it only reads state.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Self::ChInfo | Self::FcStatistics | Self::CrosvmStats(_)
        )
    }
}

const FORMS: &str = "PUT /api/v1/vm.resize {\"desired_balloon\": BYTES}, GET /api/v1/vm.info, PATCH /balloon {\"amount_mib\": MIB}, GET /balloon/statistics, crosvm balloon BYTES SOCKET or crosvm balloon_stats SOCKET";

/// Whether `head` (the line's first word) starts a VMM request.
pub fn is_vmm_request(head: &str) -> bool {
    matches!(head, "PUT" | "PATCH" | "GET" | "crosvm")
}

/// One unsigned field of a JSON body.
fn body_field(text: &str, at: usize, body: &str, field: &str) -> Result<u64, ScriptError> {
    let bad = |why: String| ScriptError::in_line(text, at, format!("{{\"{field}\": N}}"), why);
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    v.get(field)
        .ok_or_else(|| bad(format!("the body has no \"{field}\"")))?
        .as_u64()
        .ok_or_else(|| bad(format!("\"{field}\" is not an unsigned integer")))
}

/// Parses a VMM request line (its first word satisfies [`is_vmm_request`]).
pub fn parse(text: &str, words: &[(usize, &str)]) -> Result<VmmRequest, ScriptError> {
    let word = |n: usize| words.get(n).copied();
    let end = text.trim_end().len();
    let body_at = |n: usize| word(n).map(|(p, _)| p).unwrap_or(end);
    let body = |n: usize| text[body_at(n)..].trim();
    let unknown = |(p, w): (usize, &str)| {
        ScriptError::in_line(text, p, FORMS, format!("unknown request \"{w}\""))
    };
    let only = |n: usize| match word(n) {
        Some((p, extra)) => Err(ScriptError::in_line(
            text,
            p,
            FORMS,
            format!("unexpected \"{extra}\""),
        )),
        None => Ok(()),
    };
    let Some(head) = word(0) else {
        return Err(ScriptError::in_line(text, 0, FORMS, "an empty request"));
    };
    let path = word(1).ok_or_else(|| ScriptError::in_line(text, end, FORMS, "no path"))?;
    Ok(match (head.1, path.1) {
        ("PUT", "/api/v1/vm.resize") => {
            VmmRequest::ChResize(body_field(text, body_at(2), body(2), "desired_balloon")?)
        }
        ("GET", "/api/v1/vm.info") => {
            only(2)?;
            VmmRequest::ChInfo
        }
        ("PATCH", "/balloon") => {
            VmmRequest::FcPatchBalloon(body_field(text, body_at(2), body(2), "amount_mib")?)
        }
        ("GET", "/balloon/statistics") => {
            only(2)?;
            VmmRequest::FcStatistics
        }
        ("crosvm", "balloon") => {
            let (p, n) = word(2)
                .ok_or_else(|| ScriptError::in_line(text, end, FORMS, "no size in bytes"))?;
            let bytes = n.parse().map_err(|_| {
                ScriptError::in_line(text, p, "a size in bytes", format!("invalid size \"{n}\""))
            })?;
            let (_, socket) =
                word(3).ok_or_else(|| ScriptError::in_line(text, end, FORMS, "no socket path"))?;
            only(4)?;
            VmmRequest::CrosvmBalloon(bytes, socket.to_owned())
        }
        ("crosvm", "balloon_stats") => {
            let (_, socket) =
                word(2).ok_or_else(|| ScriptError::in_line(text, end, FORMS, "no socket path"))?;
            only(3)?;
            VmmRequest::CrosvmStats(socket.to_owned())
        }
        ("PUT" | "PATCH" | "GET" | "crosvm", _) => return Err(unknown(path)),
        _ => return Err(unknown(head)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::line::words;

    fn p(line: &str) -> Result<VmmRequest, ScriptError> {
        parse(line, &words(line))
    }

    #[test]
    fn the_six_forms_and_their_errors() {
        assert_eq!(
            p(r#"PUT /api/v1/vm.resize {"desired_balloon": 536870912}"#),
            Ok(VmmRequest::ChResize(536870912))
        );
        assert_eq!(p("GET /api/v1/vm.info"), Ok(VmmRequest::ChInfo));
        assert_eq!(
            p(r#"PATCH /balloon {"amount_mib": 512}"#),
            Ok(VmmRequest::FcPatchBalloon(512))
        );
        assert_eq!(p("GET /balloon/statistics"), Ok(VmmRequest::FcStatistics));
        assert_eq!(
            p("crosvm balloon 4096 /run/crosvm.sock"),
            Ok(VmmRequest::CrosvmBalloon(4096, "/run/crosvm.sock".into()))
        );
        assert_eq!(
            p("crosvm balloon_stats /run/crosvm.sock"),
            Ok(VmmRequest::CrosvmStats("/run/crosvm.sock".into()))
        );
        for (line, says) in [
            (r#"PATCH /balloon {"amount": 5}"#, "no \"amount_mib\""),
            (
                r#"PATCH /balloon {"amount_mib": -5}"#,
                "not an unsigned integer",
            ),
            ("PATCH /balloon nope", "not JSON"),
            ("GET /vm.info", "unknown request \"/vm.info\""),
            ("crosvm balloon 1G /s", "invalid size \"1G\""),
            ("crosvm balloon 4096", "no socket path"),
        ] {
            let e = p(line).unwrap_err();
            assert!(e.message.contains(says), "{line}: {}", e.message);
        }
        for r in [
            VmmRequest::ChResize(1),
            VmmRequest::FcPatchBalloon(2),
            VmmRequest::CrosvmStats("s".into()),
        ] {
            assert_eq!(p(&r.to_line()), Ok(r));
        }
    }
}
