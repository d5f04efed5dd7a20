# Malformed guest: a duplicate PFN
# Row 7: the second PFN repeats the first; QEMU processes it again (no de-duplication), so the host discards one page fewer than the guest ballooned.
-m 1G -device virtio-balloon -seed 15
run
fault ivq duplicate-pfn
balloon 1020
run
{"execute": "query-balloon"}
