//! The host's books checked against the worlds themselves: what each VM's bitmaps say is
//! resident, recounted from scratch, must add up with the host's running count of free memory.

use virtq::Backend;

use super::Host;

impl<B: Backend> Host<B> {
    /// Host memory recounted from each VM's own resident bitmap: `own + Σ (overhead + guest
    /// pages resident) + free` must be the host's RAM, the swap in use the sum of each VM's
    /// swapped pages and within the swap, and a killed VM must hold nothing. `Err` names the
    /// first part that does not add up.
    pub fn audit(&self) -> Result<(), String> {
        let mut parts = self.config.own + self.free_bytes();
        let mut swapped = 0;
        for v in &self.vms {
            match &v.world {
                Some(w) => {
                    let resident = w.device().memory().resident_bytes();
                    let swap = v.swapped_bytes();
                    if swap > resident {
                        return Err(format!("{}: {swap} B swapped of {resident} B", v.name));
                    }
                    parts += w.device().profile().process_overhead_bytes + resident - swap;
                    swapped += swap;
                }
                None => {
                    if v.host_bytes() != 0 || v.swapped_bytes() != 0 {
                        return Err(format!("{} was killed but holds memory", v.name));
                    }
                }
            }
        }
        if parts != self.config.ram {
            return Err(format!(
                "own + processes + free = {parts} B, host RAM is {} B",
                self.config.ram
            ));
        }
        if swapped != self.swap_used_bytes() || swapped > self.config.swap {
            return Err(format!(
                "swap: the VMs hold {swapped} B, the host counts {} B of {} B",
                self.swap_used_bytes(),
                self.config.swap
            ));
        }
        Ok(())
    }
}
