-m 16G -device virtio-balloon -seed 1
run
{"execute": "balloon", "arguments": {"value": 6442450944}}
run
