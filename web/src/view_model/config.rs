//! The config space panel's data.

use balloon_sim::trace::{ConfigField, Move};
use balloon_sim::view::{ConfigView, features, status};
use balloon_sim::{Session, TraceEvent};

/// A status bit and whether it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusBit {
    /// Spec name.
    pub name: &'static str,
    /// Set.
    pub set: bool,
}

/// The config space panel's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigModel {
    /// `num_pages`.
    pub num_pages: u32,
    /// `actual`.
    pub actual: u32,
    /// `free_page_hint_cmd_id`.
    pub free_page_hint_cmd_id: u32,
    /// `poison_val`.
    pub poison_val: u32,
    /// Config size in bytes.
    pub size: usize,
    /// crosvm's `ws_num_bins` (the byte after the 16 standard ones), when the config has it.
    pub ws_num_bins: Option<u8>,
    /// The status byte.
    pub status: u8,
    /// Its bits, decoded.
    pub status_bits: Vec<StatusBit>,
    /// Negotiated features by name.
    pub features: Vec<&'static str>,
    /// Offered but not accepted, by name.
    pub declined: Vec<&'static str>,
    /// Fields the current step changed.
    pub changed: Vec<ConfigField>,
    /// The current step changed the status byte.
    pub status_changed: bool,
}

fn feature_list(bits: u64) -> Vec<&'static str> {
    (0..64)
        .filter(|b| bits & features::bit(*b) != 0)
        .map(features::feature_name)
        .collect()
}

/// The config space, decoded, with what the current step changed.
pub fn config_model(s: &Session) -> ConfigModel {
    config_model_of(s.config_view(), s.current_event().as_ref())
}

/// Config space `c` decoded, with what event `ev` (the last one shown) changed: one VM's
/// page and a host's selected VM alike.
pub fn config_model_of(c: ConfigView, ev: Option<&TraceEvent>) -> ConfigModel {
    let (mut changed, mut status_changed) = (Vec::new(), false);
    for m in ev.map(|e| e.moves()).unwrap_or_default() {
        match m {
            Move::Config { field, .. } => changed.push(field),
            Move::Status { .. } => status_changed = true,
            _ => {}
        }
    }
    ConfigModel {
        num_pages: c.num_pages,
        actual: c.actual,
        free_page_hint_cmd_id: c.free_page_hint_cmd_id,
        poison_val: c.poison_val,
        size: c.size,
        ws_num_bins: c.ws_num_bins(),
        status: c.status,
        status_bits: status::BITS
            .iter()
            .map(|&(bit, name)| StatusBit {
                name,
                set: c.status & bit != 0,
            })
            .collect(),
        features: feature_list(c.driver_features),
        declined: feature_list(c.device_features & !c.driver_features),
        changed,
        status_changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// crosvm's `virtio_balloon_config` has `ws_num_bins` after the 16 standard bytes
    /// (`VIRTIO_BALLOON_WS_DEFAULT_NUM_BINS` = 4); QEMU's has none, so the panel shows no row.
    #[test]
    fn the_panel_shows_crosvms_ws_num_bins_and_no_such_row_elsewhere() {
        let open = |m: &str| Session::from_script(&format!("{m}\nrun\n")).unwrap().0;
        let c = config_model(&open("-m 1G -profile crosvm"));
        assert_eq!((c.size, c.ws_num_bins), (20, Some(4)));
        let c = config_model(&open("-m 1G -profile firecracker"));
        assert_eq!((c.size, c.ws_num_bins), (12, None));
    }
}
