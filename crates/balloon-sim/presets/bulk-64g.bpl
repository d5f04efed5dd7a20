# 64 GiB guest, 60 GiB balloon
# A 64 GiB guest shrinks to 4 GiB: 61,440 inflate messages of 256 PFNs through the real rings; the trace keeps one event per ring operation, PFNs as ranges.
-m 64G -device virtio-balloon -seed 10
run
{"execute": "balloon", "arguments": {"value": 4294967296}}
run
run 2s
{"execute": "query-balloon"}
