# Three VMs: what one balloon frees, two others use
# A 10 GiB host with three guests and the policy off. The idle VM wrote and freed 7 GiB, so its QEMU process holds it; the operator inflates it to 4 GiB, QEMU discards the pages, and the host's free memory grows. Then the db and web VMs both write, and what the idle VM gave back is what they take: watch one segment of the host bar shrink while the other two grow.
host ram 10G
host own 1G
host policy off
-name idle -m 8G -device virtio-balloon,guest-stats-polling-interval=5
-name db -m 4G -device virtio-balloon,guest-stats-polling-interval=5
-name web -m 2G -device virtio-balloon,guest-stats-polling-interval=5
run 1s
@idle guest alloc 7G
run 1s
@idle guest free 7G
run 1s
@idle balloon 4096
run 10s
@db guest alloc 1G
@web guest alloc 512M
run 20s
@db guest alloc 1G
@web guest alloc 512M
run 20s
