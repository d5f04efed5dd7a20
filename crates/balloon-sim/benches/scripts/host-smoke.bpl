# 8 VMs x 256 MiB, each inflating to half: the smoke size of host-8x8g.bpl
host ram 4G
host own 512M
-name v0 -m 256M -device virtio-balloon
-name v1 -m 256M -device virtio-balloon
-name v2 -m 256M -device virtio-balloon
-name v3 -m 256M -device virtio-balloon
-name v4 -m 256M -device virtio-balloon
-name v5 -m 256M -device virtio-balloon
-name v6 -m 256M -device virtio-balloon
-name v7 -m 256M -device virtio-balloon
@v0 balloon 128
@v1 balloon 128
@v2 balloon 128
@v3 balloon 128
@v4 balloon 128
@v5 balloon 128
@v6 balloon 128
@v7 balloon 128
run
