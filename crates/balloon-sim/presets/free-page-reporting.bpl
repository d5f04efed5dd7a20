# Free page reporting
# free-page-reporting=on: after the guest frees memory, page_reporting_process sends chains of up to 32 free ranges on reporting_vq every 2 s and the host discards them.
-m 1G -device virtio-balloon,free-page-reporting=on -seed 5
run
guest alloc 400M
run
guest free 400M
run 5s
run 5s
