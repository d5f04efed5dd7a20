# Malformed guest: a 2-byte hint cmd id
# Row 17: the free page hint cmd id buffer is 2 bytes instead of 4; QEMU's virtio_error (received an incorrect cmd id) sets DEVICE_NEEDS_RESET.
-m 1G -device virtio-balloon,free-page-hint=on,iothread=io0 -object iothread,id=io0 -seed 25
run
fault free_page_vq cmd-id-length
host hint start
run
run 1s
{"execute": "query-balloon"}
