//! The selected VM's panels on the host page: its balloon, rings, config space, guest memory
//! map and stats chart, drawn by the very components one VM's page uses, from that VM's
//! world inside the host.

use std::rc::Rc;

use balloon_sim::host::{HostDetail, HostSession};
use yew::prelude::*;

use crate::components::{
    BalloonOutlineProps, ConfigPanelProps, HostMemoryLine, MemoryMapProps, QueuePanelsProps,
    StatsChartProps, balloon_view, config_view, memo, memory_map_view, queue_panels_view,
    stats_chart_view,
};
use crate::view_model::{self as vm, BalloonModel, ConfigModel, QueueModel, StatsChartModel};

/// What the panels show of one VM that runs.
#[derive(Debug, Clone, PartialEq)]
pub struct VmPanels {
    /// The VM's name.
    pub name: String,
    /// Its balloon.
    pub balloon: BalloonModel,
    /// Its virtqueues.
    pub queues: Vec<QueueModel>,
    /// Its config space.
    pub config: ConfigModel,
    /// Its guest memory, aggregated.
    pub cells: Vec<balloon_sim::view::MemoryCell>,
    /// What the host holds for it.
    pub host: HostMemoryLine,
    /// Its svq numbers over virtual time.
    pub chart: StatsChartModel,
}

impl VmPanels {
    /// VM `i` of the host as shown; `None` when its QEMU process is gone (or no such VM).
    pub fn of(s: &HostSession, i: usize) -> Option<Self> {
        let v = s.host().vms().get(i)?;
        let w = v.world()?;
        // The event shown, when it is this VM's: what the panels mark as just changed.
        let current = s.current_event().map(|e| e.detail);
        let ev = match &current {
            Some(HostDetail::Vm { vm, event }) if *vm == i => Some(event),
            _ => None,
        };
        let b = w.balloon_view();
        Some(Self {
            name: v.name().to_owned(),
            balloon: BalloonModel::from_view(&b),
            queues: vm::queue_models_of(ev, w.queue_views()),
            config: vm::config_model_of(w.config_view(), ev),
            cells: w.memory_map(vm::MEMORY_CELLS),
            host: HostMemoryLine {
                resident_bytes: b.host_resident_bytes,
                vmm_overhead_bytes: b.vmm_overhead_bytes,
                saved_bytes: b.saved_bytes,
            },
            chart: vm::stats_chart(&s.stats_series(i), vm::CHART_POINTS),
        })
    }
}

/// What [`selected_vm_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct SelectedVmProps {
    /// The panels' data.
    pub panels: Rc<VmPanels>,
}

/// The selected VM's panels.
pub fn selected_vm_view(props: &SelectedVmProps) -> Html {
    let p = &props.panels;
    html! {
        <>
            { memo(BalloonOutlineProps { balloon: p.balloon.clone() }, balloon_view) }
            { memo(QueuePanelsProps { queues: p.queues.clone() }, queue_panels_view) }
            { memo(ConfigPanelProps { config: p.config.clone() }, config_view) }
            { memo(MemoryMapProps { cells: p.cells.clone(), host: p.host }, memory_map_view) }
            { memo(StatsChartProps { chart: p.chart.clone() }, stats_chart_view) }
        </>
    }
}
