# Malformed guest: avail.idx jumps too far
# Row 10: avail.idx moves more than the queue size past next_avail; QEMU's virtio_error sets DEVICE_NEEDS_RESET and stops using the device.
-m 1G -device virtio-balloon -seed 18
run
fault ivq avail-idx-jump
balloon 1020
run
run 1s
{"execute": "query-balloon"}
