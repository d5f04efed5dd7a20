# Free page hinting round
# free-page-hint=on (with an iothread): migration's precopy notifier bumps cmd_id, the guest sends the id, hints free 4 MiB blocks on free_page_vq, and frees them again on DONE.
-m 1G -object iothread,id=io0 -device virtio-balloon,free-page-hint=on,iothread=io0 -seed 6
run
host hint start
run
host hint stop
run
host hint done
run
