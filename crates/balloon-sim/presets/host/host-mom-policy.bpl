# The same host under MoM: nobody dies
# The overcommitted host again, with oVirt MoM's balloon policy every 10 s: below 20 % host free it shrinks every guest by up to 5 % a run (less when the guest would keep under its free share), so the idle VM's balloon grows and hands its pages back before the busy VM's writes run the host dry.
host ram 10G
host own 1G
host policy mom
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
