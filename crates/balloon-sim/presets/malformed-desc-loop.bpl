# Malformed guest: a descriptor loop
# Row 11: the PFN descriptor's next field points back at itself; QEMU's chain walk fails (virtio_error, loop detected) and sets DEVICE_NEEDS_RESET.
-m 1G -device virtio-balloon -seed 19
run
fault ivq desc-loop
balloon 1020
run
run 1s
{"execute": "query-balloon"}
