# Malformed guest: deflating a page never inflated
# Row 8: the deflate message names PFN 0, which was never in the balloon; QEMU keeps no record, does its WILLNEED no-op and acks the buffer.
-m 1G -device virtio-balloon -seed 16
run
balloon 1016
run
fault dvq never-inflated
balloon 1020
run
{"execute": "query-balloon"}
