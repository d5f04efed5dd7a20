# Free page reporting returns memory, no target set
# The idle VM negotiates free page reporting: when its guest frees 7 GiB, Linux reports the free 2 MiB blocks after its 2 s delay and QEMU discards them. No balloon target is ever set, yet the host gets the memory back and the busy VM's writes fit.
host ram 10G
host own 1G
host policy off
-name idle -m 8G -device virtio-balloon,free-page-reporting=on,guest-stats-polling-interval=5
-name busy -m 4G -device virtio-balloon,guest-stats-polling-interval=5
run 1s
@idle guest alloc 7G
run 1s
@idle guest free 7G
run 1s
@busy guest alloc 512M
run 30s
@busy guest alloc 512M
run 30s
@busy guest alloc 512M
run 30s
@busy guest alloc 512M
run 30s
