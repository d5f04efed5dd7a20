# Deflate-on-OOM in one guest while MoM squeezes another
# An 8 GiB host under MoM with two 4 GiB VMs that have written 3 GiB each. MoM shrinks both while host free is under 20 %; the db guest, with deflate-on-oom, then allocates past what its balloon leaves it, and its OOM notifier takes pages back from the balloon, 256 at a time, against the policy's target, while web keeps shrinking.
host ram 8G
host own 1G
host policy mom
-name db -m 4G -device virtio-balloon,deflate-on-oom=on,guest-stats-polling-interval=5
-name web -m 4G -device virtio-balloon,guest-stats-polling-interval=5
run 1s
@db guest alloc 3G
@web guest alloc 3G
run 1s
@web guest free 2G
run 60s
@db guest alloc 512M
run 30s
@db {"execute": "query-balloon"}
@web {"execute": "query-balloon"}
