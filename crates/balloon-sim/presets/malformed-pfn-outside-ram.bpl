# Malformed guest: a PFN outside RAM
# Row 4: the first PFN lies past the end of guest RAM; QEMU traces virtio_balloon_bad_addr, skips that PFN, balloons the rest and acks the buffer.
-m 1G -device virtio-balloon -seed 12
run
fault ivq pfn-outside-ram
balloon 1020
run
{"execute": "query-balloon"}
