//! Read-only views of a queue for the UI: every field as the guest's memory holds it, plus the
//! private indices of each side (the device's next_avail, the driver's last_used).
