# Malformed guest: pages reused before the ack (crosvm)
# Row 20: crosvm always offers MUST_TELL_HOST and Linux accepts it, so a guest that reuses deflated pages before the host acks breaks spec 5.5.6.1; QEMU never offers the bit, and there the same guest keeps the rules.
-m 1G -device virtio-balloon -profile crosvm -seed 31
run
balloon 1020
run
fault dvq release-before-ack
balloon 1024
run
{"execute": "query-balloon"}
