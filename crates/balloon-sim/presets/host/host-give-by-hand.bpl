# An idle VM gives memory to a busy one, by hand
# The overcommitted host with the policy off: the operator inflates the idle VM to 4 GiB before the busy VM needs memory. The pages the idle guest wrote and freed are among those the balloon takes, QEMU discards them, the host's free memory grows, and the busy VM's writes fit.
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
@idle balloon 4096
run 10s
@busy guest alloc 512M
run 30s
@busy guest alloc 512M
run 30s
@busy guest alloc 512M
run 30s
@busy guest alloc 512M
run 30s
