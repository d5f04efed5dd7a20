# Malformed guest: a 4000-byte stats buffer
# Row 14: the stats buffer repeats its entries to 4000 bytes; QEMU has no cap and parses all 400 entries (the last value of each tag wins).
-m 1G -device virtio-balloon,id=balloon0,guest-stats-polling-interval=2 -seed 23
run
fault svq large-buffer
run 3s
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
