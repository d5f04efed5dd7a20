# Monitor replies and errors
# QMP and HMP answer as QEMU 7.2 does: no device before realize, empty HMP replies, 'target' expects a size, invalid chars, unknown commands, clamping above RAM.
-m 1G -device virtio-balloon -seed 9
info balloon
step 8
info balloon
balloon 0
balloon abc
{"execute": "balloon", "arguments": {"value": -5}}
{"execute": "balloon"}
{"execute": "balloon-status", "id": 1}
{"execute": "qom-get", "arguments": {"path": "/machine/peripheral-anon/device[0]", "property": "guest-stats-polling-interval"}}
{"execute": "qom-get", "arguments": {"path": "/machine/nowhere", "property": "guest-stats"}}
{"execute": "qom-set", "arguments": {"path": "device[0]", "property": "guest-stats-polling-interval", "value": 5000000000}}
run
{"execute": "balloon", "arguments": {"value": 4294967296}}
balloon 1000
run
run 2s
info balloon
