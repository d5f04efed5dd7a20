//! The bring-up of the device and driver, from QOM type registration to DRIVER_OK, as rows the
//! init-flow panel lights up.

use balloon_device::InitStage;
use balloon_spec::status;

/// Where a stage of the bring-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageState {
    /// Done.
    Done,
    /// The next step performs it.
    Current,
    /// Later.
    Pending,
    /// It failed (realize error, FAILED status).
    Failed,
}

/// One stage of the init flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitStageView {
    /// Short name.
    pub name: &'static str,
    /// The QEMU or Linux function that performs it.
    pub function: &'static str,
    /// Where it is.
    pub state: StageState,
}

/// The stages from the device's init stage and the status byte (O(1): no event scan).
pub(crate) fn init_flow(stage: InitStage, status_byte: u8) -> Vec<InitStageView> {
    // How many device stages are behind us: a failed realize stops after instance_init.
    let device_done = match stage {
        InitStage::TypeInit => 0,
        InitStage::ClassInit => 1,
        InitStage::InstanceInit => 2,
        InitStage::Realize | InitStage::Failed => 3,
        InitStage::AddQueue(_) | InitStage::StatsReset => 5,
        InitStage::Done | InitStage::Unrealized => 6,
    };
    let set = |bit: u8| status_byte & bit != 0;
    // QEMU hw/virtio/virtio-balloon.c (virtio_balloon_register_types, class_init,
    // instance_init, device_realize), hw/virtio/virtio.c (virtio_init, virtio_add_queue), and
    // Linux drivers/virtio/virtio.c (virtio_add_status, virtio_dev_probe, virtio_features_ok,
    // virtio_device_ready).
    let rows: [(&str, &str, bool); 10] = [
        ("type registration", "type_register_static", device_done > 0),
        ("class_init", "virtio_balloon_class_init", device_done > 1),
        (
            "instance_init",
            "virtio_balloon_instance_init",
            device_done > 2,
        ),
        ("realize", "virtio_balloon_device_realize", device_done > 3),
        ("virtio_init", "virtio_init", device_done > 3),
        ("queues", "virtio_add_queue", device_done > 5),
        ("ACKNOWLEDGE", "virtio_add_status", set(status::ACKNOWLEDGE)),
        ("DRIVER", "virtio_dev_probe", set(status::DRIVER)),
        (
            "FEATURES_OK",
            "virtio_features_ok",
            set(status::FEATURES_OK),
        ),
        ("DRIVER_OK", "virtio_device_ready", set(status::DRIVER_OK)),
    ];
    let failed = stage == InitStage::Failed || set(status::FAILED);
    let mut current_marked = false;
    rows.iter()
        .map(|&(name, function, done)| {
            let state = if done {
                StageState::Done
            } else if current_marked {
                StageState::Pending
            } else {
                current_marked = true;
                if failed {
                    StageState::Failed
                } else {
                    StageState::Current
                }
            };
            InitStageView {
                name,
                function,
                state,
            }
        })
        .collect()
}
