# Deflate on OOM, and the loop
# With deflate-on-oom a guest allocation under a 512 MiB balloon makes the OOM notifier leak 256 pages at a time without touching num_pages; when the operator re-asserts the target the balloon re-inflates into freed memory, and the next allocation deflates it again.
-m 1G -device virtio-balloon,deflate-on-oom=on -seed 4
run
{"execute": "balloon", "arguments": {"value": 536870912}}
run
run 2s
guest alloc 600M
run
run 2s
{"execute": "query-balloon"}
guest free 200M
run
{"execute": "balloon", "arguments": {"value": 536870912}}
run
run 2s
{"execute": "query-balloon"}
guest alloc 200M
run
run 2s
{"execute": "query-balloon"}
