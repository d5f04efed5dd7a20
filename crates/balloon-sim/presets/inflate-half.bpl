# Inflate to half
# A 1 GiB guest is asked to shrink to 512 MiB: 512 inflate messages of 256 PFNs on ivq (131,072 pages), each acked, then actual is written.
-m 1G -device virtio-balloon -seed 1
run
{"execute": "query-balloon"}
{"execute": "balloon", "arguments": {"value": 536870912}}
run
run 2s
{"execute": "query-balloon"}
info balloon
