# Deflate
# The balloon inflated to 512 MiB is given back: leak_balloon sends the PFNs on dvq first and frees the pages only after the ack.
-m 1G -device virtio-balloon -seed 2
run
balloon 512
run
run 2s
balloon 1024
run
run 2s
{"execute": "query-balloon"}
