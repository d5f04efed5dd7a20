# Malformed guest: a zero-length descriptor
# Row 12: the PFN buffer has length 0; QEMU says zero sized buffers are not allowed (virtio_error) and sets DEVICE_NEEDS_RESET.
-m 1G -device virtio-balloon -seed 20
run
fault ivq zero-length
balloon 1020
run
run 1s
{"execute": "query-balloon"}
