# Malformed guest: NEEDS_RESET
# The guest puts a head index beyond the ring size in the ivq avail ring: QEMU's virtio_error ("Guest says index 131 is available") sets DEVICE_NEEDS_RESET, raises a config interrupt and stops using the device.
-m 1G -device virtio-balloon -seed 7
run
fault ivq head-out-of-range
{"execute": "balloon", "arguments": {"value": 1006632960}}
run
run 1s
{"execute": "query-balloon"}
