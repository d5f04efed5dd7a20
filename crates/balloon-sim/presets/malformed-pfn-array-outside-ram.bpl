# Malformed guest: PFN array outside RAM
# Row 5: the PFN buffer itself lies past the end of guest RAM; mapping it fails (virtqueue_map_desc), so QEMU's virtio_error sets DEVICE_NEEDS_RESET.
-m 1G -device virtio-balloon -seed 13
run
fault ivq pfn-array-outside-ram
balloon 1020
run
run 1s
{"execute": "query-balloon"}
