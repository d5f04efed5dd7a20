# Malformed guest: a stats buffer cut mid-entry
# Row 13: the stats buffer's length is not a multiple of 10; QEMU parses the whole entries and ignores the 7 trailing bytes.
-m 1G -device virtio-balloon,id=balloon0,guest-stats-polling-interval=2 -seed 22
run
fault svq partial-entry
run 3s
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
