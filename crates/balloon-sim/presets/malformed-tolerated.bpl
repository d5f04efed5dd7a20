# Malformed guest: tolerated
# A device-writable PFN buffer and one whose length is not a multiple of 4: QEMU parses only whole PFNs of device-readable buffers and acks them anyway.
-m 1G -device virtio-balloon -seed 8
run
fault ivq device-writable
{"execute": "balloon", "arguments": {"value": 1071644672}}
run
fault ivq odd-length
{"execute": "balloon", "arguments": {"value": 1069547520}}
run
run 2s
{"execute": "query-balloon"}
