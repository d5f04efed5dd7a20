# Deflate on OOM, and the loop
# With deflate-on-oom a guest allocation under a 512 MiB balloon makes the OOM notifier leak 256 pages at a time; num_pages stays, so when the operator re-asserts the target the balloon re-inflates and the pressure returns.
-m 1G -device virtio-balloon,deflate-on-oom=on -seed 4
run
{"execute": "balloon", "arguments": {"value": 536870912}}
run
run 2s
guest alloc 600M
run
run 2s
{"execute": "query-balloon"}
{"execute": "balloon", "arguments": {"value": 536870912}}
run
run 2s
{"execute": "query-balloon"}
