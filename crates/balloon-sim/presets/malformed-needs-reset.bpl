# Malformed guest: NEEDS_RESET
# The guest moves avail.idx more than the ring size ahead on ivq: QEMU's virtio_error sets DEVICE_NEEDS_RESET, raises a config interrupt and ignores the queue from then on.
-m 1G -device virtio-balloon -seed 7
run
fault ivq avail-idx-jump
{"execute": "balloon", "arguments": {"value": 1006632960}}
run
run 1s
{"execute": "query-balloon"}
