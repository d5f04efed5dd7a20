# Stats polling
# guest-stats-polling-interval=2: QEMU returns the held stats buffer every 2 s, the guest refills it and QOM guest-stats updates.
-m 1G -device virtio-balloon,id=balloon0 -seed 3
run
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/balloon0", "property": "guest-stats-polling-interval", "value": 2}}
run 7s
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats-polling-interval"}}
{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
{"execute": "qom-set", "arguments": {"path": "balloon0", "property": "guest-stats-polling-interval", "value": -1}}
