# Malformed guest: two stats buffers in flight
# Row 16: the guest adds a second stats buffer while QEMU holds one; virtio_balloon_receive_stats pushes the held one back ("should never happen"), stats_request re-adds it, and the two ping-pong, one used interrupt each round.
-m 1G -device virtio-balloon,id=balloon0 -seed 26
run
fault svq second-buffer
run 10ms
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
