# Malformed guest: a nonsensical actual
# Row 9: after inflating, the guest writes actual = 0xffffffff pages; QEMU accepts any value and reports it (BALLOON_CHANGE, query-balloon).
-m 1G -device virtio-balloon -seed 17
run
fault ivq nonsense-actual
balloon 1020
run
{"execute": "query-balloon"}
info balloon
