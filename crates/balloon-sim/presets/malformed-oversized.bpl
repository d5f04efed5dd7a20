# Malformed guest: 300 PFNs in one buffer
# Row 3: Linux never sends more than 256 PFNs per message; QEMU has no cap, so all 300 (the first PFN repeated) are ballooned and the buffer is acked.
-m 1G -device virtio-balloon -seed 11
run
fault ivq oversized
balloon 1020
run
{"execute": "query-balloon"}
