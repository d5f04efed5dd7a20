# Overcommit, no balloon: the OOM killer takes a VM
# Two VMs promised 12 GiB on a 10 GiB host. The idle VM wrote 7 GiB once and freed it inside its guest, but the host still backs those pages; when the busy VM writes 2 GiB the host runs out, and its OOM killer kills the QEMU process with the largest badness: the idle one, not the one that asked.
host ram 10G
host own 1G
host policy off
-name idle -m 8G -device virtio-balloon,guest-stats-polling-interval=5
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
