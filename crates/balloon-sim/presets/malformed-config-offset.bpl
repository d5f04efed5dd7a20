# Malformed guest: actual written at the wrong offset
# Row 19: the guest writes actual 4 bytes at config offset 5 instead of 4; QEMU accepts config writes at any offset and width, so actual becomes 65536 pages until the next write.
-m 1G -device virtio-balloon -seed 27
run
fault ivq actual-offset
balloon 1020
run
{"execute": "query-balloon"}
