-m 256M -device virtio-balloon -seed 1
run
{"execute": "balloon", "arguments": {"value": 134217728}}
run
