-m 1G -device virtio-balloon -seed 10
run
{"execute": "balloon", "arguments": {"value": 268435456}}
run
