# Malformed guest: an unknown stats tag
# Row 15: the first stats entry has tag 0xff; QEMU ignores tags at or above VIRTIO_BALLOON_S_NR and parses the rest.
-m 1G -device virtio-balloon,id=balloon0,guest-stats-polling-interval=2 -seed 24
run
fault svq unknown-tag
run 3s
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
